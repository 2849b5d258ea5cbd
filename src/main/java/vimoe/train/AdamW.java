package vimoe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
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
    private final NDManager constantManager;
    private final java.util.Map<String, NDArray> constants = new java.util.HashMap<>();
    private int step;

    /**
     * Creates the optimizer; its moments live in {@code manager}.
     *
     * @param params the trainable parameters, in a fixed order
     */
    public AdamW(List<Parameter> params, double weightDecay, NDManager manager) {
        this.params = List.copyOf(params);
        this.weightDecay = weightDecay;
        this.constantManager = manager;
        for (Parameter p : this.params) {
            means.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
            variances.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
        }
    }

    /**
     * Updates every parameter from its gradient at learning rate {@code lr}, then zeroes the gradients:
     * one fused in-place engine call per parameter ({@code NDArrayEx.adamUpdate} with decoupled decay).
     * The engine computes {@code w -= lr wd w; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * w -= lr' m / (sqrt(v) + eps')}; with {@code lr' = lr sqrt(c2) / c1} and {@code eps' = eps sqrt(c2)}
     * this is exactly Adam's bias-corrected {@code w -= lr (m / c1) / (sqrt(v / c2) + eps)}.
     */
    public void step(double lr) {
        step++;
        double c1 = 1 - Math.pow(BETA1, step), c2 = 1 - Math.pow(BETA2, step);
        float corrected = (float) (lr * Math.sqrt(c2) / c1), eps = (float) (EPS * Math.sqrt(c2));
        try (NDScope scope = new NDScope()) { // the gradient handles die here
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                NDArray w = p.getArray();
                float decay = weightDecay > 0 && p.getType() == Parameter.Type.WEIGHT ? (float) weightDecay : 0f;
                // rescale 1 and clip -1: no per-element rescaling or clamping; the last flag selects AdamW
                w.getNDArrayInternal().adamUpdate(new NDList(w, w.getGradient(), means.get(i), variances.get(i)),
                        new NDList(w), (float) lr, corrected, decay, 1f, -1f, (float) BETA1, (float) BETA2, eps,
                        false, true);
            }
        }
    }

    /**
     * Scales all gradients by {@code min(1, maxNorm / (norm + 1e-6))}, {@code norm} being their global
     * L2 norm (as PyTorch's {@code clip_grad_norm_}), without reading anything back to the host: one
     * norm per parameter, one stacked norm, one coefficient, one in-place product per parameter.
     * Does nothing when {@code maxNorm <= 0}.
     *
     * @param manager where the returned norm lives (e.g. the step's manager)
     * @return the global norm before clipping, a scalar on the parameters' device
     */
    public NDArray clipGradients(double maxNorm, NDManager manager) {
        try (NDScope scope = new NDScope()) { // temporaries, and the gradient handles, die here
            NDList grads = new NDList(params.size());
            NDList norms = new NDList(params.size());
            for (Parameter p : params) {
                NDArray g = p.getArray().getGradient();
                grads.add(g);
                norms.add(g.norm());
            }
            NDArray norm = NDArrays.stack(norms).norm();
            if (maxNorm > 0) {
                // min(1, maxNorm / (norm + eps)) = maxNorm / max(norm + eps, maxNorm)
                NDArray coefficient = constant(maxNorm, norm).div(norm.add(constant(1e-6, norm)).clip(maxNorm,
                        Float.MAX_VALUE));
                for (NDArray g : grads) {
                    g.muli(coefficient);
                }
            }
            norm.attach(manager);
            NDScope.unregister(norm);
            return norm;
        }
    }

    /** The number {@code value} as a scalar array like {@code like}, made once per value and device. */
    private NDArray constant(double value, NDArray like) {
        String key = value + "@" + like.getDevice();
        return constants.computeIfAbsent(key, k -> {
            NDArray c = constantManager.create((float) value).toDevice(like.getDevice(), false);
            c.attach(constantManager);
            NDScope.unregister(c);
            return c;
        });
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
