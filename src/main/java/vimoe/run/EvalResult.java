package vimoe.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import vimoe.moe.routing.RoutingMetrics;

/**
 * The numbers of one evaluation of a trained model, {@code eval.json} (and the evaluation part of
 * {@code result.json}); JSON names are the components' in snake_case ({@link RunJson#RESULTS}).
 *
 * @param testAccuracy top-1 accuracy (precision@1) on the test split
 * @param validationAccuracy top-1 accuracy on the validation split, null without one
 * @param classNames the class names, in label order
 * @param perClassAccuracy per class, the fraction of its test images classified right (NaN for a
 *     class with none)
 * @param confusionMatrix [true class][predicted class] counts on the test split
 * @param fewshotDataset the dataset spec the few-shot probe ran on
 * @param fewshot per shot count ("1", "5", "10", "25"), the probe's accuracy over draws (only the
 *     counts every class allowed)
 * @param parameters the model's parameter counts
 * @param flopsPerImage FLOPs of one forward pass of one image
 * @param inferenceImagesPerSecond images per second of the test pass
 * @param routing per MoE block ("block4", ...), its routing metrics averaged over the test split
 * @param capacityFactor the capacity factor the model was evaluated at when {@code eval
 *     --capacity-factor} changed it from the trained one; null (and left out of the JSON) otherwise
 */
public record EvalResult(
    double testAccuracy,
    Double validationAccuracy,
    List<String> classNames,
    double[] perClassAccuracy,
    int[][] confusionMatrix,
    String fewshotDataset,
    Map<String, FewShot> fewshot,
    Parameters parameters,
    long flopsPerImage,
    double inferenceImagesPerSecond,
    Map<String, RoutingMetrics> routing,
    @JsonInclude(JsonInclude.Include.NON_NULL) Double capacityFactor) {

  /** Copies the collections, so the record is immutable. */
  public EvalResult {
    classNames = classNames == null ? null : List.copyOf(classNames);
    fewshot =
        fewshot == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fewshot));
    routing =
        routing == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(routing));
  }

  /** An evaluation at the trained capacity factor. */
  public EvalResult(
      double testAccuracy,
      Double validationAccuracy,
      List<String> classNames,
      double[] perClassAccuracy,
      int[][] confusionMatrix,
      String fewshotDataset,
      Map<String, FewShot> fewshot,
      Parameters parameters,
      long flopsPerImage,
      double inferenceImagesPerSecond,
      Map<String, RoutingMetrics> routing) {
    this(
        testAccuracy,
        validationAccuracy,
        classNames,
        perClassAccuracy,
        confusionMatrix,
        fewshotDataset,
        fewshot,
        parameters,
        flopsPerImage,
        inferenceImagesPerSecond,
        routing,
        null);
  }

  /** This evaluation, recorded as made at capacity factor {@code cf} (null: the trained one). */
  public EvalResult withCapacityFactor(Double cf) {
    return new EvalResult(
        testAccuracy,
        validationAccuracy,
        classNames,
        perClassAccuracy,
        confusionMatrix,
        fewshotDataset,
        fewshot,
        parameters,
        flopsPerImage,
        inferenceImagesPerSecond,
        routing,
        cf);
  }

  /**
   * The few-shot probe's accuracy at one shot count.
   *
   * @param mean mean accuracy over the draws
   * @param std standard deviation over the draws
   */
  public record FewShot(double mean, double std) {}

  /**
   * Parameter counts.
   *
   * @param total all parameters
   * @param active parameters applied to one token (one expert per MoE layer and choice)
   */
  public record Parameters(long total, long active) {}
}
