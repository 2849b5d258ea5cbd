package vimoe.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * An immutable in-memory labelled image set: N images of Ch x H x W uint8 pixels in one byte array
 * laid out N x Ch x H x W, labels in 0..numClasses-1, class names and a name for reports.
 *
 * <p>{@link #batch} is the training hot path: it writes a whole batch, normalised and augmented,
 * into one float array and creates one NDArray from it.
 */
public final class ImageSet {

  /**
   * The two parts of a training set, see {@link #split(int, long)}.
   *
   * @param train the images left for training
   * @param validation the held-out images, for model choice
   */
  public record Split(ImageSet train, ImageSet validation) {}

  /** The most pixel bytes one image set holds (one Java array, less the JVM's header reserve). */
  public static final long MAX_PIXELS = Integer.MAX_VALUE - 8;

  private final String name;
  private final int channels;
  private final int height;
  private final int width;
  private final byte[] pixels; // (N, Ch, H, W)
  private final int[] labels; // (N)
  private final List<String> classNames;

  /**
   * An image set holding copies of the given arrays.
   *
   * @param name a name for reports, e.g. {@code "fashion-mnist/train"}
   * @param channels Ch >= 1
   * @param height H >= 1
   * @param width W >= 1
   * @param pixels uint8 pixels (N, Ch, H, W); length N*Ch*H*W
   * @param labels (N), each in 0..classNames.size()-1
   * @param classNames the class names, index = label; at least one
   */
  public ImageSet(
      String name,
      int channels,
      int height,
      int width,
      byte[] pixels,
      int[] labels,
      List<String> classNames) {
    this(
        name,
        channels,
        height,
        width,
        Objects.requireNonNull(pixels, "pixels").clone(),
        Objects.requireNonNull(labels, "labels").clone(),
        classNames,
        true);
  }

  private ImageSet(
      String name,
      int channels,
      int height,
      int width,
      byte[] pixels,
      int[] labels,
      List<String> classNames,
      boolean validate) {
    this.name = Objects.requireNonNull(name, "name");
    this.classNames = List.copyOf(Objects.requireNonNull(classNames, "classNames"));
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.pixels = pixels;
    this.labels = labels;
    if (!validate) {
      return;
    }
    if (channels < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          name
              + ": channels, height and width must be >= 1, got "
              + channels
              + "x"
              + height
              + "x"
              + width);
    }
    if (this.classNames.isEmpty()) {
      throw new IllegalArgumentException(name + ": at least one class name is required");
    }
    long expected = (long) labels.length * channels * height * width;
    if (pixels.length != expected) {
      throw new IllegalArgumentException(
          name
              + ": "
              + labels.length
              + " labels of "
              + channels
              + "x"
              + height
              + "x"
              + width
              + " images need "
              + expected
              + " pixels, got "
              + pixels.length);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= this.classNames.size()) {
        throw new IllegalArgumentException(
            name
                + ": label "
                + labels[i]
                + " of image "
                + i
                + " is out of range 0.."
                + (this.classNames.size() - 1));
      }
    }
  }

  /** Takes ownership of the arrays without copying them (readers that just allocated them). */
  static ImageSet wrap(
      String name,
      int channels,
      int height,
      int width,
      byte[] pixels,
      int[] labels,
      List<String> classNames) {
    return new ImageSet(name, channels, height, width, pixels, labels, classNames, true);
  }

  /** The name for reports. */
  public String name() {
    return name;
  }

  /** This set under another name (shares the pixels). */
  public ImageSet withName(String newName) {
    return new ImageSet(newName, channels, height, width, pixels, labels, classNames, false);
  }

  /** N, the number of images. */
  public int size() {
    return labels.length;
  }

  /** Ch, channels per image (1 grey, 3 RGB). */
  public int channels() {
    return channels;
  }

  /** H, the image height in pixels. */
  public int height() {
    return height;
  }

  /** W, the image width in pixels. */
  public int width() {
    return width;
  }

  /** Ch*H*W, the bytes of one image. */
  public int imageSize() {
    return channels * height * width;
  }

  /** The number of classes (labels are 0..numClasses-1). */
  public int numClasses() {
    return classNames.size();
  }

  /** The class names, index = label (immutable). */
  public List<String> classNames() {
    return classNames;
  }

  /** The label of image {@code i}. */
  public int label(int i) {
    Objects.checkIndex(i, labels.length);
    return labels[i];
  }

  /** A copy of all labels (N). */
  public int[] labels() {
    return labels.clone();
  }

  /** The number of images of each class (numClasses). */
  public int[] classCounts() {
    int[] counts = new int[classNames.size()];
    for (int label : labels) {
      counts[label]++;
    }
    return counts;
  }

  /**
   * Pixel value 0..255 of image {@code i} at channel {@code c}, row {@code y}, column {@code x}.
   */
  public int pixel(int i, int c, int y, int x) {
    Objects.checkIndex(i, labels.length);
    Objects.checkIndex(c, channels);
    Objects.checkIndex(y, height);
    Objects.checkIndex(x, width);
    return pixels[i * imageSize() + (c * height + y) * width + x] & 0xff;
  }

  /** A copy of the uint8 pixels of image {@code i}, (Ch, H, W). */
  public byte[] image(int i) {
    Objects.checkIndex(i, labels.length);
    int size = imageSize();
    return Arrays.copyOfRange(pixels, i * size, (i + 1) * size);
  }

  /** The first {@code n} images, {@code 0 <= n <= size()}. */
  public ImageSet head(int n) {
    if (n < 0 || n > size()) {
      throw new IllegalArgumentException(
          name
              + " has "
              + size()
              + " images; cannot take the first "
              + n
              + " (use 0.."
              + size()
              + ")");
    }
    if (n == size()) {
      return this;
    }
    return new ImageSet(
        name + "[:" + n + "]",
        channels,
        height,
        width,
        Arrays.copyOf(pixels, n * imageSize()),
        Arrays.copyOf(labels, n),
        classNames,
        false);
  }

  /** The images at {@code indices}, in that order (repeats allowed). */
  public ImageSet subset(int[] indices) {
    return subset(indices, name + "[subset of " + indices.length + "]");
  }

  private ImageSet subset(int[] indices, String newName) {
    int size = imageSize();
    byte[] p = new byte[indices.length * size];
    int[] l = new int[indices.length];
    for (int k = 0; k < indices.length; k++) {
      int i = indices[k];
      if (i < 0 || i >= labels.length) {
        throw new IndexOutOfBoundsException(
            name
                + ": index "
                + i
                + " at position "
                + k
                + " is out of range 0.."
                + (labels.length - 1));
      }
      System.arraycopy(pixels, i * size, p, k * size, size);
      l[k] = labels[i];
    }
    return new ImageSet(newName, channels, height, width, p, l, classNames, false);
  }

  /**
   * Holds out {@code holdout} images drawn by a shuffle seeded with {@code seed} (same seed, same
   * split); both parts keep the original order of their images.
   *
   * @param holdout validation images, {@code 0 <= holdout < size()} (0 gives an empty validation
   *     set)
   * @param seed the shuffle seed
   */
  public Split split(int holdout, long seed) {
    if (holdout < 0 || holdout >= size()) {
      throw new IllegalArgumentException(
          "cannot hold out "
              + holdout
              + " validation images from "
              + name
              + ", which has "
              + size()
              + ": use 0.."
              + (size() - 1)
              + " (or fewer training images left out by --train-limit)");
    }
    int n = size();
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < holdout; i++) { // the first holdout steps of a Fisher-Yates shuffle
      int j = i + rng.nextInt(n - i);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int[] validation = Arrays.copyOf(perm, holdout);
    int[] train = Arrays.copyOfRange(perm, holdout, n);
    Arrays.sort(validation);
    Arrays.sort(train);
    return new Split(subset(train, name + "/train"), subset(validation, name + "/validation"));
  }

  /**
   * Per-channel mean and standard deviation (population) of all pixels scaled to [0, 1].
   *
   * @return {@code {mean[Ch], std[Ch]}}
   */
  public double[][] channelMeanStd() {
    if (size() == 0) {
      throw new IllegalStateException(
          name + " is empty: it has no channel mean or standard deviation");
    }
    int hw = height * width;
    double count = (double) size() * hw;
    double[][] result = new double[2][channels];
    for (int c = 0; c < channels; c++) {
      long sum = 0;
      long squares = 0;
      for (int i = 0; i < size(); i++) {
        int offset = i * imageSize() + c * hw;
        for (int p = offset; p < offset + hw; p++) {
          int v = pixels[p] & 0xff;
          sum += v;
          squares += (long) v * v;
        }
      }
      double mean = sum / count;
      double variance = Math.max(0, squares / count - mean * mean);
      result[0][c] = mean / 255;
      result[1][c] = Math.sqrt(variance) / 255;
    }
    return result;
  }

  /**
   * This set converted to {@code channels} x {@code height} x {@code width}: RGB to grey by
   * luminance (ITU-R 601: 0.299 R + 0.587 G + 0.114 B), grey to RGB by repetition, and a bilinear
   * resize (pixel centres aligned, as Graphics2D and PyTorch's align_corners=False). Returns this
   * set when the format already matches.
   *
   * @param newChannels 1 or 3 (or the current Ch)
   * @param newHeight the new H >= 1
   * @param newWidth the new W >= 1
   */
  public ImageSet convert(int newChannels, int newHeight, int newWidth) {
    if (newChannels == channels && newHeight == height && newWidth == width) {
      return this;
    }
    if (newChannels != channels
        && !((newChannels == 1 || newChannels == 3) && (channels == 1 || channels == 3))) {
      throw new IllegalArgumentException(
          name
              + ": cannot convert "
              + channels
              + " channels to "
              + newChannels
              + " (only 1 <-> 3)");
    }
    if (newHeight < 1 || newWidth < 1) {
      throw new IllegalArgumentException(
          name + ": image size must be >= 1, got " + newHeight + "x" + newWidth);
    }
    long bytes = (long) size() * newChannels * newHeight * newWidth;
    if (bytes > MAX_PIXELS) {
      throw new IllegalArgumentException(
          name
              + ": "
              + size()
              + " images of "
              + newChannels
              + "x"
              + newHeight
              + "x"
              + newWidth
              + " need "
              + bytes
              + " bytes, above the "
              + MAX_PIXELS
              + " one image set holds; "
              + "use a smaller --image-size or --train-limit");
    }
    int inSize = imageSize();
    int outSize = newChannels * newHeight * newWidth;
    int hw = height * width;
    byte[] out = new byte[size() * outSize];
    float[] planes = new float[newChannels * hw];
    for (int i = 0; i < size(); i++) {
      int in = i * inSize;
      if (newChannels == channels) {
        for (int p = 0; p < inSize; p++) {
          planes[p] = pixels[in + p] & 0xff;
        }
      } else if (newChannels == 1) {
        for (int p = 0; p < hw; p++) {
          planes[p] =
              0.299f * (pixels[in + p] & 0xff)
                  + 0.587f * (pixels[in + hw + p] & 0xff)
                  + 0.114f * (pixels[in + 2 * hw + p] & 0xff);
        }
      } else {
        for (int c = 0; c < 3; c++) {
          for (int p = 0; p < hw; p++) {
            planes[c * hw + p] = pixels[in + p] & 0xff;
          }
        }
      }
      for (int c = 0; c < newChannels; c++) {
        resizeBilinear(
            planes,
            c * hw,
            height,
            width,
            out,
            i * outSize + c * newHeight * newWidth,
            newHeight,
            newWidth);
      }
    }
    return new ImageSet(name, newChannels, newHeight, newWidth, out, labels, classNames, false);
  }

  private static void resizeBilinear(
      float[] src, int srcOffset, int inH, int inW, byte[] dst, int dstOffset, int outH, int outW) {
    for (int y = 0; y < outH; y++) {
      float sy = Math.max(0f, Math.min(inH - 1f, (y + 0.5f) * inH / outH - 0.5f));
      int y0 = (int) sy;
      int y1 = Math.min(y0 + 1, inH - 1);
      float fy = sy - y0;
      for (int x = 0; x < outW; x++) {
        float sx = Math.max(0f, Math.min(inW - 1f, (x + 0.5f) * inW / outW - 0.5f));
        int x0 = (int) sx;
        int x1 = Math.min(x0 + 1, inW - 1);
        float fx = sx - x0;
        float top = src[srcOffset + y0 * inW + x0] * (1 - fx) + src[srcOffset + y0 * inW + x1] * fx;
        float bottom =
            src[srcOffset + y1 * inW + x0] * (1 - fx) + src[srcOffset + y1 * inW + x1] * fx;
        int v = Math.round(top * (1 - fy) + bottom * fy);
        dst[dstOffset + y * outW + x] = (byte) Math.max(0, Math.min(255, v));
      }
    }
  }

  /**
   * One training or evaluation batch, built on Java arrays and handed to the engine as one NDArray.
   *
   * <p>images (B, Ch, H, W) float32 = ((pixel / 255) - mean[c]) / std[c], after augmentation;
   * labels (B) int64. The augmentation of image i is a pure function of (seed, epoch, i), with i
   * the index in this set: it does not depend on the other images of the batch or on call order.
   * Padding pixels are 0 in pixel space, so (0 - mean[c]) / std[c] after normalisation.
   *
   * @param manager creates the two arrays (use a per-batch sub-manager)
   * @param indices B >= 1 image indices into this set
   * @param augmentation the augmentation, or {@link Augmentation#NONE} (null means none)
   * @param seed the run seed
   * @param epoch the epoch (a new draw of crops and flips per epoch)
   * @param mean per-channel mean (Ch) in [0, 1] units, or null for 0
   * @param std per-channel standard deviation (Ch), > 0, or null for 1
   * @return {@code NDList(images (B, Ch, H, W) float32, labels (B) int64)}
   */
  public NDList batch(
      NDManager manager,
      int[] indices,
      Augmentation augmentation,
      long seed,
      int epoch,
      float[] mean,
      float[] std) {
    if (indices == null || indices.length == 0) {
      throw new IllegalArgumentException(name + ": a batch needs at least one image index");
    }
    float[] table = normalisationTable(mean, std);
    Augmentation aug = augmentation == null ? Augmentation.NONE : augmentation;
    int size = imageSize();
    float[] images = new float[indices.length * size];
    long[] batchLabels = new long[indices.length];
    for (int b = 0; b < indices.length; b++) {
      int i = indices[b];
      if (i < 0 || i >= labels.length) {
        throw new IndexOutOfBoundsException(
            name
                + ": index "
                + i
                + " at batch position "
                + b
                + " is out of range 0.."
                + (labels.length - 1));
      }
      fill(images, b * size, i, aug, seed, epoch, table);
      batchLabels[b] = labels[i];
    }
    NDArray x = manager.create(images, new Shape(indices.length, channels, height, width));
    NDArray y = manager.create(batchLabels);
    return new NDList(x, y);
  }

  /** (Ch * 256) lookup table: table[c * 256 + v] = ((v / 255) - mean[c]) / std[c]. */
  float[] normalisationTable(float[] mean, float[] std) {
    if ((mean != null && mean.length != channels) || (std != null && std.length != channels)) {
      throw new IllegalArgumentException(
          name
              + " has "
              + channels
              + " channels: mean and std need "
              + channels
              + " values each, got "
              + (mean == null ? "null" : mean.length)
              + " and "
              + (std == null ? "null" : std.length));
    }
    float[] table = new float[channels * 256];
    for (int c = 0; c < channels; c++) {
      float m = mean == null ? 0f : mean[c];
      float s = std == null ? 1f : std[c];
      if (!(s > 0) || !Float.isFinite(s) || !Float.isFinite(m)) {
        throw new IllegalArgumentException(
            "normalisation of channel "
                + c
                + " needs a finite mean and std > 0, got mean "
                + m
                + ", std "
                + s);
      }
      for (int v = 0; v < 256; v++) {
        table[c * 256 + v] = (v / 255f - m) / s;
      }
    }
    return table;
  }

  /** Writes image {@code i}, augmented and normalised through {@code table}, at out[offset..]. */
  void fill(float[] out, int offset, int i, Augmentation aug, long seed, int epoch, float[] table) {
    int src = i * imageSize();
    int hw = height * width;
    if (aug.isNone()) {
      for (int c = 0; c < channels; c++) {
        int t = c * 256;
        for (int p = 0; p < hw; p++) {
          out[offset++] = table[t + (pixels[src++] & 0xff)];
        }
      }
      return;
    }
    SplittableRandom rng = new SplittableRandom(augmentationSeed(seed, epoch, i));
    int pad = aug.pad();
    // Crop of the padded image at (top, left) in [0, 2 pad]: source row = y + top - pad.
    int dy = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;
    int dx = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;
    boolean flip = aug.horizontalFlip() && rng.nextBoolean();
    for (int c = 0; c < channels; c++) {
      int t = c * 256;
      float zero = table[t];
      int plane = src + c * hw;
      for (int y = 0; y < height; y++) {
        int sy = y + dy;
        if (sy < 0 || sy >= height) {
          Arrays.fill(out, offset, offset + width, zero);
          offset += width;
          continue;
        }
        int row = plane + sy * width;
        for (int x = 0; x < width; x++) {
          int sx = (flip ? width - 1 - x : x) + dx; // flip after crop, as torchvision's pipeline
          out[offset++] = sx < 0 || sx >= width ? zero : table[t + (pixels[row + sx] & 0xff)];
        }
      }
    }
  }

  /**
   * A well-mixed 64-bit seed from (seed, epoch, index), SplitMix64 finaliser applied three times.
   */
  static long augmentationSeed(long seed, int epoch, int index) {
    long h = mix64(seed);
    h = mix64(h ^ (epoch & 0xffffffffL));
    return mix64(h ^ ((long) index << 32 | 0x5bd1e995L));
  }

  private static long mix64(long z) {
    z += 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** e.g. {@code "fashion-mnist/train: 60000 images 1x28x28, 10 classes"}. */
  @Override
  public String toString() {
    return name
        + ": "
        + size()
        + " images "
        + channels
        + "x"
        + height
        + "x"
        + width
        + ", "
        + numClasses()
        + " classes";
  }
}
