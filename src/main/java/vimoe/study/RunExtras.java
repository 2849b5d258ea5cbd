package vimoe.study;

import java.util.List;

/**
 * What a study measures on a trained run beyond {@code result.json}, saved as {@code
 * study-eval.json} in the run directory.
 *
 * @param noiseAccuracy test accuracy under additive Gaussian noise ({@link
 *     vimoe.data.Corruptions#STUDY_NOISE_STD} of the pixel range)
 * @param rotationAccuracy test accuracy with every image rotated by {@link
 *     vimoe.data.Corruptions#STUDY_ROTATION_DEGREES} degrees
 * @param capacity test accuracy at other capacity factors (sparse routers only; empty otherwise)
 * @param pictureImages the test images of the routing pictures (indices into the test split)
 * @param pictureShape (Ch, H, W) of those images
 * @param picturePixels their uint8 pixels, (Ch, H, W) each
 * @param moeBlocks the blocks that are MoE layers, in order
 * @param dominantExpert per MoE layer, (image, patch): the expert that processed each patch, -1
 *     dropped
 * @param trainImages images the run trained on (0 when not recorded)
 * @param validationImages images held out for validation
 * @param testImages images of the test split
 * @param device the device the run was evaluated on ({@code cpu()}, {@code gpu(0)}); null when not
 *     recorded
 * @param routingPaths {@code host} (Java loops over the arrays, a CPU's) or {@code device} (tensor
 *     programs only, a GPU's, or a CPU's with {@code -Dvimoe.devicePaths=true}); null when not
 *     recorded
 * @param deviceMemoryBytes bytes in use on the GPU at the end of the evaluation, by every process
 *     on it (null on a CPU)
 * @param routingViews per MoE layer, the per-family routing views over the test set ({@link
 *     vimoe.moe.routing.RoutingViews}); null for a run evaluated before they were recorded
 */
public record RunExtras(
    double noiseAccuracy,
    double rotationAccuracy,
    List<CapacityAccuracy> capacity,
    List<Integer> pictureImages,
    int[] pictureShape,
    List<byte[]> picturePixels,
    List<Integer> moeBlocks,
    List<int[][]> dominantExpert,
    int trainImages,
    int validationImages,
    int testImages,
    String device,
    String routingPaths,
    Long deviceMemoryBytes,
    List<vimoe.moe.routing.RoutingViews> routingViews) {

  /**
   * Test accuracy of a trained model evaluated at another capacity factor.
   *
   * @param capacityFactor the factor at evaluation
   * @param trained whether it is the factor the model was trained at
   * @param testAccuracy top-1 accuracy on the test split
   */
  public record CapacityAccuracy(double capacityFactor, boolean trained, double testAccuracy) {}
}
