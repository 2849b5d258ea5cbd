package vimoe.djl;

import ai.djl.metric.Metrics;
import ai.djl.nn.Block;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.ExpertLoad;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.moe.routing.RoutingPlan;

/**
 * Routing telemetry for any DJL {@link Trainer} whose model holds vimoe {@link MoeLayer}s: after
 * every {@code every}-th training batch it reads each layer's plan and reports, per layer, the
 * tokens per expert before and after capacity with their spread and percentiles, the dropped
 * tokens, the router's gate entropy and the worst expert's overload ({@link LayerReport}).
 *
 * <p>The layers are found in the block tree when training begins and labelled by their path ({@code
 * block4} for the MoE layer of a ViT's block 4). Each report also goes to the trainer's {@link
 * Metrics}, when it has one ({@link #METRIC_PREFIX}). Reading a plan waits for the device, so
 * report every few batches on an accelerator.
 *
 * <pre>{@code
 * RoutingTelemetry telemetry = new RoutingTelemetry(10, report -> System.out.println(report));
 * DefaultTrainingConfig config =
 *     new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).addTrainingListeners(telemetry);
 * }</pre>
 */
public final class RoutingTelemetry extends TrainingListenerAdapter {
  /**
   * Prefix of the metrics added to a trainer's {@link Metrics} (when it has one): {@code
   * moe/LAYER/dropped_tokens}, {@code router_entropy}, {@code worst_overload} and {@code load_cv}
   * (the coefficient of variation of the tokens experts hold).
   */
  public static final String METRIC_PREFIX = "moe/";

  private final int every;
  private final Consumer<Map<String, LayerReport>> sink;
  private final Map<String, MoeLayer> layers = new LinkedHashMap<>();
  private Map<String, LayerReport> latest = Map.of();
  private int batches;
  private int reported;

  /**
   * A listener that reports after every {@code every}-th training batch to {@code sink} (the
   * reports of all layers of one batch, by label).
   */
  public RoutingTelemetry(int every, Consumer<Map<String, LayerReport>> sink) {
    if (every < 1) {
      throw new IllegalArgumentException("every must be >= 1, got " + every);
    }
    this.every = every;
    this.sink = sink;
  }

  /** A listener that reports after every training batch, kept for {@link #latest()} only. */
  public RoutingTelemetry() {
    this(1, reports -> {});
  }

  /** The MoE layers of the trainer's model, by label; read when training begins. */
  public Map<String, MoeLayer> layers() {
    return Collections.unmodifiableMap(layers);
  }

  /** The training batches reported since training began. */
  public int reportedBatches() {
    return reported;
  }

  /** The reports of the most recent reported batch, by layer label (empty before the first). */
  public Map<String, LayerReport> latest() {
    return latest;
  }

  @Override
  public void onTrainingBegin(Trainer trainer) {
    layers.clear();
    collect(trainer.getModel().getBlock(), "", layers);
    batches = 0;
    reported = 0;
  }

  @Override
  public void onTrainingBatch(Trainer trainer, TrainingListener.BatchData batchData) {
    if (layers.isEmpty()) { // a trainer that skipped onTrainingBegin
      collect(trainer.getModel().getBlock(), "", layers);
    }
    if (++batches % every != 0) {
      return;
    }
    Map<String, LayerReport> reports = new LinkedHashMap<>();
    for (Map.Entry<String, MoeLayer> e : layers.entrySet()) {
      RoutingPlan plan = e.getValue().lastPlan();
      if (plan != null) {
        reports.put(e.getKey(), LayerReport.of(e.getKey(), plan, e.getValue().lastMetrics()));
      }
    }
    latest = Collections.unmodifiableMap(reports);
    reported++;
    Metrics metrics = trainer.getMetrics();
    if (metrics != null) {
      for (LayerReport r : reports.values()) {
        metrics.addMetric(METRIC_PREFIX + r.layer() + "/dropped_tokens", r.droppedTokens());
        metrics.addMetric(METRIC_PREFIX + r.layer() + "/router_entropy", r.routerEntropy());
        metrics.addMetric(METRIC_PREFIX + r.layer() + "/worst_overload", r.worstOverload());
        metrics.addMetric(METRIC_PREFIX + r.layer() + "/load_cv", r.after().cv());
      }
    }
    sink.accept(latest);
  }

  /**
   * Adds the MoE layers under {@code block} with their labels: the child names along the path,
   * without DJL's numeric prefixes, joined by "/"; a layer named {@code moe} takes its parent's
   * label.
   */
  static void collect(Block block, String path, Map<String, MoeLayer> out) {
    if (block instanceof MoeLayer moe) {
      out.put(path.isEmpty() ? "moe" : path, moe);
      return;
    }
    for (Pair<String, Block> child : block.getChildren()) {
      String name = child.getKey().replaceFirst("^\\d+", "");
      String label =
          child.getValue() instanceof MoeLayer && name.equals("moe") && !path.isEmpty()
              ? path
              : path.isEmpty() ? name : path + "/" + name;
      collect(child.getValue(), label, out);
    }
  }

  /**
   * A distribution of tokens per expert over the (group, expert) pairs of a batch.
   *
   * @param min smallest
   * @param p10 10th percentile
   * @param median 50th percentile
   * @param p90 90th percentile
   * @param max largest
   * @param mean mean
   * @param cv coefficient of variation (population standard deviation / mean; 0 when the mean is)
   */
  public record Spread(
      double min, double p10, double median, double p90, double max, double mean, double cv) {

    /** The spread of the entries of {@code perGroup} (G, E). */
    static Spread of(double[][] perGroup) {
      DescriptiveStatistics s = new DescriptiveStatistics();
      for (double[] row : perGroup) {
        for (double v : row) {
          s.addValue(v);
        }
      }
      double mean = s.getMean();
      return new Spread(
          s.getMin(),
          s.getPercentile(10),
          s.getPercentile(50),
          s.getPercentile(90),
          s.getMax(),
          mean,
          mean > 0 ? Math.sqrt(s.getPopulationVariance()) / mean : 0);
    }
  }

  /**
   * The routing of one MoE layer on one batch.
   *
   * @param layer the layer's label
   * @param groups G, routing groups in the batch
   * @param tokensPerGroup S
   * @param capacity C, slots per expert and group
   * @param tokensPerExpertBefore per expert, the tokens that asked for it before capacity, mean
   *     over groups ({@link ExpertLoad#requested()})
   * @param tokensPerExpertAfter per expert, the tokens it holds after capacity, mean over groups
   * @param before the spread of the tokens asking for an expert, over (group, expert)
   * @param after the spread of the tokens an expert holds, over (group, expert)
   * @param droppedTokens tokens of the batch that no expert holds
   * @param droppedFraction droppedTokens / (G * S)
   * @param routerEntropy mean over tokens of the entropy (nats) of the router's gates
   * @param worstExpert the expert most asked for relative to its capacity
   * @param worstOverload its requests over its capacity C in the group where that ratio is largest
   *     (above 1: tokens were turned away)
   */
  public record LayerReport(
      String layer,
      int groups,
      int tokensPerGroup,
      int capacity,
      double[] tokensPerExpertBefore,
      double[] tokensPerExpertAfter,
      Spread before,
      Spread after,
      long droppedTokens,
      double droppedFraction,
      double routerEntropy,
      int worstExpert,
      double worstOverload) {

    /** The report of {@code plan}, whose metrics are {@code metrics}. */
    static LayerReport of(String layer, RoutingPlan plan, RoutingMetrics metrics) {
      ExpertLoad load = plan.expertLoad();
      int g = plan.groups(), s = plan.tokens(), c = load.capacity();
      int worst = 0;
      double overload = Double.NEGATIVE_INFINITY;
      for (double[] row : load.requested()) {
        for (int e = 0; e < row.length; e++) {
          if (row[e] / c > overload) {
            overload = row[e] / c;
            worst = e;
          }
        }
      }
      long dropped = Math.round(metrics.droppedFraction() * g * s);
      return new LayerReport(
          layer,
          g,
          s,
          c,
          meanOverGroups(load.requested()),
          meanOverGroups(load.held()),
          Spread.of(load.requested()),
          Spread.of(load.held()),
          dropped,
          (double) dropped / ((long) g * s),
          metrics.gateEntropy(),
          worst,
          overload);
    }

    private static double[] meanOverGroups(double[][] perGroup) {
      double[] out = new double[perGroup[0].length];
      for (double[] row : perGroup) {
        for (int e = 0; e < out.length; e++) {
          out[e] += row[e] / perGroup.length;
        }
      }
      return out;
    }

    /** One line: dropped tokens, entropy, overload and the spread after capacity. */
    @Override
    public String toString() {
      return String.format(
          java.util.Locale.ROOT,
          "%s: dropped %d of %d tokens, gate entropy %.3f, worst overload %.2f (expert %d), "
              + "tokens per expert before capacity %.1f..%.1f (median %.1f), after %.1f..%.1f "
              + "(median %.1f, cv %.3f)",
          layer,
          droppedTokens,
          (long) groups * tokensPerGroup,
          routerEntropy,
          worstOverload,
          worstExpert,
          before.min(),
          before.max(),
          before.median(),
          after.min(),
          after.max(),
          after.median(),
          after.cv());
    }
  }

  /** The labels of the MoE layers under {@code block}, in block order. */
  public static List<String> labels(Block block) {
    Map<String, MoeLayer> out = new LinkedHashMap<>();
    collect(block, "", out);
    return new ArrayList<>(out.keySet());
  }
}
