package vimoe.data;

import java.io.IOException;
import java.nio.file.Path;

/** Loads a {@link DatasetSpec} and knows the default augmentation of each kind of dataset. */
public final class Datasets {

  /** Image side of an image folder's images when no size is given (they are resized to it). */
  public static final int FOLDER_IMAGE_SIZE = 32;

  /** Channels of an image folder's images when none are given (RGB). */
  public static final int FOLDER_CHANNELS = 3;

  private Datasets() {}

  /**
   * What a dataset holds, known from its headers, file sizes and folder names before any pixel is
   * read.
   *
   * @param channels Ch as stored (image folders: {@link #FOLDER_CHANNELS})
   * @param height H as stored (image folders: {@link #FOLDER_IMAGE_SIZE})
   * @param width W as stored (image folders: {@link #FOLDER_IMAGE_SIZE})
   * @param classes the number of classes
   * @param trainImages N of the training split, or -1 where only reading tells (image folders)
   */
  public record Shape(int channels, int height, int width, int classes, long trainImages) {}

  /**
   * Describes a dataset cheaply: locates it and reads only headers, file sizes and folder names, so
   * that a missing or malformed dataset and a bad model configuration are refused before the
   * minutes of reading.
   *
   * @param spec the dataset
   * @param dataDir the {@code --data-dir} option (Fashion-MNIST only), or null
   * @throws DatasetException naming a missing directory or file, or a malformed header
   */
  public static Shape shape(DatasetSpec spec, Path dataDir) throws IOException {
    return switch (spec.kind()) {
      case FASHION_MNIST -> IdxFormat.shape(FashionMnist.locate(dataDir));
      case IDX -> IdxFormat.shape(spec.dir());
      case CIFAR10 -> Cifar10Format.shape(spec.dir());
      case FOLDER -> ImageFolderFormat.shape(spec.dir());
    };
  }

  /**
   * Reads the train and test splits of a dataset, converted to the model's input format.
   *
   * <p>IDX and CIFAR-10 images are stored at a fixed size; when {@code channels}, {@code height}
   * and {@code width} differ from it they are converted by {@link ImageSet#convert} (RGB to grey by
   * luminance, bilinear resize). A value {@code <= 0} keeps the stored one (image folders: RGB,
   * {@link #FOLDER_IMAGE_SIZE} pixels).
   *
   * @param spec the dataset
   * @param dataDir the {@code --data-dir} option (used for Fashion-MNIST only), or null
   * @param channels Ch of the model input (1 or 3), or {@code <= 0} for the stored one
   * @param height H of the model input, or {@code <= 0} for the stored one
   * @param width W of the model input, or {@code <= 0} for the stored one
   */
  public static TrainTest load(DatasetSpec spec, Path dataDir, int channels, int height, int width)
      throws IOException {
    TrainTest data =
        switch (spec.kind()) {
          case FASHION_MNIST -> FashionMnist.load(dataDir);
          case IDX -> IdxFormat.readDirectory(spec.dir());
          case CIFAR10 -> Cifar10Format.read(spec.dir());
          case FOLDER ->
              ImageFolderFormat.read(
                  spec.dir(),
                  channels > 0 ? channels : FOLDER_CHANNELS,
                  height > 0 ? height : FOLDER_IMAGE_SIZE,
                  width > 0 ? width : FOLDER_IMAGE_SIZE);
        };
    ImageSet train = data.train();
    int ch = channels > 0 ? channels : train.channels();
    int h = height > 0 ? height : train.height();
    int w = width > 0 ? width : train.width();
    return new TrainTest(train.convert(ch, h, w), data.test().convert(ch, h, w));
  }

  /**
   * The training augmentation of a kind of dataset: IDX datasets (digits, Fashion-MNIST) have a
   * fixed orientation, so a crop after 2-pixel padding and no flip; CIFAR-10 and image folders take
   * the usual crop after 4-pixel padding and a horizontal flip.
   *
   * @param spec the dataset
   */
  public static Augmentation defaultAugmentation(DatasetSpec spec) {
    return switch (spec.kind()) {
      case FASHION_MNIST, IDX -> new Augmentation(2, false);
      case CIFAR10, FOLDER -> new Augmentation(4, true);
    };
  }
}
