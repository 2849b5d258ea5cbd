package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/**
 * What a sparse router ranks by when it fills slots: the gates themselves, or a balanced transport
 * plan computed from them. No gradient flows through a score: it only selects; the combine weights
 * are always the softmax gates G.
 */
public enum SelectionScore {
  /** The gates G = softmax(L~) (Softmax Token / Expert Choice). */
  GATES,
  /** The Sinkhorn plan of L~, eps and T from the spec (S-BASE). */
  SINKHORN,
  /** The row-sparse (at most K per token) k-sparse OT plan of Sim = G (no noise). */
  SPARSE_OT_ROWS,
  /** The column-sparse (at most C per expert) k-sparse OT plan of Sim = G (no noise). */
  SPARSE_OT_COLUMNS;

  /**
   * The S x E score of one group.
   *
   * @param gates G of the group, S x E
   * @param logits L~ of the group, S x E
   * @param capacity C
   */
  double[][] of(double[][] gates, double[][] logits, RouterSpec spec, int capacity) {
    return switch (this) {
      case GATES -> gates;
      case SINKHORN -> Sinkhorn.plan(logits, spec.sinkhornEpsilon(), spec.sinkhornIterations());
      case SPARSE_OT_ROWS ->
          SparseTransport.rowSparse(gates, spec.k(), spec.otIterations(), spec.otLearningRate());
      case SPARSE_OT_COLUMNS ->
          SparseTransport.columnSparse(gates, capacity, spec.otIterations(), spec.otLearningRate());
    };
  }

  /**
   * The (G, S, E) scores of G groups read to the host, for gates on a CPU, or {@code null} where
   * the gates (Sinkhorn: the logits) are not finite: a diverged model then takes the tensor program
   * ({@link #onDevice}), which passes the NaN on to the loss instead of failing.
   *
   * <p>The Sinkhorn and k-sparse OT scores come from the Java-array solvers, group by group in
   * parallel. Their tensor programs spend two (Sinkhorn) and some 40 (OT) engine calls per
   * iteration on small (G, S, E) tensors: on 2 cores, micro (G = 128, S = 49, E = 8), one MoE
   * layer's forward pass took 20 ms against 5 ms (Sinkhorn) and 270 ms against 50 ms on a loaded
   * machine (OT). On a CPU reading the gates is a memory copy, not the wait for a queue that it is
   * on a GPU.
   *
   * @param gates G, (G, S, E)
   * @param logits L~, (G, S, E)
   * @param capacity C
   * @return row-major (G, S, E) scores
   */
  double[] onHost(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    double[] read = HostSelection.read(this == SINKHORN ? logits : gates);
    if (this == GATES || read == null) {
      return read;
    }
    ai.djl.ndarray.types.Shape shape = gates.getShape();
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    return switch (this) {
      case SINKHORN ->
          Sinkhorn.planGroups(
              read, groups, tokens, experts, spec.sinkhornEpsilon(), spec.sinkhornIterations());
      case SPARSE_OT_ROWS ->
          SparseTransport.rowSparseGroups(
              read, groups, tokens, experts, spec.k(), spec.otIterations(), spec.otLearningRate());
      case SPARSE_OT_COLUMNS ->
          SparseTransport.columnSparseGroups(
              read, groups, tokens, experts, capacity, spec.otIterations(), spec.otLearningRate());
      case GATES -> throw new AssertionError();
    };
  }

  /**
   * The scores as tensor programs on the gates' device, no gradient flowing through them (GPUs, and
   * non-finite gates on a CPU).
   */
  NDArray onDevice(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    return switch (this) {
      case GATES -> gates.stopGradient();
      case SINKHORN -> Sinkhorn.plans(logits, spec.sinkhornEpsilon(), spec.sinkhornIterations());
      case SPARSE_OT_ROWS ->
          SparseTransport.rowSparsePlans(
              gates, spec.k(), spec.otIterations(), spec.otLearningRate());
      case SPARSE_OT_COLUMNS ->
          SparseTransport.columnSparsePlans(
              gates, capacity, spec.otIterations(), spec.otLearningRate());
    };
  }

  /** Whether only entries with a positive score may be selected (the sparse plans' support). */
  boolean positiveOnly() {
    return this == SPARSE_OT_ROWS || this == SPARSE_OT_COLUMNS;
  }
}
