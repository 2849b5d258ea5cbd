package vimoe.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.metric.Metrics;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.evaluator.Accuracy;
import ai.djl.training.optimizer.Optimizer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import vimoe.model.Pooling;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.moe.routing.RoutingPlan;

/**
 * A ViT with vimoe's MoE layer trained by DJL's own {@link EasyTrain} with {@link
 * RoutingTelemetry}: the listener finds the layer, reports every batch, and what it reports agrees
 * with the layer's own plan.
 */
class RoutingTelemetryTest {

  @Test
  void easyTrainReportsTheRoutingOfTheLayersOwnPlan() throws Exception {
    // softmax-tc, K = 1, capacity factor 0.5: C = ceil(S * 0.5 / E), so tokens are turned away.
    RouterSpec router = RouterSpec.of("softmax-tc").toBuilder().optCapacityFactor(0.5).build();
    VitConfig config =
        new VitConfig(8, 1, 2, 16, 2, 2, 32, 3, Pooling.GAP, "last:1", router, 4, 16, 2);
    int images = 64, batch = 16;
    Random random = new Random(3);
    float[] pixels = new float[images * 64];
    float[] labels = new float[images];
    for (int i = 0; i < images; i++) {
      labels[i] = random.nextInt(3);
      for (int j = 0; j < 64; j++) {
        pixels[i * 64 + j] = (float) random.nextGaussian() + labels[i];
      }
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      ArrayDataset trainSet =
          new ArrayDataset.Builder()
              .setData(manager.create(pixels, new Shape(images, 1, 8, 8)))
              .optLabels(manager.create(labels, new Shape(images)))
              .setSampling(batch, true)
              .build();
      // README-TELEMETRY-BEGIN
      try (Model model = Model.newInstance("vit-moe")) {
        model.setBlock(new VisionTransformer(config)); // a ViT whose MLP blocks may be MoE layers
        RoutingTelemetry telemetry =
            new RoutingTelemetry(1, reports -> reports.values().forEach(System.out::println));
        DefaultTrainingConfig training =
            new DefaultTrainingConfig(new MoeLoss()) // cross-entropy plus the MoE auxiliary loss
                .optOptimizer(Optimizer.adam().build())
                .addEvaluator(new Accuracy())
                .addTrainingListeners(telemetry);
        Metrics metrics = new Metrics(); // the telemetry goes to DJL's metrics too
        try (Trainer trainer = model.newTrainer(training)) {
          trainer.setMetrics(metrics);
          trainer.initialize(new Shape(batch, 1, 8, 8));
          EasyTrain.fit(trainer, 2, trainSet, null);
        }
        // README-TELEMETRY-END
        for (String name :
            List.of("dropped_tokens", "router_entropy", "worst_overload", "load_cv")) {
          String metric = RoutingTelemetry.METRIC_PREFIX + "block1/" + name;
          assertEquals(2 * images / batch, metrics.getMetric(metric).size(), metric);
        }

        assertEquals(List.of("block1"), List.copyOf(telemetry.layers().keySet()));
        assertEquals(2 * images / batch, telemetry.reportedBatches()); // every batch, both epochs
        MoeLayer layer = telemetry.layers().get("block1");
        RoutingPlan plan = layer.lastPlan();
        RoutingMetrics routing = layer.lastMetrics();
        RoutingTelemetry.LayerReport last = telemetry.latest().get("block1");

        int groups = plan.groups(), tokens = plan.tokens(), experts = plan.experts();
        int capacity = plan.capacity();
        assertEquals(batch / 2, groups); // 2 images per group
        assertEquals(32, tokens); // 4 x 4 patches per image, 2 images
        assertEquals(4, capacity); // ceil(32 * 0.5 / 4)
        assertEquals(groups, last.groups());
        assertEquals(tokens, last.tokensPerGroup());
        assertEquals(capacity, last.capacity());

        // After capacity: the tokens each expert holds in the plan's own dispatch tensor.
        double[][][][] dispatch = plan.denseDispatch(); // (G, S, E, C)
        double[] heldMean = new double[experts];
        long dropped = 0;
        for (int g = 0; g < groups; g++) {
          for (int s = 0; s < tokens; s++) {
            double slots = 0;
            for (int e = 0; e < experts; e++) {
              for (int c = 0; c < capacity; c++) {
                heldMean[e] += dispatch[g][s][e][c] / groups;
                slots += dispatch[g][s][e][c];
              }
            }
            dropped += slots == 0 ? 1 : 0;
          }
        }
        assertArrayEquals(heldMean, last.tokensPerExpertAfter(), 1e-9);
        assertEquals(dropped, last.droppedTokens());
        assertEquals(routing.droppedFraction(), last.droppedFraction(), 1e-9);
        assertEquals(routing.gateEntropy(), last.routerEntropy(), 0);
        assertTrue(dropped > 0, "capacity factor 0.5 turns tokens away");

        // Before capacity, K = 1: every token asks for one expert, and an expert keeps the first C
        // of its requests, so per group held = min(requested, C) and the excess is dropped.
        double[][] requested = plan.expertLoad().requested();
        double[][] held = plan.expertLoad().held();
        double worst = 0, excess = 0, requestedMean = 0;
        for (int g = 0; g < groups; g++) {
          double asked = 0;
          for (int e = 0; e < experts; e++) {
            asked += requested[g][e];
            assertEquals(Math.min(requested[g][e], capacity), held[g][e], 0, "group " + g);
            excess += Math.max(0, requested[g][e] - capacity);
            worst = Math.max(worst, requested[g][e] / capacity);
          }
          assertEquals(tokens, asked, 0, "group " + g);
        }
        for (int e = 0; e < experts; e++) {
          requestedMean += last.tokensPerExpertBefore()[e];
        }
        assertEquals(tokens, requestedMean, 1e-9);
        assertEquals(excess, (double) dropped, 0);
        assertEquals(worst, last.worstOverload(), 1e-12);
        assertTrue(last.worstOverload() > 1);
        assertEquals(
            last.worstOverload(),
            metrics
                .latestMetric(RoutingTelemetry.METRIC_PREFIX + "block1/worst_overload")
                .getValue(),
            1e-12);
        assertEquals(capacity * last.worstOverload(), maxOf(requested, last.worstExpert()), 1e-9);

        // Spreads: over the (group, expert) counts.
        assertEquals(minOf(held), last.after().min(), 0);
        assertEquals(capacity, last.after().max(), 0);
        assertEquals(minOf(requested), last.before().min(), 0);
        assertEquals(worst * capacity, last.before().max(), 1e-9);
        assertEquals((double) tokens / experts, last.before().mean(), 1e-9);
        assertTrue(last.before().median() <= last.before().p90());
        assertTrue(
            last.toString().startsWith("block1: dropped " + dropped + " of "), last.toString());
      }
    }
  }

  private static double minOf(double[][] m) {
    double min = Double.POSITIVE_INFINITY;
    for (double[] row : m) {
      for (double v : row) {
        min = Math.min(min, v);
      }
    }
    return min;
  }

  private static double maxOf(double[][] m, int column) {
    double max = Double.NEGATIVE_INFINITY;
    for (double[] row : m) {
      max = Math.max(max, row[column]);
    }
    return max;
  }
}
