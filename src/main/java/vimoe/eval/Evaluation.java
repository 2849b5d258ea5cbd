package vimoe.eval;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vimoe.data.ImageSet;
import vimoe.model.ModelInfo;
import vimoe.model.VisionTransformer;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.run.EvalResult;
import vimoe.run.RunConfig;

/**
 * The final numbers of a trained model, as {@code result.json} reports them: test and validation
 * accuracy, per-class accuracy and confusion matrix, the few-shot linear probe, parameters and
 * FLOPs, and the routing statistics of every MoE layer on the test set.
 */
public final class Evaluation {
  /** Shot counts of the few-shot probe (the routers paper's 1, 5, 10 and 25). */
  private static final int[] SHOTS = {1, 5, 10, 25};

  /** Random draws per shot count. */
  public static final int DRAWS = 5;

  /** Training images whose features form the pool the shots are drawn from. */
  public static final int POOL = 5000;

  private Evaluation() {}

  /**
   * Evaluates {@code model}; {@code validation} may be empty. Progress lines go to {@code log}.
   *
   * @param validationAccuracy the accuracy on {@code validation} when the caller has just measured
   *     it on the same model, NaN to measure it here
   * @param fewShot the few-shot probe's data, or null for the training dataset ({@code train} and
   *     {@code test})
   */
  public static EvalResult evaluate(
      VisionTransformer model,
      RunConfig config,
      ImageSet train,
      ImageSet validation,
      ImageSet test,
      double validationAccuracy,
      FewShotData fewShot,
      NDManager manager,
      PrintStream log) {
    float[] mean = config.mean(), std = config.std();
    log.println("evaluating on " + test.size() + " test images...");
    Evaluator.Pass testPass = Evaluator.run(model, test, mean, std, 256, manager, false, true);
    Double validated =
        validation.size() == 0
            ? null
            : !Double.isNaN(validationAccuracy)
                ? validationAccuracy
                : Evaluator.run(model, validation, mean, std, 256, manager, false, false)
                    .accuracy();
    int classes = config.model().numClasses();
    int[][] confusion = Evaluator.confusion(test.labels(), testPass.predictions(), classes);
    String fewShotName;
    Map<String, EvalResult.FewShot> fewShotResult;
    if (fewShot == null) {
      fewShotName = config.dataset();
      fewShotResult = fewShot(model, config, train, test, testPass.features(), manager, log);
    } else {
      log.println(
          "few-shot features of "
              + fewShot.name()
              + " ("
              + fewShot.test().size()
              + " test images)...");
      double[][] testFeatures =
          Evaluator.run(model, fewShot.test(), mean, std, 256, manager, false, true).features();
      fewShotName = fewShot.name();
      fewShotResult =
          fewShot(model, config, fewShot.train(), fewShot.test(), testFeatures, manager, log);
    }
    ModelInfo info = ModelInfo.of(config.model());
    return new EvalResult(
        testPass.accuracy(),
        validated,
        config.classNames(),
        Evaluator.perClassAccuracy(confusion),
        confusion,
        fewShotName,
        fewShotResult,
        new EvalResult.Parameters(info.totalParameters(), info.activeParametersPerToken()),
        info.flopsPerImage(),
        testPass.imagesPerSecond(),
        routingByBlock(model.moeBlockIndices(), testPass.routing()));
  }

  /**
   * The few-shot probe: shots from the first {@link #POOL} images of {@code train}, scored on
   * {@code test}.
   */
  private static Map<String, EvalResult.FewShot> fewShot(
      VisionTransformer model,
      RunConfig config,
      ImageSet train,
      ImageSet test,
      double[][] testFeatures,
      NDManager manager,
      PrintStream log) {
    ImageSet pool = train.head(Math.min(POOL, train.size()));
    int minPerClass = java.util.Arrays.stream(pool.classCounts()).min().orElse(0);
    Map<String, EvalResult.FewShot> out = new LinkedHashMap<>();
    int[] shots = java.util.Arrays.stream(SHOTS).filter(s -> s <= minPerClass).toArray();
    if (shots.length == 0) {
      log.println("few-shot probe skipped: a class has only " + minPerClass + " training images");
      return out;
    }
    log.println(
        "few-shot linear probe ("
            + DRAWS
            + " draws of "
            + java.util.Arrays.toString(shots)
            + " shots)...");
    double[][] poolFeatures =
        Evaluator.run(model, pool, config.mean(), config.std(), 256, manager, false, true)
            .features();
    for (FewShotProbe.ShotResult r :
        FewShotProbe.evaluate(
            poolFeatures,
            pool.labels(),
            testFeatures,
            test.labels(),
            pool.numClasses(),
            shots,
            DRAWS,
            config.train().seed(),
            FewShotProbe.DEFAULT_LAMBDA)) {
      out.put(Integer.toString(r.shots()), new EvalResult.FewShot(r.mean(), r.std()));
    }
    return out;
  }

  /** The routing metrics of the MoE layers keyed by block ("block4", ...), for reports. */
  public static Map<String, RoutingMetrics> routingByBlock(
      List<Integer> blocks, List<RoutingMetrics> metrics) {
    Map<String, RoutingMetrics> routing = new LinkedHashMap<>();
    for (int l = 0; l < metrics.size(); l++) {
      routing.put("block" + blocks.get(l), metrics.get(l));
    }
    return routing;
  }
}
