package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The plan of Soft MoE (arXiv 2308.00951): dense weights, every slot a convex combination of all
 * tokens ({@code Dsp} = softmax over s) and every output a convex combination of all slots
 * ({@code Cmb} = softmax over the E*C slots). Dispatch and combine are batched matrix products.
 */
public final class SoftPlan implements RoutingPlan {
    private final int groups;
    private final int tokens;
    private final int experts;
    private final int capacity;
    private final NDArray dispatchWeights;
    private final NDArray combineWeights;
    private final NDArray auxLoss;

    /**
     * Builds the plan from the slot logits.
     *
     * @param logits Ls, (G, S, E, C)
     */
    public SoftPlan(NDArray logits) {
        var shape = logits.getShape();
        groups = (int) shape.get(0);
        tokens = (int) shape.get(1);
        experts = (int) shape.get(2);
        capacity = (int) shape.get(3);
        NDArray flat = logits.reshape(groups, tokens, (long) experts * capacity); // (G, S, E*C)
        dispatchWeights = flat.softmax(1);
        combineWeights = flat.softmax(2);
        auxLoss = logits.getManager().zeros(new ai.djl.ndarray.types.Shape(), logits.getDataType());
    }

    @Override
    public int groups() {
        return groups;
    }

    @Override
    public int tokens() {
        return tokens;
    }

    @Override
    public int experts() {
        return experts;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public NDArray dispatch(NDArray x) {
        long d = x.getShape().get(2);
        NDArray slotInputs = dispatchWeights.transpose(0, 2, 1).batchMatMul(x); // (G, E*C, D)
        return slotInputs.reshape(groups, experts, capacity, d).transpose(1, 0, 2, 3)
                .reshape(experts, (long) groups * capacity, d); // (E, G*C, D)
    }

    @Override
    public NDArray combine(NDArray expertOutputs) {
        long d = expertOutputs.getShape().get(2);
        NDArray slotOutputs = expertOutputs.reshape(experts, groups, capacity, d).transpose(1, 0, 2, 3)
                .reshape(groups, (long) experts * capacity, d); // (G, E*C, D)
        return combineWeights.batchMatMul(slotOutputs); // (G, S, D)
    }

    @Override
    public NDArray auxLoss() {
        return auxLoss;
    }

    @Override
    public RoutingMetrics metrics() {
        int slots = experts * capacity;
        double[] dsp = flat(dispatchWeights), cmb = flat(combineWeights); // (G, S, E*C)
        RoutingMetrics.Accumulator acc = new RoutingMetrics.Accumulator(experts, 1);
        double[] row = new double[slots];
        for (int g = 0; g < groups; g++) {
            double[] perExpert = new double[experts];
            double[] perToken = new double[tokens];
            double entropy = 0;
            for (int s = 0; s < tokens; s++) {
                int base = (g * tokens + s) * slots;
                boolean[] reached = new boolean[experts];
                for (int j = 0; j < slots; j++) {
                    perExpert[j / capacity] += dsp[base + j];
                    row[j] = cmb[base + j];
                    reached[j / capacity] |= row[j] > 0;
                }
                for (boolean r : reached) {
                    perToken[s] += r ? 1 : 0;
                }
                entropy += RoutingMetrics.entropy(row) / tokens;
            }
            acc.addGroup(perExpert, perToken, slots, slots, entropy);
        }
        return acc.build(0);
    }

    private static double[] flat(NDArray w) {
        return w.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    @Override
    public double[][][][] denseDispatch() {
        return unflatten(dispatchWeights);
    }

    @Override
    public double[][][][] denseCombine() {
        return unflatten(combineWeights);
    }

    /** (G, S, E*C) weights as (G, S, E, C) doubles. */
    private double[][][][] unflatten(NDArray w) {
        double[] v = flat(w);
        double[][][][] out = new double[groups][tokens][experts][capacity];
        int i = 0;
        for (int g = 0; g < groups; g++) {
            for (int s = 0; s < tokens; s++) {
                for (int e = 0; e < experts; e++) {
                    for (int c = 0; c < capacity; c++) {
                        out[g][s][e][c] = v[i++];
                    }
                }
            }
        }
        return out;
    }
}
