package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The plan of a sparse router in index form: a 0/1 dispatch where every slot holds at most one
 * token, and {@code Cmb = Dsp * gate}. Rows move by index gathers only: dispatch costs O(E*C*D),
 * combine O(S*M*D) where M is the largest number of slots any token holds in this batch (K for
 * Token Choice). No S x E x C tensor is built in the forward or backward pass.
 *
 * <p>Combining is written as a gather (not a scatter-add) because the backward pass of a gather
 * accumulates, so a token held by several slots receives the sum of their gradients.
 */
public final class SparsePlan implements RoutingPlan {
    private final int groups;
    private final int tokens;
    private final int experts;
    private final int capacity;
    private final int k;
    private final GroupSlots[] slots;
    private final int perToken;
    private final NDArray weights;
    private final NDArray auxLoss;
    private final double[][][] gates;

    /**
     * Builds the plan of G groups.
     *
     * @param capacity C
     * @param k K used by the under-K metric (1 outside Token Choice)
     * @param slots one assignment per group
     * @param gates G = softmax(L~), (G, S, E); the combine weights are gathered from it, so they
     *     carry its gradient
     * @param gateValues the same gates as Java doubles, for metrics
     * @param normalizeGates renormalise each token's granted gates to sum to 1
     * @param auxLoss the weighted auxiliary loss, a scalar
     */
    public SparsePlan(int capacity, int k, GroupSlots[] slots, NDArray gates, double[][][] gateValues,
            boolean normalizeGates, NDArray auxLoss) {
        Shape shape = gates.getShape(); // (G, S, E)
        this.groups = (int) shape.get(0);
        this.tokens = (int) shape.get(1);
        this.experts = (int) shape.get(2);
        this.capacity = capacity;
        this.k = k;
        this.slots = slots;
        this.gates = gateValues;
        this.auxLoss = auxLoss;
        int m = 1;
        for (GroupSlots g : slots) {
            for (int[] t : g.tokenSlots()) {
                m = Math.max(m, t.length);
            }
        }
        this.perToken = m;
        this.weights = combineWeights(gates, normalizeGates);
    }

    /** Gathers gate G[g,s,e] for every slot (e,c) a token holds: (G, S, M), 0 for padding. */
    private NDArray combineWeights(NDArray gateArray, boolean normalize) {
        long pad = (long) groups * tokens * experts;
        long[] index = new long[groups * tokens * perToken];
        int i = 0;
        for (int g = 0; g < groups; g++) {
            for (int s = 0; s < tokens; s++) {
                int[] held = slots[g].tokenSlots()[s];
                for (int j = 0; j < perToken; j++) {
                    index[i++] = j < held.length ? ((long) g * tokens + s) * experts + held[j] / capacity : pad;
                }
            }
        }
        NDManager manager = gateArray.getManager();
        NDArray flat = NDArrays.concat(new NDList(
                gateArray.reshape(pad), manager.zeros(new Shape(1), gateArray.getDataType())));
        NDArray w = flat.get(manager.create(index)).reshape(groups, tokens, perToken);
        if (!normalize) {
            return w;
        }
        NDArray sum = w.sum(new int[] {2}, true);
        return w.div(sum.add(sum.eq(0).toType(sum.getDataType(), false))); // tokens with no slot stay 0
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
        long pad = (long) groups * tokens;
        long[] index = new long[experts * groups * capacity];
        int i = 0;
        for (int e = 0; e < experts; e++) {
            for (int g = 0; g < groups; g++) {
                int[] slotToken = slots[g].slotToken();
                for (int c = 0; c < capacity; c++) {
                    int s = slotToken[e * capacity + c];
                    index[i++] = s < 0 ? pad : (long) g * tokens + s;
                }
            }
        }
        NDArray rows = withZeroRow(x.reshape(pad, d)); // (G*S + 1, D)
        return rows.get(x.getManager().create(index)).reshape(experts, (long) groups * capacity, d);
    }

    @Override
    public NDArray combine(NDArray expertOutputs) {
        long d = expertOutputs.getShape().get(2);
        long pad = (long) experts * groups * capacity;
        long[] index = new long[groups * tokens * perToken];
        int i = 0;
        for (int g = 0; g < groups; g++) {
            for (int[] held : slots[g].tokenSlots()) {
                for (int j = 0; j < perToken; j++) {
                    if (j < held.length) {
                        int e = held[j] / capacity, c = held[j] % capacity;
                        index[i++] = ((long) e * groups + g) * capacity + c;
                    } else {
                        index[i++] = pad;
                    }
                }
            }
        }
        NDArray rows = withZeroRow(expertOutputs.reshape(pad, d)); // (E*G*C + 1, D)
        NDArray picked = rows.get(expertOutputs.getManager().create(index))
                .reshape(groups, tokens, perToken, d); // (G, S, M, D)
        NDArray weighted = picked.mul(weights.expandDims(3));
        return perToken == 1 ? weighted.reshape(groups, tokens, d) : weighted.sum(new int[] {2});
    }

    private static NDArray withZeroRow(NDArray rows) {
        NDArray zero = rows.getManager().zeros(new Shape(1, rows.getShape().get(1)), rows.getDataType());
        return NDArrays.concat(new NDList(rows, zero));
    }

    @Override
    public NDArray auxLoss() {
        return auxLoss;
    }

    @Override
    public RoutingMetrics metrics() {
        RoutingMetrics.Accumulator acc = new RoutingMetrics.Accumulator(experts, k);
        for (int g = 0; g < groups; g++) {
            double[] perExpert = new double[experts];
            int filled = 0;
            for (int j = 0; j < experts * capacity; j++) {
                if (slots[g].slotToken()[j] >= 0) {
                    perExpert[j / capacity]++;
                    filled++;
                }
            }
            double[] perToken = new double[tokens];
            double entropy = 0;
            for (int s = 0; s < tokens; s++) {
                perToken[s] = slots[g].tokenSlots()[s].length;
                entropy += RoutingMetrics.entropy(gates[g][s]) / tokens;
            }
            acc.addGroup(perExpert, perToken, filled, experts * capacity, entropy);
        }
        return acc.build(auxLoss.toType(DataType.FLOAT64, false).getDouble());
    }

    @Override
    public double[][][][] denseDispatch() {
        double[][][][] out = new double[groups][tokens][experts][capacity];
        for (int g = 0; g < groups; g++) {
            int[] slotToken = slots[g].slotToken();
            for (int j = 0; j < slotToken.length; j++) {
                if (slotToken[j] >= 0) {
                    out[g][slotToken[j]][j / capacity][j % capacity] = 1;
                }
            }
        }
        return out;
    }

    @Override
    public double[][][][] denseCombine() {
        double[] w = weights.toType(DataType.FLOAT64, false).toDoubleArray();
        double[][][][] out = new double[groups][tokens][experts][capacity];
        for (int g = 0; g < groups; g++) {
            for (int s = 0; s < tokens; s++) {
                int[] held = slots[g].tokenSlots()[s];
                for (int j = 0; j < held.length; j++) {
                    out[g][s][held[j] / capacity][held[j] % capacity] = w[(g * tokens + s) * perToken + j];
                }
            }
        }
        return out;
    }
}
