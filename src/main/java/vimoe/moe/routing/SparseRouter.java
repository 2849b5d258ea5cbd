package vimoe.moe.routing;

import vimoe.moe.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;
import vimoe.moe.Capacity;
import vimoe.moe.GroupSlots;
import vimoe.moe.RoutingPlan;
import vimoe.moe.SparsePlan;
import vimoe.moe.loss.AuxLosses;

/**
 * What the sparse routers share: gates G = softmax(L~) over E, capacity, the per-group selection on
 * Java arrays (groups in parallel), the combine weights {@code Cmb = Dsp * G}, and the weighted
 * auxiliary losses. Subclasses only say how one group's scores fill its slots.
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

    /** Fills one group's slots from its S x E scores. */
    abstract GroupSlots select(double[][] scores, int capacity);

    /** K for the under-K metric and the load loss. */
    abstract int k();

    @Override
    public RoutingPlan route(RouterLogits logits) {
        NDArray noisy = logits.noisy();
        Shape shape = noisy.getShape();
        if (shape.dimension() != 3) {
            throw new IllegalArgumentException(spec.router() + " needs logits of shape (G, S, E), got " + shape);
        }
        int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
        if (spec.k() > experts) {
            throw new IllegalArgumentException(
                    "k = " + spec.k() + " exceeds the number of experts E = " + experts);
        }
        int capacity = Capacity.of(tokens, experts, spec);
        NDArray gates = noisy.softmax(2); // G, (G, S, E)
        double[][][] g = toJava(gates, groups, tokens, experts);
        double[][][] l = score == SelectionScore.SINKHORN ? toJava(noisy, groups, tokens, experts) : g;
        GroupSlots[] slots = IntStream.range(0, groups).parallel()
                .mapToObj(i -> select(score.of(g[i], l[i], spec, capacity), capacity))
                .toArray(GroupSlots[]::new);
        return new SparsePlan(capacity, k(), slots, gates, g, spec.normalizeGates(), auxLoss(logits, gates));
    }

    /** The weighted sum of the enabled auxiliary losses; a scalar 0 when none is enabled. */
    private NDArray auxLoss(RouterLogits logits, NDArray gates) {
        NDArray loss = gates.getManager().zeros(new Shape(), gates.getDataType());
        if (spec.importanceWeight() > 0) {
            loss = loss.add(Scalars.mul(AuxLosses.importance(gates), spec.importanceWeight()));
        }
        if (spec.loadWeight() > 0 && logits.noiseStd() > 0) {
            loss = loss.add(Scalars.mul(AuxLosses.load(logits.clean(), logits.noisy(), logits.noiseStd(), k()),
                    spec.loadWeight()));
        }
        if (spec.zLossWeight() > 0) {
            loss = loss.add(Scalars.mul(AuxLosses.zLoss(logits.clean()), spec.zLossWeight()));
        }
        return loss;

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
