package vimoe.study;

/**
 * The presets of {@code vimoe study}: the values a study takes where no option is given.
 *
 * @param name quick or standard
 * @param seeds seeds per configuration
 * @param epochs epochs per run
 * @param trainLimit the first N training images (0: all)
 * @param validationSize training images held out
 * @param batchSize images per step, or null for {@code train}'s default
 */
public record Preset(
    String name, int seeds, int epochs, int trainLimit, int validationSize, Integer batchSize) {
  /** Epochs of the quick preset. */
  public static final int QUICK_EPOCHS = 3;

  /** Training images of the quick preset. */
  public static final int QUICK_TRAIN_LIMIT = 6000;

  /** Images the quick preset holds out. */
  public static final int QUICK_VALIDATION = 1000;

  /** Half the default batch: twice the steps on the quick preset's few images. */
  public static final int QUICK_BATCH = 64;

  /** About 20 minutes on 2 cores. */
  public static final Preset QUICK =
      new Preset("quick", 2, QUICK_EPOCHS, QUICK_TRAIN_LIMIT, QUICK_VALIDATION, QUICK_BATCH);

  /** Hours on a CPU: the full training set. */
  public static final Preset STANDARD = new Preset("standard", 3, 10, 0, 5000, null);

  /**
   * The preset called {@code name}.
   *
   * @throws IllegalArgumentException naming the presets
   */
  public static Preset of(String name) {
    return switch (name) {
      case "quick" -> QUICK;
      case "standard" -> STANDARD;
      default ->
          throw new IllegalArgumentException(
              "--preset must be quick or standard, got \"" + name + "\"");
    };
  }
}
