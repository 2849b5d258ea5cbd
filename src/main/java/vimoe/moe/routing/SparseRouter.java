package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import vimoe.moe.loss.AuxLosses;

/**
 * What the sparse routers share: gates G = softmax(L~) over E, capacity, the selection as tensor
 * programs on the logits' device ({@link DeviceSelection}, batched over groups, no copy to the
 * host), the combine weights {@code Cmb = Dsp * G}, and the weighted auxiliary losses. Subclasses
 * only say how one group's scores fill its slots: on the device, and on Java arrays for the float64
 * reference ({@link #referenceSlots}) that the tests compare against.
 */
abstract sealed class SparseRouter implements Router permits TokenChoiceRouter, ExpertChoiceRouter {
  protected final RouterSpec spec;
  protected final SelectionScore score;

  SparseRouter(RouterSpec spec, SelectionScore score) {
    this.spec = spec;
    this.score = score;
  }

  @Override
  public RouterSpec spec() {
    return spec;
  }

  /** Fills one group's slots from its S x E scores (the Java-array reference). */
  abstract GroupSlots select(double[][] scores, int capacity);

  /**
   * Fills the slots of G groups from their (G, S, E) scores by tensor programs on their device
   * ({@link DeviceSelection}).
   */
  abstract DeviceSelection.Selection select(NDArray scores, int capacity);

  /**
   * Fills the slots of G groups from their (G, S, E) scores read to the host ({@link
   * HostSelection}).
   */
  abstract DeviceSelection.Selection select(
      double[] scores, Shape shape, int capacity, NDManager manager);

  /** K for the under-K metric and the load loss. */
  abstract int k();

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
    NDArray gates = noisy.softmax(2); // G, (G, S, E)
    double[] onHost = HostPaths.allowed(gates) ? score.onHost(gates, noisy, spec, capacity) : null;
    DeviceSelection.Selection chosen =
        onHost != null
            ? select(onHost, shape, capacity, gates.getManager())
            : select(score.onDevice(gates, noisy, spec, capacity), capacity);
    return new SparsePlan(
        chosen.slotToken(),
        chosen.tokenExpert(),
        chosen.tokenPosition(),
        k(),
        gates,
        spec.normalizeGates(),
        auxLoss(logits, gates),
        this instanceof ExpertChoiceRouter);
  }

  /**
   * The float64 reference of {@link #route}'s selection on Java arrays, group by group.
   *
   * @param gates G, (G, S, E)
   * @param logits L~, (G, S, E)
   */
  GroupSlots[] referenceSlots(double[][][] gates, double[][][] logits, int capacity) {
    return IntStream.range(0, gates.length)
        .mapToObj(i -> select(score.of(gates[i], logits[i], spec, capacity), capacity))
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
                  AuxLosses.load(logits.clean(), logits.noisy(), logits.noiseStd(), k()),
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

  /** Copies a (G, S, E) array into Java doubles. */
  static double[][][] toJava(NDArray a, int groups, int tokens, int experts) {
    double[] flat = a.toType(DataType.FLOAT64, false).toDoubleArray();
    double[][][] out = new double[groups][tokens][experts];
    int i = 0;
    for (double[][] group : out) {
      for (double[] row : group) {
        System.arraycopy(flat, i, row, 0, experts);
        i += experts;
      }
    }
    return out;
  }
}
