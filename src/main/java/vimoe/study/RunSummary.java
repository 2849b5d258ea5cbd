package vimoe.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import vimoe.run.EvalResult;
import vimoe.run.MetricsLog;
import vimoe.run.RunDir;
import vimoe.run.RunResult;

/**
 * The numbers of one finished run, read from its directory ({@code result.json}, and the per-epoch
 * validation accuracy from {@code metrics.jsonl}).
 *
 * @param name the run directory's name
 * @param router the router, or {@code dense}
 * @param epochs epochs trained
 * @param seed the run's seed
 * @param testAccuracy top-1 accuracy on the test split
 * @param validationAccuracy top-1 accuracy on the validation split (NaN without one)
 * @param tenShotMean mean 10-shot probe accuracy (NaN when not drawn)
 * @param tenShotStd its standard deviation over draws (NaN when not drawn)
 * @param elapsedSeconds wall time of the whole run
 * @param imagesPerSecond training throughput (NaN when unknown)
 * @param parametersTotal all parameters
 * @param parametersActive parameters applied to one token
 * @param flopsPerImage FLOPs of one forward pass
 * @param validationCurve validation accuracy after each epoch, epoch 1 first (NaN where absent)
 */
public record RunSummary(
    String name,
    String router,
    int epochs,
    long seed,
    double testAccuracy,
    double validationAccuracy,
    double tenShotMean,
    double tenShotStd,
    double elapsedSeconds,
    double imagesPerSecond,
    long parametersTotal,
    long parametersActive,
    long flopsPerImage,
    List<Double> validationCurve) {

  /**
   * Reads the run in {@code dir}.
   *
   * @throws IOException naming the directory and what to do when it is not a finished run or its
   *     files are not valid JSON
   */
  public static RunSummary read(Path dir) throws IOException {
    RunResult r = RunDir.readResult(dir);
    List<Double> curve = new MetricsLog(dir.resolve(RunDir.METRICS)).validationCurve();
    EvalResult.FewShot ten = r.fewshot(10);
    return new RunSummary(
        dir.toAbsolutePath().normalize().getFileName().toString(),
        r.router(),
        r.epochs() > 0 ? r.epochs() : curve.size(),
        r.seed(),
        r.testAccuracy(),
        orNaN(r.validationAccuracy()),
        ten == null ? Double.NaN : ten.mean(),
        ten == null ? Double.NaN : ten.std(),
        r.elapsedSeconds(),
        orNaN(r.trainImagesPerSecond()),
        r.parameters().total(),
        r.parameters().active(),
        r.flopsPerImage(),
        List.copyOf(curve));
  }

  private static double orNaN(Double v) {
    return v == null ? Double.NaN : v;
  }
}
