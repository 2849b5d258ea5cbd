package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import vimoe.moe.loss.AuxLosses;

/**
 * A sparse router: a {@link SelectionScore} and a {@link SelectionRule} from the registry. It
 * computes the score's gates, the capacity, the score on the host (CPU) or as tensor programs on
 * the logits' device, the rule's selection, the combine weights {@code Cmb = Dsp * gates}, and the
 * weighted auxiliary losses. {@link #referenceSlots} is the float64 reference the tests compare
 * against.
 */
final class SparseRouter implements Router {
  final RouterSpec spec;
  final SelectionScore score;
  final SelectionRule rule;

  SparseRouter(RouterSpec spec, SelectionScore score, SelectionRule rule) {
    this.spec = spec;
    this.score = score;
    this.rule = rule;
  }

  @Override
  public RouterSpec spec() {
    return spec;
  }

  @Override
  public RoutingPlan route(RouterLogits logits) {
    NDArray noisy = logits.noisy();
    Shape shape = noisy.getShape();
    if (shape.dimension() != 3) {
      throw new IllegalArgumentException(
          spec.router() + " needs logits of shape (G, S, E), got " + shape);
    }
    int tokens = (int) shape.get(1), experts = (int) shape.get(2);
    if (spec.k() > experts) {
      throw new IllegalArgumentException(
          "k = " + spec.k() + " exceeds the number of experts E = " + experts);
    }
    int capacity = Capacity.of(tokens, experts, spec);
    NDArray gates = score.gates(noisy); // (G, S, E)
    boolean positiveOnly = score.positiveOnly();
    NDArray bias = logits.bias(); // (E) or null
    double[] onHost = HostPaths.allowed(gates) ? score.onHost(gates, noisy, spec, capacity) : null;
    DeviceSelection.Selection chosen;
    if (onHost != null) {
      if (bias != null) {
        addBias(onHost, HostSelection.read(bias), gates.getDataType() == DataType.FLOAT32);
      }
      chosen = rule.onHost(onHost, shape, positiveOnly, spec, capacity, gates.getManager());
    } else {
      NDArray scores = score.onDevice(gates, noisy, spec, capacity);
      if (bias != null) {
        scores = scores.add(bias.stopGradient().toType(scores.getDataType(), false));
      }
      chosen = rule.onDevice(scores, positiveOnly, spec, capacity);
    }
    SparsePlan plan =
        new SparsePlan(
            chosen.slotToken(),
            chosen.tokenExpert(),
            chosen.tokenPosition(),
            rule.k(spec),
            gates,
            spec.normalizeGates(),
            auxLoss(logits, gates),
            rule.byExpert());
    if (bias != null) {
      plan.countRequests(chosen.tokenExpert());
    }
    if (logits.l1Weight() != null) {
      plan.setActiveGateFraction(
          gates
              .stopGradient()
              .gt(Scalars.constant(gates, 0))
              .toType(DataType.FLOAT32, false)
              .mean());
    }
    return plan;
  }

  /**
   * Adds a per-expert bias (E) to (G, S, E) scores in place, rounded to float32 where the scores
   * are float32 (so that the host selects on the very sums the device computes: a sum of two
   * float32 numbers is exact in float64, and its float32 rounding is the float32 sum).
   */
  static void addBias(double[] scores, double[] bias, boolean float32) {
    int experts = bias.length;
    for (int i = 0; i < scores.length; i++) {
      double v = scores[i] + bias[i % experts];
      scores[i] = float32 ? (float) v : v;
    }
  }

  /**
   * The float64 reference of {@link #route}'s selection on Java arrays, group by group.
   *
   * @param gates the score's gates, (G, S, E)
   * @param logits L~, (G, S, E)
   */
  GroupSlots[] referenceSlots(double[][][] gates, double[][][] logits, int capacity) {
    return referenceSlots(gates, logits, capacity, null, false);
  }

  /**
   * {@link #referenceSlots(double[][][], double[][][], int)} with a per-expert selection bias.
   *
   * @param bias (E) added to the score before selection, or {@code null}
   * @param float32 round the biased scores to float32, as the router does for float32 gates
   */
  GroupSlots[] referenceSlots(
      double[][][] gates, double[][][] logits, int capacity, double[] bias, boolean float32) {
    return IntStream.range(0, gates.length)
        .mapToObj(
            i -> {
              double[][] s = score.reference(gates[i], logits[i], spec, capacity);
              if (bias != null) {
                double[][] biased = new double[s.length][];
                for (int t = 0; t < s.length; t++) {
                  biased[t] = s[t].clone();
                  addBias(biased[t], bias, float32);
                }
                s = biased;
              }
              return rule.reference(s, score.positiveOnly(), spec, capacity);
            })
        .toArray(GroupSlots[]::new);
  }

  /** The weighted sum of the enabled auxiliary losses; a scalar 0 when none is enabled. */
  private NDArray auxLoss(RouterLogits logits, NDArray gates) {
    NDArray loss = null;
    if (spec.importanceWeight() > 0) {
      loss = plus(loss, Scalars.mul(AuxLosses.importance(gates), spec.importanceWeight()));
    }
    if (spec.loadWeight() > 0 && logits.noiseStd() > 0) {
      loss =
          plus(
              loss,
              Scalars.mul(
                  AuxLosses.load(logits.clean(), logits.noisy(), logits.noiseStd(), rule.k(spec)),
                  spec.loadWeight()));
    }
    if (spec.zLossWeight() > 0) {
      loss = plus(loss, Scalars.mul(AuxLosses.zLoss(logits.clean()), spec.zLossWeight()));
    }
    if (logits.l1Weight() != null) { // ReMoE: lambda * L1, lambda steered outside (no gradient)
      NDArray lambda = logits.l1Weight().stopGradient().toType(gates.getDataType(), false);
      loss = plus(loss, AuxLosses.reluL1(gates, rule.k(spec)).mul(lambda.reshape()));
    }
    return loss != null
        ? loss
        : gates.getManager().zeros(new Shape(), gates.getDataType(), gates.getDevice());
  }

  /** {@code a + b}, or {@code b} when there is no {@code a} yet. */
  private static NDArray plus(NDArray a, NDArray b) {
    return a == null ? b : a.add(b);
  }
}
