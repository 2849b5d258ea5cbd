package vimoe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused AdamW update against the textbook update in float64, and clipping against the global
 * norm computed on the host.
 */
class AdamWTest {
    private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;

    /** A Linear block (weight (3, 4): decayed; bias (3): not) whose gradients are {@code r} times the input sums. */
    private static Linear block(NDManager m) {
        Linear linear = Linear.builder().setUnits(3).build();
        linear.initialize(m, DataType.FLOAT32, new Shape(2, 4));
        return linear;
    }

    private static List<Parameter> params(Linear linear) {
        return linear.getParameters().values().stream().toList();
    }

    /** Runs backward of sum(linear(x) * r) with fresh random x and r, so every parameter gets a gradient. */
    private static void backward(Linear linear, NDManager m) {
        try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = s.randomNormal(new Shape(2, 4));
            NDArray r = s.randomNormal(new Shape(2, 3));
            gc.backward(linear.forward(new ParameterStore(s, false), new NDList(x), true).head().mul(r).sum());
        }
    }

    @Test
    void fusedUpdateEqualsTextbookAdamWOverSeveralSteps() {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager m = NDManager.newBaseManager()) {
            Linear linear = block(m);
            List<Parameter> ps = params(linear);
            double wd = 0.1;
            AdamW opt = new AdamW(ps, wd, m);
            double[][] w = new double[ps.size()][], mean = new double[ps.size()][], var = new double[ps.size()][];
            for (int i = 0; i < ps.size(); i++) {
                w[i] = toDouble(ps.get(i).getArray().toFloatArray());
                mean[i] = new double[w[i].length];
                var[i] = new double[w[i].length];
            }
            double[] lrs = {1e-3, 5e-2, 2e-2, 1e-2, 3e-3, 1e-1};
            for (int t = 1; t <= lrs.length; t++) {
                backward(linear, m);
                double lr = lrs[t - 1];
                for (int i = 0; i < ps.size(); i++) {
                    double[] g = toDouble(ps.get(i).getArray().getGradient().toFloatArray());
                    boolean decayed = ps.get(i).getType() == Parameter.Type.WEIGHT;
                    for (int j = 0; j < g.length; j++) { // Loshchilov & Hutter, Algorithm 2
                        mean[i][j] = B1 * mean[i][j] + (1 - B1) * g[j];
                        var[i][j] = B2 * var[i][j] + (1 - B2) * g[j] * g[j];
                        double mHat = mean[i][j] / (1 - Math.pow(B1, t)), vHat = var[i][j] / (1 - Math.pow(B2, t));
                        w[i][j] = w[i][j] * (decayed ? 1 - lr * wd : 1) - lr * mHat / (Math.sqrt(vHat) + EPS);
                    }
                }
                opt.step(lr);
                for (int i = 0; i < ps.size(); i++) {
                    float[] got = ps.get(i).getArray().toFloatArray();
                    for (int j = 0; j < got.length; j++) {
                        assertEquals(w[i][j], got[j], 1e-5 * Math.max(1, Math.abs(w[i][j])),
                                ps.get(i).getName() + "[" + j + "] after step " + t);
                    }
                    float[] grad = ps.get(i).getArray().getGradient().toFloatArray();
                    for (float v : grad) {
                        assertEquals(0f, v, "the step zeroes the gradients");
                    }
                }
            }
            assertEquals(lrs.length, opt.steps());
        }
    }

    @Test
    void clippingScalesToTheMaxNormOnlyWhenAbove() {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager m = NDManager.newBaseManager()) {
            Linear linear = block(m);
            List<Parameter> ps = params(linear);
            AdamW opt = new AdamW(ps, 0, m);
            backward(linear, m);
            double[][] before = new double[ps.size()][];
            double sq = 0;
            for (int i = 0; i < ps.size(); i++) {
                before[i] = toDouble(ps.get(i).getArray().getGradient().toFloatArray());
                for (double v : before[i]) {
                    sq += v * v;
                }
            }
            double norm = Math.sqrt(sq);
            // above the norm: nothing changes; the returned norm is the global one
            assertEquals(norm, opt.clipGradients(norm * 2, m).getFloat(), 1e-5 * norm);
            assertEquals(before[0][0], ps.get(0).getArray().getGradient().toFloatArray()[0], 1e-6 * Math.abs(before[0][0]));
            // below: every gradient scaled by maxNorm / norm, so the new global norm is maxNorm
            double max = norm / 4;
            opt.clipGradients(max, m);
            double after = 0;
            for (int i = 0; i < ps.size(); i++) {
                float[] g = ps.get(i).getArray().getGradient().toFloatArray();
                for (int j = 0; j < g.length; j++) {
                    assertEquals(before[i][j] * max / norm, g[j], 1e-5 * Math.abs(before[i][j]) + 1e-7);
                    after += (double) g[j] * g[j];
                }
            }
            assertTrue(Math.abs(Math.sqrt(after) - max) < 1e-4 * max, "norm after clipping " + Math.sqrt(after));
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
