package vimoe.study;

/**
 * One run of a study: its directory name under {@code runs/}, router, seed and grid point.
 *
 * @param name directory name, e.g. {@code softmax-ec-cf2-s1}
 * @param router the grid entry: a router, dense, or a router variant's name ({@link RouterVariant})
 * @param seed the run's seed
 * @param point the swept values (empty for dense, which serves every point)
 */
public record StudyRun(String name, String router, long seed, GridPoint point) {}
