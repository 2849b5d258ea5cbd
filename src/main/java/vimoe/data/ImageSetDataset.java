package vimoe.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;

/**
 * The DJL dataset view of an {@link ImageSet}, for DJL's {@code Trainer} and its batchifiers:
 * {@code get(manager, i)} is {@code Record(NDList(image (Ch, H, W) float32, normalised),
 * NDList(label () int64))}. No augmentation: vimoe's own training loop uses {@link ImageSet#batch},
 * which builds a whole augmented batch at once.
 *
 * <pre>{@code
 * ImageSetDataset ds = ImageSetDataset.builder()
 *         .setImageSet(train).optNormalization(mean, std).setSampling(128, true).build();
 * }</pre>
 */
public final class ImageSetDataset extends RandomAccessDataset {

  private final ImageSet images;
  private final float[] table;

  private ImageSetDataset(Builder builder) {
    super(builder);
    this.images = builder.images;
    this.table = images.normalisationTable(builder.mean, builder.std);
  }

  /** A builder; {@link Builder#setImageSet} and {@code setSampling} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The image set behind this dataset. */
  public ImageSet imageSet() {
    return images;
  }

  /**
   * Image {@code index}: data (Ch, H, W) float32 = ((pixel / 255) - mean[c]) / std[c], label ()
   * int64.
   */
  @Override
  public Record get(NDManager manager, long index) {
    int i = Math.toIntExact(index);
    float[] pixels = new float[images.imageSize()];
    images.fill(pixels, 0, i, Augmentation.NONE, 0, 0, table);
    NDArray x =
        manager.create(pixels, new Shape(images.channels(), images.height(), images.width()));
    NDArray y = manager.create((long) images.label(i));
    return new Record(new NDList(x), new NDList(y));
  }

  /** The number of images. */
  @Override
  protected long availableSize() {
    return images.size();
  }

  /** Nothing to prepare: the images are in memory. */
  @Override
  public void prepare(Progress progress) {}

  /** Builder of {@link ImageSetDataset}; {@link #build()} validates. */
  public static final class Builder extends RandomAccessDataset.BaseBuilder<Builder> {
    private ImageSet images;
    private float[] mean;
    private float[] std;

    private Builder() {}

    /** The images to serve (required). */
    public Builder setImageSet(ImageSet imageSet) {
      this.images = imageSet;
      return this;
    }

    /**
     * Per-channel normalisation (Ch values each, std > 0); default none (pixel / 255).
     *
     * @param mean per-channel mean in [0, 1] units, e.g. from {@link ImageSet#channelMeanStd()}
     * @param std per-channel standard deviation
     */
    public Builder optNormalization(float[] mean, float[] std) {
      this.mean = mean == null ? null : mean.clone();
      this.std = std == null ? null : std.clone();
      return this;
    }

    /** {@inheritDoc} */
    @Override
    protected Builder self() {
      return this;
    }

    /**
     * The dataset; fails if the image set or the sampling is missing or the normalisation is
     * invalid.
     */
    public ImageSetDataset build() {
      if (images == null) {
        throw new IllegalArgumentException("ImageSetDataset needs setImageSet(imageSet)");
      }
      if (sampler == null) {
        throw new IllegalArgumentException(
            "ImageSetDataset needs setSampling(batchSize, shuffle) or setSampling(sampler)");
      }
      return new ImageSetDataset(this);
    }
  }
}
