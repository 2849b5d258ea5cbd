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
import vimoe.train.RunConfig;

/**
 * The final numbers of a trained model, as {@code result.json} reports them: test and validation
 * accuracy, per-class accuracy and confusion matrix, the few-shot linear probe, parameters and
 * FLOPs, and the routing statistics of every MoE layer on the test set.
 */
public final class Evaluation {
    /** Shot counts of the few-shot probe (the routers paper's 1, 5, 10 and 25). */
    public static final int[] SHOTS = {1, 5, 10, 25};
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
    public static Map<String, Object> evaluate(VisionTransformer model, RunConfig config, ImageSet train,
            ImageSet validation, ImageSet test, double validationAccuracy, FewShotData fewShot, NDManager manager,
            PrintStream log) {
        Map<String, Object> result = new LinkedHashMap<>();
        float[] mean = config.mean(), std = config.std();
        log.println("evaluating on " + test.size() + " test images...");
        Evaluator.Pass testPass = Evaluator.run(model, test, mean, std, 256, manager, false, true);
        result.put("test_accuracy", testPass.accuracy());
        result.put("validation_accuracy", validation.size() == 0 ? null
                : !Double.isNaN(validationAccuracy) ? validationAccuracy
                : Evaluator.run(model, validation, mean, std, 256, manager, false, false).accuracy());
        int classes = config.model().numClasses();
        int[][] confusion = Evaluator.confusion(test.labels(), testPass.predictions(), classes);
        result.put("class_names", config.classNames());
        result.put("per_class_accuracy", Evaluator.perClassAccuracy(confusion));
        result.put("confusion_matrix", confusion);
        if (fewShot == null) {
            result.put("fewshot_dataset", config.dataset());
            result.put("fewshot", fewShot(model, config, train, test, testPass.features(), manager, log));
        } else {
            log.println("few-shot features of " + fewShot.name() + " (" + fewShot.test().size() + " test images)...");
            double[][] testFeatures = Evaluator.run(model, fewShot.test(), mean, std, 256, manager, false, true)
                    .features();
            result.put("fewshot_dataset", fewShot.name());
            result.put("fewshot", fewShot(model, config, fewShot.train(), fewShot.test(), testFeatures, manager, log));
        }
        ModelInfo info = ModelInfo.of(config.model());
        result.put("parameters", Map.of("total", info.totalParameters(), "active", info.activeParametersPerToken()));
        result.put("flops_per_image", info.flopsPerImage());
        result.put("inference_images_per_second", testPass.imagesPerSecond());
        result.put("routing", routingByBlock(model.moeBlockIndices(), testPass.routing()));
        return result;
    }

    /** The few-shot probe: shots from the first {@link #POOL} images of {@code train}, scored on {@code test}. */
    private static Map<String, Object> fewShot(VisionTransformer model, RunConfig config, ImageSet train,
            ImageSet test, double[][] testFeatures, NDManager manager, PrintStream log) {
        ImageSet pool = train.head(Math.min(POOL, train.size()));
        int minPerClass = java.util.Arrays.stream(pool.classCounts()).min().orElse(0);
        Map<String, Object> out = new LinkedHashMap<>();
        int[] shots = java.util.Arrays.stream(SHOTS).filter(s -> s <= minPerClass).toArray();
        if (shots.length == 0) {
            log.println("few-shot probe skipped: a class has only " + minPerClass + " training images");
            return out;
        }
        log.println("few-shot linear probe (" + DRAWS + " draws of " + java.util.Arrays.toString(shots) + " shots)...");
        double[][] poolFeatures = Evaluator.run(model, pool, config.mean(), config.std(), 256, manager, false, true)
                .features();
        for (FewShotProbe.ShotResult r : FewShotProbe.evaluate(poolFeatures, pool.labels(), testFeatures,
                test.labels(), pool.numClasses(), shots, DRAWS, config.train().seed(),
                FewShotProbe.DEFAULT_LAMBDA)) {
            out.put(Integer.toString(r.shots()), Map.of("mean", r.mean(), "std", r.std()));
        }
        return out;
    }

    /** The routing metrics of the MoE layers as a map keyed by block, for reports. */
    public static Map<String, Object> routingByBlock(List<Integer> blocks, List<RoutingMetrics> metrics) {
        Map<String, Object> routing = new LinkedHashMap<>();
        for (int l = 0; l < metrics.size(); l++) {
            routing.put("block" + blocks.get(l), metrics.get(l).toMap());
        }
        return routing;
    }
}
