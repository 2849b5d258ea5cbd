package vimoe.study;

import java.util.List;

/**
 * The numbers of one finished study run that the results need: from {@code result.json}, {@code
 * metrics.jsonl} and {@code study-eval.json}.
 *
 * @param run the run of the study
 * @param testAccuracy top-1 test accuracy
 * @param tenShot mean 10-shot probe accuracy (NaN when not drawn)
 * @param trainImagesPerSecond training throughput (NaN when unknown)
 * @param inferenceImagesPerSecond inference throughput on the test split (NaN when unknown)
 * @param flopsPerImage FLOPs of one forward pass
 * @param parametersTotal all parameters
 * @param parametersActive parameters applied to one token
 * @param layers per MoE layer, its routing on the test split
 * @param validationCurve validation accuracy after each epoch (NaN where absent)
 * @param extras the study's own evaluation of the run
 */
public record RunRecord(
    StudyRun run,
    double testAccuracy,
    double tenShot,
    double trainImagesPerSecond,
    double inferenceImagesPerSecond,
    long flopsPerImage,
    long parametersTotal,
    long parametersActive,
    List<LayerRouting> layers,
    List<Double> validationCurve,
    RunExtras extras) {

  /**
   * The routing of one MoE layer on the test split.
   *
   * @param block the block index
   * @param droppedFraction fraction of tokens with no slot
   * @param loadCv coefficient of variation of tokens per expert
   * @param expertsPerToken mean experts a token reaches
   * @param tokensPerExpert tokens per expert (length E), mean over groups
   */
  public record LayerRouting(
      int block,
      double droppedFraction,
      double loadCv,
      double expertsPerToken,
      double[] tokensPerExpert) {}
}
