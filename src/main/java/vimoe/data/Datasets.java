package vimoe.data;

import java.io.IOException;
import java.nio.file.Path;

/** Loads a {@link DatasetSpec} and knows the default augmentation of each kind of dataset. */
public final class Datasets {

    private Datasets() {}

    /**
     * Reads the train and test splits of a dataset, converted to the model's input format.
     *
     * <p>IDX and CIFAR-10 images are stored at a fixed size; when {@code channels}, {@code height}
     * and {@code width} differ from it they are converted by {@link ImageSet#convert} (RGB to grey by
     * luminance, bilinear resize). A value {@code <= 0} keeps the stored one (image folders need all three).
     *
     * @param spec the dataset
     * @param dataDir the {@code --data-dir} option (used for Fashion-MNIST only), or null
     * @param channels Ch of the model input (1 or 3), or {@code <= 0} for the stored one
     * @param height H of the model input, or {@code <= 0} for the stored one
     * @param width W of the model input, or {@code <= 0} for the stored one
     */
    public static TrainTest load(DatasetSpec spec, Path dataDir, int channels, int height, int width)
            throws IOException {
        TrainTest data = switch (spec.kind()) {
            case FASHION_MNIST -> FashionMnist.load(dataDir);
            case IDX -> IdxFormat.readDirectory(spec.dir());
            case CIFAR10 -> Cifar10Format.read(spec.dir());
            case FOLDER -> {
                if (channels <= 0 || height <= 0 || width <= 0) {
                    throw new IllegalArgumentException("image folder " + spec.dir() + " needs the input size: "
                            + "channels, height and width > 0, got " + channels + "x" + height + "x" + width);
                }
                yield ImageFolderFormat.read(spec.dir(), channels, height, width);
            }
        };
        ImageSet train = data.train();
        int ch = channels > 0 ? channels : train.channels();
        int h = height > 0 ? height : train.height();
        int w = width > 0 ? width : train.width();
        return new TrainTest(train.convert(ch, h, w), data.test().convert(ch, h, w));
    }

    /**
     * The training augmentation of a kind of dataset: IDX datasets (digits, Fashion-MNIST) have a fixed
     * orientation, so a crop after 2-pixel padding and no flip; CIFAR-10 and image folders take the
     * usual crop after 4-pixel padding and a horizontal flip.
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
