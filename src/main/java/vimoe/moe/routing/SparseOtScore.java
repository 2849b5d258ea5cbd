package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The k-sparse OT plan of Sim = G as the score (arXiv 2209.15466, docs/routing.md "k-sparse optimal
 * transport"): under Token Choice row-sparse with k = K, otherwise column-sparse with k = C. Only
 * entries with Pi > 0 may be selected. The three forms are in {@link SparseTransport}.
 *
 * <p>On the host the Java-array solver runs group by group in parallel: its tensor program spends
 * some 40 engine calls per iteration on small tensors (on a loaded 2-core machine, micro, one MoE
 * layer's forward pass took 270 ms against 50 ms).
 */
final class SparseOtScore extends SelectionScore {

  @Override
  public String id() {
    return "sparse-ot";
  }

  @Override
  public boolean computed() {
    return true;
  }

  @Override
  public boolean noisy() {
    return false;
  }

  @Override
  public boolean positiveOnly() {
    return true;
  }

  /** Whether the plan keeps at most K entries per token (else at most C per expert). */
  private static boolean rows(RouterSpec spec) {
    return spec.family() == Family.TOKEN_CHOICE;
  }

  @Override
  double[][] reference(double[][] gates, double[][] logits, RouterSpec spec, int capacity) {
    return rows(spec)
        ? SparseTransport.rowSparse(gates, spec.k(), spec.otIterations(), spec.otLearningRate())
        : SparseTransport.columnSparse(gates, capacity, spec.otIterations(), spec.otLearningRate());
  }

  @Override
  double[] onHost(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    double[] read = HostSelection.read(gates);
    if (read == null) {
      return null;
    }
    Shape shape = gates.getShape();
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    return rows(spec)
        ? SparseTransport.rowSparseGroups(
            read, groups, tokens, experts, spec.k(), spec.otIterations(), spec.otLearningRate())
        : SparseTransport.columnSparseGroups(
            read, groups, tokens, experts, capacity, spec.otIterations(), spec.otLearningRate());
  }

  @Override
  NDArray onDevice(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    return rows(spec)
        ? SparseTransport.rowSparsePlans(
            gates, spec.k(), spec.otIterations(), spec.otLearningRate())
        : SparseTransport.columnSparsePlans(
            gates, capacity, spec.otIterations(), spec.otLearningRate());
  }
}
