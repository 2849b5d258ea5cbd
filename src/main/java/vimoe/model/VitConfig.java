package vimoe.model;

import java.util.SortedSet;
import java.util.TreeSet;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterSpec;

/**
 * Everything that defines a ViT-MoE model, validated on construction (messages name the field and
 * the bad value). Data and training settings live elsewhere.
 *
 * @param imageSize input height and width in pixels
 * @param channels input channels (1 grayscale, 3 RGB)
 * @param patchSize patch height and width; must divide imageSize
 * @param width D, the model width
 * @param depth number of encoder blocks
 * @param heads attention heads; must divide D
 * @param mlpDim hidden width of the dense MLP blocks
 * @param numClasses classes of the linear head
 * @param pooling global average pooling or class token
 * @param moeLayers placement of the MoE blocks ({@link MoePlacement}); ignored for {@code dense}
 * @param router the router of every MoE block and its options
 * @param experts E, experts per MoE block
 * @param expertHidden H, hidden width of each expert
 * @param groupImages images per routing group (1: the tokens of one image form a group)
 */
public record VitConfig(
    int imageSize,
    int channels,
    int patchSize,
    int width,
    int depth,
    int heads,
    int mlpDim,
    int numClasses,
    Pooling pooling,
    String moeLayers,
    RouterSpec router,
    int experts,
    int expertHidden,
    int groupImages) {

  /**
   * The largest image side accepted: far above what a ViT is trained on here, and low enough that
   * the patch and token counts stay small integers.
   */
  public static final int MAX_IMAGE_SIZE = 1024;

  /**
   * The largest width, MLP width and expert width accepted (2^16), so that every count fits a long.
   */
  public static final int MAX_WIDTH = 1 << 16;

  /** The most tokens one routing group may hold (S = group_images * tokens per image). */
  public static final int MAX_GROUP_TOKENS = 1 << 16;

  /** Validates every field. */
  public VitConfig {
    positive("image_size", imageSize);
    if (imageSize > MAX_IMAGE_SIZE) {
      throw new IllegalArgumentException(
          "image_size "
              + imageSize
              + " is above the limit of "
              + MAX_IMAGE_SIZE
              + " pixels; use a smaller --image-size");
    }
    positive("channels", channels);
    atMost("channels", channels, 1024);
    positive("patch_size", patchSize);
    if (imageSize % patchSize != 0) {
      throw new IllegalArgumentException(
          "patch_size " + patchSize + " must divide image_size " + imageSize);
    }
    positive("width", width);
    positive("depth", depth);
    positive("heads", heads);
    if (width % heads != 0) {
      throw new IllegalArgumentException("heads " + heads + " must divide width " + width);
    }
    positive("mlp_dim", mlpDim);
    atMost("width", width, MAX_WIDTH);
    atMost("depth", depth, 1024);
    atMost("mlp_dim", mlpDim, MAX_WIDTH);
    if (numClasses < 2) {
      throw new IllegalArgumentException("num_classes must be >= 2, got " + numClasses);
    }
    atMost("num_classes", numClasses, 1 << 20);
    if (pooling == null || router == null) {
      throw new IllegalArgumentException("pooling and router are required");
    }
    positive("experts", experts);
    positive("expert_hidden", expertHidden);
    positive("group_images", groupImages);
    atMost("experts", experts, 1 << 12);
    atMost("expert_hidden", expertHidden, MAX_WIDTH);
    long side = imageSize / patchSize;
    long groupTokens = (long) groupImages * (side * side + (pooling == Pooling.TOKEN ? 1 : 0));
    if (groupTokens > MAX_GROUP_TOKENS) {
      throw new IllegalArgumentException(
          "a routing group would hold "
              + groupTokens
              + " tokens (group_images "
              + groupImages
              + " x "
              + (groupTokens / groupImages)
              + " per image), above the limit of "
              + MAX_GROUP_TOKENS
              + "; use fewer --group-images, a larger --patch-size or a smaller --image-size");
    }
    if (router.family().takesK() && router.k() > experts) {
      throw new IllegalArgumentException(
          "k = " + router.k() + " exceeds the number of experts E = " + experts);
    }
    if (MoePlacement.parse(moeLayers, depth).isEmpty() && router.family() != Family.DENSE) {
      throw new IllegalArgumentException(
          "moe_layers \""
              + moeLayers
              + "\" places no MoE block among the "
              + depth
              + " blocks, so router "
              + router.router()
              + " would train a dense model; use last:N, every:N "
              + "with N <= "
              + depth
              + " or block indices 0.."
              + (depth - 1)
              + ", or --router dense");
    }
  }

  /** Patches per image, N = (imageSize / patchSize)^2. */
  public int patches() {
    int side = imageSize / patchSize;
    return side * side;
  }

  /** Tokens per image entering the encoder (N, plus one with a class token). */
  public int tokensPerImage() {
    return patches() + (pooling == Pooling.TOKEN ? 1 : 0);
  }

  /** The 0-based indices of the MoE blocks (empty for the dense baseline). */
  public SortedSet<Integer> moeBlocks() {
    return router.family() == Family.DENSE ? new TreeSet<>() : MoePlacement.parse(moeLayers, depth);
  }

  /**
   * Checks that a batch of {@code batchImages} images fills whole routing groups of {@code
   * groupImages} images (B = G * group_images): the one check of batch against group size.
   *
   * @throws IllegalArgumentException naming --batch-size and --group-images
   */
  public static void checkWholeGroups(long batchImages, int groupImages) {
    if (batchImages % groupImages != 0) {
      throw new IllegalArgumentException(
          "--batch-size "
              + batchImages
              + " is not a multiple of --group-images "
              + groupImages
              + "; a batch must fill whole routing groups");
    }
  }

  private static void atMost(String name, int value, int most) {
    if (value > most) {
      throw new IllegalArgumentException(name + " must be <= " + most + ", got " + value);
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
