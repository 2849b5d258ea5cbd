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
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every AdamW update path (flat groups, per parameter, host loops), clipping included, against the
 * textbook update in float64, and an update after the model's arrays were replaced (as a checkpoint
 * load does).
 */
class AdamWTest {
  private static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;

  /**
   * A Linear block (weight (3, 4): decayed; bias (3): not) whose gradients are {@code r} times the
   * input sums.
   */
  private static Linear block(NDManager m) {
    Linear linear = Linear.builder().setUnits(3).build();
    linear.initialize(m, DataType.FLOAT32, new Shape(2, 4));
    return linear;
  }

  private static List<Parameter> params(Linear linear) {
    return linear.getParameters().values().stream().toList();
  }

  /**
   * Runs backward of sum(linear(x) * r) with fresh random x and r, so every parameter gets a
   * gradient.
   */
  private static void backward(Linear linear, NDManager m) {
    try (NDManager s = m.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray x = s.randomNormal(new Shape(2, 4));
      NDArray r = s.randomNormal(new Shape(2, 3));
      gc.backward(
          linear.forward(new ParameterStore(s, false), new NDList(x), true).head().mul(r).sum());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdamW.Mode.class)
  void updateEqualsTextbookAdamWWithClippingOverSeveralSteps(AdamW.Mode mode) {
    Engine.getInstance().setRandomSeed(7);
    try (NDManager m = NDManager.newBaseManager()) {
      Linear linear = block(m);
      List<Parameter> ps = params(linear);
      double wd = 0.1;
      AdamW opt = new AdamW(ps, wd, m).mode(mode);
      double[][] w = new double[ps.size()][],
          mean = new double[ps.size()][],
          var = new double[ps.size()][];
      for (int i = 0; i < ps.size(); i++) {
        w[i] = toDouble(ps.get(i).getArray().toFloatArray());
        mean[i] = new double[w[i].length];
        var[i] = new double[w[i].length];
      }
      double[] lrs = {1e-3, 5e-2, 2e-2, 1e-2, 3e-3, 1e-1};
      double[] maxNorms = {
        0, 1.0, 100, 0.5, 0, 2.0
      }; // 0: no clipping; the gradient norms are about 2 to 6
      int clipped = 0;
      for (int t = 1; t <= lrs.length; t++) {
        backward(linear, m);
        double lr = lrs[t - 1];
        double[][] g = new double[ps.size()][];
        double sq = 0;
        for (int i = 0; i < ps.size(); i++) {
          g[i] = toDouble(ps.get(i).getArray().getGradient().toFloatArray());
          for (double v : g[i]) {
            sq += v * v;
          }
        }
        double norm = Math.sqrt(sq);
        double scale = maxNorms[t - 1] > 0 ? Math.min(1, maxNorms[t - 1] / (norm + 1e-6)) : 1;
        clipped += scale < 1 ? 1 : 0;
        for (int i = 0; i < ps.size(); i++) {
          boolean decayed = ps.get(i).getType() == Parameter.Type.WEIGHT;
          for (int j = 0;
              j < g[i].length;
              j++) { // Loshchilov & Hutter, Algorithm 2, on clipped gradients
            double gj = g[i][j] * scale;
            mean[i][j] = B1 * mean[i][j] + (1 - B1) * gj;
            var[i][j] = B2 * var[i][j] + (1 - B2) * gj * gj;
            double mHat = mean[i][j] / (1 - Math.pow(B1, t)),
                vHat = var[i][j] / (1 - Math.pow(B2, t));
            w[i][j] = w[i][j] * (decayed ? 1 - lr * wd : 1) - lr * mHat / (Math.sqrt(vHat) + EPS);
          }
        }
        try (NDManager s = m.newSubManager()) {
          assertEquals(
              norm, opt.step(lr, maxNorms[t - 1], s).getFloat(), 1e-5 * norm, "norm at step " + t);
        }
        for (int i = 0; i < ps.size(); i++) {
          float[] got = ps.get(i).getArray().toFloatArray();
          for (int j = 0; j < got.length; j++) {
            assertEquals(
                w[i][j],
                got[j],
                1e-5 * Math.max(1, Math.abs(w[i][j])),
                ps.get(i).getName() + "[" + j + "] after step " + t);
          }
          for (float v : ps.get(i).getArray().getGradient().toFloatArray()) {
            assertEquals(0.0, v, 0.0, "the step zeroes the gradients");
          }
        }
      }
      assertEquals(lrs.length, opt.steps());
      assertEquals(mode, opt.lastPath(), "the path asked for ran");
      assertTrue(clipped >= 2, "the test must clip on some steps; it clipped on " + clipped);
    }
  }

  /**
   * Two linear layers (4 -> 3 -> 2): two parameters in each decay group, so the leaves are split.
   */
  private static SequentialBlock twoLayers(NDManager m) {
    SequentialBlock net =
        new SequentialBlock()
            .add(Linear.builder().setUnits(3).build())
            .add(Linear.builder().setUnits(2).build());
    net.initialize(m, DataType.FLOAT32, new Shape(2, 4));
    return net;
  }

  @Test
  void theTrainingStoresFlatLeavesGiveTheUpdateOfThePlainStore() {
    Engine.getInstance().setRandomSeed(3);
    try (NDManager m = NDManager.newBaseManager()) {
      SequentialBlock a = twoLayers(m), b = twoLayers(m);
      List<Parameter> pa = a.getParameters().values().stream().toList();
      List<Parameter> pb = b.getParameters().values().stream().toList();
      for (int i = 0; i < pa.size(); i++) {
        pb.get(i).getArray().set(pa.get(i).getArray().toFloatArray());
      }
      AdamW flat = new AdamW(pa, 0.1, m).mode(AdamW.Mode.FLAT_GROUPS);
      AdamW plain = new AdamW(pb, 0.1, m).mode(AdamW.Mode.PER_PARAMETER);
      double[] maxNorms = {0, 0.5, 0, 0.2};
      for (int t = 0; t < maxNorms.length; t++) {
        try (NDManager s = m.newSubManager()) {
          NDArray x = s.randomNormal(new Shape(2, 4)), r = s.randomNormal(new Shape(2, 2));
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(a.forward(flat.trainingStore(s), new NDList(x), true).head().mul(r).sum());
          }
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(b.forward(plain.trainingStore(s), new NDList(x), true).head().mul(r).sum());
          }
          float na = flat.step(1e-2, maxNorms[t], s).getFloat(),
              nb = plain.step(1e-2, maxNorms[t], s).getFloat();
          assertEquals(nb, na, 1e-6 * nb, "gradient norm at step " + t);
        }
        assertTrue(flat.lastFromLeaves(), "the flat path took the leaves' gradients");
        assertTrue(!plain.lastFromLeaves(), "the per-parameter path has no leaves");
        for (int i = 0; i < pa.size(); i++) {
          float[] got = pa.get(i).getArray().toFloatArray(),
              want = pb.get(i).getArray().toFloatArray();
          for (int j = 0; j < got.length; j++) {
            assertEquals(
                want[j], got[j], 1e-6, pa.get(i).getName() + "[" + j + "] after step " + t);
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(AdamW.Mode.class)
  void aReplacedParameterArrayIsUpdatedAfterItsReplacement(AdamW.Mode mode) throws Exception {
    Engine.getInstance().setRandomSeed(5);
    try (NDManager m = NDManager.newBaseManager()) {
      Linear linear = block(m);
      List<Parameter> ps = params(linear);
      AdamW opt = new AdamW(ps, 0, m).mode(mode);
      backward(linear, m);
      opt.step(1e-2);
      // as a checkpoint load does: the parameters get new array objects
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      linear.saveParameters(new java.io.DataOutputStream(bytes));
      linear.loadParameters(
          m, new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
      ps.forEach(q -> q.getArray().setRequiresGradient(true));
      Parameter p = ps.get(0);
      float[] before = p.getArray().toFloatArray();
      backward(linear, m);
      opt.step(1e-2);
      float[] after = p.getArray().toFloatArray();
      for (int j = 0; j < after.length; j++) { // an Adam step moves each element by about lr
        assertTrue(
            Math.abs(after[j] - before[j]) > 1e-3,
            "the replaced parameter was not updated at " + j);
      }
    }
  }

  @Test
  void aDecodedStateOwnsItsMemoryAndContinuesExactly() throws Exception {
    Engine.getInstance().setRandomSeed(11);
    try (NDManager m = NDManager.newBaseManager()) {
      Linear a = block(m);
      AdamW first = new AdamW(params(a), 0.1, m);
      for (int t = 0; t < 3; t++) {
        backward(a, m);
        first.step(1e-2);
      }
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      a.saveParameters(new java.io.DataOutputStream(bytes));
      Linear b = block(m);
      b.loadParameters(
          m, new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
      params(b).forEach(p -> p.getArray().setRequiresGradient(true));
      AdamW second = new AdamW(params(b), 0.1, m);
      second.decodeState(first.encodeState(), m);
      // let the collector free the buffers the state was read from, and fill freed memory with NaN
      // bits
      for (int i = 0; i < 50; i++) {
        System.gc();
        java.nio.ByteBuffer junk = java.nio.ByteBuffer.allocateDirect(1 << 16);
        while (junk.hasRemaining()) {
          junk.put((byte) 0x7f);
        }
      }
      Engine.getInstance().setRandomSeed(12);
      backward(a, m);
      Engine.getInstance().setRandomSeed(12);
      backward(b, m);
      first.step(1e-2);
      second.step(1e-2);
      for (int i = 0; i < params(a).size(); i++) {
        float[] x = params(a).get(i).getArray().toFloatArray(),
            y = params(b).get(i).getArray().toFloatArray();
        for (int j = 0; j < x.length; j++) {
          assertEquals(
              x[j], y[j], 1e-6, params(a).get(i).getName() + "[" + j + "] after the resumed step");
        }
      }
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
