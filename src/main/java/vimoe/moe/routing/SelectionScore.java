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
            case SPARSE_OT_ROWS -> SparseTransport.rowSparse(
                    gates, spec.k(), spec.otIterations(), spec.otLearningRate());
            case SPARSE_OT_COLUMNS -> SparseTransport.columnSparse(
                    gates, capacity, spec.otIterations(), spec.otLearningRate());
        };
    }

    /**
     * The (G, S, E) scores of G groups on the device; no gradient flows through them.
     *
     * @param gates G, (G, S, E)
     * @param logits L~, (G, S, E)
     * @param capacity C
     */
    NDArray of(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
        return switch (this) {
            case GATES -> gates.stopGradient();
            case SINKHORN -> Sinkhorn.plans(logits, spec.sinkhornEpsilon(), spec.sinkhornIterations());
            case SPARSE_OT_ROWS -> SparseTransport.rowSparsePlans(
                    gates, spec.k(), spec.otIterations(), spec.otLearningRate());
            case SPARSE_OT_COLUMNS -> SparseTransport.columnSparsePlans(
                    gates, capacity, spec.otIterations(), spec.otLearningRate());
        };
    }

    /** Whether only entries with a positive score may be selected (the sparse plans' support). */
    boolean positiveOnly() {
        return this == SPARSE_OT_ROWS || this == SPARSE_OT_COLUMNS;
    }
}
