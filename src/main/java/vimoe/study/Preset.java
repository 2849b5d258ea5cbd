package vimoe.study;

/**
 * The presets of {@code vimoe study}: the values a study takes where no option is given.
 *
 * @param name quick, cpu-hour or standard
 * @param seeds seeds per configuration
 * @param epochs epochs per run
 * @param trainLimit the first N training images (0: all)
 * @param validationSize training images held out
 * @param batchSize images per step, or null for {@code train}'s default
 */
public record Preset(
    String name, int seeds, int epochs, int trainLimit, int validationSize, Integer batchSize) {
  /**
   * 8 routers x 2 seeds in about 18 minutes on 2 cores; batch 64 gives twice the steps on the few
   * images.
   */
  public static final Preset QUICK = new Preset("quick", 2, 3, 6000, 1000, 64);

  /**
   * The quick recipe (where the paired standard deviation of EC minus TC was measured, about 0.09
   * points) with as many seeds as fit an hour on 2 cores: a run costs about 67 s, half of it the
   * fixed evaluation on 10,000 test images, so seeds, not longer training, shrink the minimum
   * detectable effect ((t(0.975) + t(0.8)) s / sqrt(n): 10 s at 2 seeds, 1.43 s at 6).
   */
  public static final Preset CPU_HOUR = new Preset("cpu-hour", 6, 3, 6000, 1000, 64);

  /** For a GPU: 5 seeds x 10 epochs of full Fashion-MNIST (55,000 trained, 5,000 held out). */
  public static final Preset STANDARD = new Preset("standard", 5, 10, 0, 5000, null);

  /**
   * The preset called {@code name}.
   *
   * @throws IllegalArgumentException naming the presets
   */
  public static Preset of(String name) {
    return switch (name) {
      case "quick" -> QUICK;
      case "cpu-hour" -> CPU_HOUR;
      case "standard" -> STANDARD;
      default ->
          throw new IllegalArgumentException(
              "--preset must be quick, cpu-hour or standard, got \"" + name + "\"");
    };
  }
}
