package vimoe.study;

import java.util.List;
import java.util.Map;

/**
 * The results of one router at one grid point, over its seeds. Accuracies are fractions; means
 * without a value are null.
 *
 * @param router the router, or dense
 * @param point the grid point's label (empty for dense, which serves every point, and without a
 *     sweep)
 * @param pointValues the swept values of the point
 * @param n finished seeds
 * @param runs the run directories (under {@code runs/})
 * @param testAccuracy top-1 test accuracy (precision@1)
 * @param tenShotAccuracy 10-shot linear-probe accuracy
 * @param noiseAccuracy test accuracy under additive Gaussian noise
 * @param rotationAccuracy test accuracy with rotated images
 * @param capacity test accuracy at other capacity factors (sparse routers)
 * @param trainingImagesPerSecond mean training throughput
 * @param inferenceImagesPerSecond mean inference throughput
 * @param flopsPerImage FLOPs of one forward pass
 * @param parametersTotal all parameters
 * @param parametersActive parameters applied to one token
 * @param droppedFraction fraction of tokens with no slot, mean over MoE layers and seeds
 * @param expertLoadCv coefficient of variation of tokens per expert, mean over layers and seeds
 * @param expertsPerToken experts a token reaches, mean over layers and seeds
 * @param moeBlocks the blocks that are MoE layers
 * @param expertLoad per MoE layer, each expert's share of the tokens it processed, mean over seeds
 * @param validationCurve validation accuracy after each epoch, mean over seeds
 * @param validationCurveCi95 per epoch, the 95% interval of that mean ({@link Stats#fraction}),
 *     null where fewer than two seeds reached the epoch
 * @param droppedFractionCi95 the 95% interval over seeds of {@code droppedFraction}, null with
 *     fewer than two seeds
 * @param routingViews per MoE layer, the per-family routing views ({@link
 *     vimoe.moe.routing.RoutingViews}), mean over seeds; null where a run did not record them
 */
public record RouterResult(
    String router,
    String point,
    Map<String, Double> pointValues,
    int n,
    List<String> runs,
    Estimate testAccuracy,
    Estimate tenShotAccuracy,
    Estimate noiseAccuracy,
    Estimate rotationAccuracy,
    List<CapacityResult> capacity,
    Double trainingImagesPerSecond,
    Double inferenceImagesPerSecond,
    long flopsPerImage,
    long parametersTotal,
    long parametersActive,
    Double droppedFraction,
    Double expertLoadCv,
    Double expertsPerToken,
    List<Integer> moeBlocks,
    List<double[]> expertLoad,
    List<Double> validationCurve,
    List<List<Double>> validationCurveCi95,
    List<Double> droppedFractionCi95,
    List<vimoe.moe.routing.RoutingViews> routingViews) {

  /**
   * Test accuracy at one evaluation capacity factor.
   *
   * @param capacityFactor the factor at evaluation
   * @param trained whether it is the factor the router was trained at
   * @param testAccuracy test accuracy over seeds
   */
  public record CapacityResult(double capacityFactor, boolean trained, Estimate testAccuracy) {}
}
