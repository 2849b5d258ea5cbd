package vimoe.run;

import com.fasterxml.jackson.annotation.JsonAlias;
import java.util.List;
import java.util.Map;
import vimoe.moe.routing.RoutingMetrics;

/**
 * {@code result.json}, written once, completely, when a run has finished: what was run, the
 * evaluation of the final model ({@link EvalResult}'s fields, in the same JSON form) and the
 * training cost. JSON names are the components' in snake_case ({@link RunJson#RESULTS}).
 *
 * @param router the router's name, or {@code dense}
 * @param seed the run's seed
 * @param epochs epochs trained
 * @param testAccuracy see {@link EvalResult}
 * @param validationAccuracy see {@link EvalResult}
 * @param classNames see {@link EvalResult}
 * @param perClassAccuracy see {@link EvalResult}
 * @param confusionMatrix see {@link EvalResult}
 * @param fewshotDataset see {@link EvalResult}
 * @param fewshot see {@link EvalResult}
 * @param parameters see {@link EvalResult}
 * @param flopsPerImage see {@link EvalResult}
 * @param inferenceImagesPerSecond see {@link EvalResult}
 * @param routing see {@link EvalResult}
 * @param trainImagesPerSecond training images per second over all the run's epochs, null when
 *     unknown (read from the {@code images_per_second} of earlier versions too)
 * @param elapsedSeconds wall time of the whole run, over all its processes
 */
public record RunResult(
    String router,
    long seed,
    int epochs,
    double testAccuracy,
    Double validationAccuracy,
    List<String> classNames,
    double[] perClassAccuracy,
    int[][] confusionMatrix,
    String fewshotDataset,
    Map<String, EvalResult.FewShot> fewshot,
    EvalResult.Parameters parameters,
    long flopsPerImage,
    double inferenceImagesPerSecond,
    Map<String, RoutingMetrics> routing,
    @JsonAlias("images_per_second") Double trainImagesPerSecond,
    double elapsedSeconds) {

  /** Copies the collections, so the record is immutable. */
  public RunResult {
    EvalResult e =
        new EvalResult(
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
            routing);
    classNames = e.classNames();
    fewshot = e.fewshot();
    routing = e.routing();
  }

  /** The result of a run from what it was and its final evaluation. */
  public static RunResult of(
      String router,
      long seed,
      int epochs,
      EvalResult e,
      Double trainImagesPerSecond,
      double elapsedSeconds) {
    return new RunResult(
        router,
        seed,
        epochs,
        e.testAccuracy(),
        e.validationAccuracy(),
        e.classNames(),
        e.perClassAccuracy(),
        e.confusionMatrix(),
        e.fewshotDataset(),
        e.fewshot(),
        e.parameters(),
        e.flopsPerImage(),
        e.inferenceImagesPerSecond(),
        e.routing(),
        trainImagesPerSecond,
        elapsedSeconds);
  }

  /** The evaluation part. */
  public EvalResult evaluation() {
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
        routing);
  }

  /** The few-shot probe's accuracy at {@code shots} shots, or null when it was not drawn. */
  public EvalResult.FewShot fewshot(int shots) {
    return fewshot.get(Integer.toString(shots));
  }
}
