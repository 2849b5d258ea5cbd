package vimoe.data;

import java.util.Objects;

/**
 * The training and test splits of a dataset, as published (the validation split is held out of
 * {@code train} with {@link ImageSet#split(int, long)}).
 *
 * @param train the training images
 * @param test the test images, used only for final numbers
 */
public record TrainTest(ImageSet train, ImageSet test) {

  /** Both splits are required and must have the same image format and classes. */
  public TrainTest {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    if (train.channels() != test.channels()
        || train.height() != test.height()
        || train.width() != test.width()
        || !train.classNames().equals(test.classNames())) {
      throw new IllegalArgumentException(
          "train and test splits differ in format or classes: " + train + " vs " + test);
    }
  }
}
