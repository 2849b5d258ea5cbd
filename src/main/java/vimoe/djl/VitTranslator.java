package vimoe.djl;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.ImageFolderFormat;
import vimoe.model.VitConfig;
import vimoe.run.RunConfig;

/**
 * An image in, the class probabilities of a trained vimoe model out. The image is prepared exactly
 * as the run's training images were ({@link ImageFolderFormat#pixels}: bilinear resize to the
 * model's input, grey by luma weights when the model has one channel, then the run's per-channel
 * mean and standard deviation). A routing group holds {@link VitConfig#groupImages()} images, so
 * the image is repeated to fill one group and only the first row is read: an image's prediction
 * never depends on the other images of a batch. Hence no {@link Batchifier}: DJL's predictor calls
 * the model once per image.
 */
public final class VitTranslator implements Translator<Image, Classifications> {
  private final VitConfig model;
  private final float[] mean;
  private final float[] std;
  private final List<String> classNames;

  /** The translator of the run configured by {@code config}. */
  public VitTranslator(RunConfig config) {
    this.model = config.model();
    this.mean = config.mean().clone();
    this.std = config.std().clone();
    this.classNames = List.copyOf(config.classNames());
  }

  /** The image as one routing group: (group images, Ch, H, W), normalised. */
  @Override
  public NDList processInput(TranslatorContext ctx, Image input) {
    int ch = model.channels(), side = model.imageSize(), plane = side * side;
    byte[] raw = ImageFolderFormat.pixels(bufferedImage(ctx, input), ch, side, side);
    int size = raw.length, group = model.groupImages();
    float[] pixels = new float[group * size];
    for (int j = 0; j < size; j++) {
      int c = j / plane;
      pixels[j] = ((raw[j] & 0xff) / 255f - mean[c]) / std[c];
    }
    for (int i = 1; i < group; i++) {
      System.arraycopy(pixels, 0, pixels, i * size, size);
    }
    return new NDList(ctx.getNDManager().create(pixels, new Shape(group, ch, side, side)));
  }

  /** Softmax of the first row's logits, by class name. */
  @Override
  public Classifications processOutput(TranslatorContext ctx, NDList list) {
    NDArray logits = list.head().get(0).toType(DataType.FLOAT32, false);
    float[] p = logits.softmax(0).toFloatArray();
    List<Double> probabilities = new ArrayList<>(p.length);
    for (float v : p) {
      probabilities.add((double) v);
    }
    return new Classifications(classNames, probabilities);
  }

  /** None: {@link #processInput} makes the group itself. */
  @Override
  public Batchifier getBatchifier() {
    return null;
  }

  /**
   * The image as a {@link BufferedImage}: the wrapped one of DJL's default image factory, else
   * drawn from its RGB pixels.
   */
  private static BufferedImage bufferedImage(TranslatorContext ctx, Image input) {
    if (input.getWrappedImage() instanceof BufferedImage b) {
      return b;
    }
    int h = input.getHeight(), w = input.getWidth();
    byte[] rgb =
        input
            .toNDArray(ctx.getNDManager(), Image.Flag.COLOR)
            .toType(DataType.UINT8, false)
            .toByteArray(); // (H, W, 3)
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = 3 * (y * w + x);
        out.setRGB(x, y, (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | (rgb[i + 2] & 0xff));
      }
    }
    return out;
  }
}
