package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
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
    double[] onHost = HostPaths.allowed(gates) ? score.onHost(gates, noisy, spec, capacity) : null;
    DeviceSelection.Selection chosen =
        onHost != null
            ? rule.onHost(onHost, shape, positiveOnly, spec, capacity, gates.getManager())
            : rule.onDevice(
                score.onDevice(gates, noisy, spec, capacity), positiveOnly, spec, capacity);
    return new SparsePlan(
        chosen.slotToken(),
        chosen.tokenExpert(),
        chosen.tokenPosition(),
        rule.k(spec),
        gates,
        spec.normalizeGates(),
        auxLoss(logits, gates),
        rule.byExpert());
  }

  /**
   * The float64 reference of {@link #route}'s selection on Java arrays, group by group.
   *
   * @param gates the score's gates, (G, S, E)
   * @param logits L~, (G, S, E)
   */
  GroupSlots[] referenceSlots(double[][][] gates, double[][][] logits, int capacity) {
    return IntStream.range(0, gates.length)
        .mapToObj(
            i ->
                rule.reference(
                    score.reference(gates[i], logits[i], spec, capacity),
                    score.positiveOnly(),
                    spec,
                    capacity))
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
    return loss != null
        ? loss
        : gates.getManager().zeros(new Shape(), gates.getDataType(), gates.getDevice());
  }

  /** {@code a + b}, or {@code b} when there is no {@code a} yet. */
  private static NDArray plus(NDArray a, NDArray b) {
    return a == null ? b : a.add(b);
  }
}
