package vimoe.study;

import java.util.List;

/**
 * A router's place at one grid point when the data may not separate it from others.
 *
 * @param point the grid point's label (empty without a sweep)
 * @param router the router
 * @param rank 1 + the number of routers significantly better (Holm-adjusted, all pairs at the
 *     point): routers the data cannot separate can share a rank
 * @param testAccuracy its mean test accuracy over seeds
 * @param notSeparatedFrom the routers whose paired difference with this one is not significant
 */
public record RouterRank(
    String point, String router, int rank, Double testAccuracy, List<String> notSeparatedFrom) {}
