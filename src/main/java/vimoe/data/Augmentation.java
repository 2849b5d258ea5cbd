package vimoe.data;

/**
 * Training augmentation applied by {@link ImageSet#batch}: a random crop of the original size out
 * of the image padded with {@code pad} zero pixels on each side (so the content shifts by -pad..pad
 * pixels in each direction), then a horizontal flip with probability 0.5 if enabled.
 *
 * @param pad padding on each side before the random crop, >= 0 (0 = no crop)
 * @param horizontalFlip mirror left-right with probability 0.5
 */
public record Augmentation(int pad, boolean horizontalFlip) {

  /** No augmentation. */
  public static final Augmentation NONE = new Augmentation(0, false);

  /** Validates {@code pad >= 0}. */
  public Augmentation {
    if (pad < 0) {
      throw new IllegalArgumentException("augmentation pad must be >= 0, got " + pad);
    }
  }

  /** Whether this augmentation changes any image. */
  public boolean isNone() {
    return pad == 0 && !horizontalFlip;
  }
}
