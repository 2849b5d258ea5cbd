package vimoe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter, arXiv 1711.05101) with decoupled weight decay applied only to
 * weight matrices ({@link Parameter.Type#WEIGHT}): norms, biases, position embeddings, class token
 * and Soft MoE's scale are not decayed. Its state (step and moments) can be saved and restored, so
 * a resumed run continues exactly.
 */
public final class AdamW {
    private static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
    private final List<Parameter> params;
    private final double weightDecay;
    private final List<NDArray> means = new ArrayList<>();
    private final List<NDArray> variances = new ArrayList<>();
    private int step;

    /**
     * Creates the optimizer; its moments live in {@code manager}.
     *
     * @param params the trainable parameters, in a fixed order
     */
    public AdamW(List<Parameter> params, double weightDecay, NDManager manager) {
        this.params = List.copyOf(params);
        this.weightDecay = weightDecay;
        for (Parameter p : this.params) {
            means.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
            variances.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
        }
    }

    /** Updates every parameter from its gradient at learning rate {@code lr}, then zeroes the gradients. */
    public void step(double lr) {
        try (NDScope scope = new NDScope()) { // temporaries, and the gradient handles, die here
            update(lr);
        }
    }

    private void update(double lr) {
        step++;
        double c1 = 1 - Math.pow(BETA1, step), c2 = 1 - Math.pow(BETA2, step);
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            NDArray w = p.getArray(), g = w.getGradient(), m = means.get(i), v = variances.get(i);
            m.muli(BETA1).addi(g.mul(1 - BETA1));
            v.muli(BETA2).addi(g.square().muli(1 - BETA2));
            if (weightDecay > 0 && p.getType() == Parameter.Type.WEIGHT) {
                w.muli(1 - lr * weightDecay);
            }
            // w -= lr * (m / c1) / (sqrt(v / c2) + eps)
            w.subi(m.div(v.div(c2).sqrt().addi(EPS)).muli(lr / c1));
            g.subi(g);
        }
    }

    /** Scales all gradients so that their global L2 norm is at most {@code maxNorm}; returns the norm before. */
    public double clipGradients(double maxNorm) {
        try (NDScope scope = new NDScope()) {
            return clip(maxNorm);
        }
    }

    private double clip(double maxNorm) {
        NDArray total = null;
        for (Parameter p : params) {
            NDArray sq = p.getArray().getGradient().square().sum();
            total = total == null ? sq : total.addi(sq);
        }
        double norm = Math.sqrt(total.getFloat());
        if (maxNorm > 0 && norm > maxNorm) {
            for (Parameter p : params) {
                p.getArray().getGradient().muli(maxNorm / (norm + 1e-6));
            }
        }
        return norm;
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /** The state: step count and moments, for a checkpoint. */
    public byte[] encodeState() {
        NDList state = new NDList();
        state.addAll(means);
        state.addAll(variances);
        byte[] moments = state.encode();
        byte[] out = new byte[moments.length + 4];
        java.nio.ByteBuffer.wrap(out).putInt(step).put(moments);
        return out;
    }

    /** Restores a state written by {@link #encodeState()} for the same parameters. */
    public void decodeState(byte[] bytes, NDManager manager) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        int savedStep = buffer.getInt();
        byte[] moments = new byte[bytes.length - 4];
        buffer.get(moments);
        NDList state = NDList.decode(manager, moments);
        if (state.size() != 2 * params.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.size() / 2
                    + " parameters, the model has " + params.size());
        }
        for (int i = 0; i < params.size(); i++) {
            means.get(i).set(state.get(i).toByteBuffer());
            variances.get(i).set(state.get(params.size() + i).toByteBuffer());
        }
        state.close();
        step = savedStep;
    }
}
