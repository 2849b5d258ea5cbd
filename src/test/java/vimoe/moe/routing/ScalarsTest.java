package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The operand of a product must outlive the backward pass. Between forward and backward this test
 * collects garbage and then fills fresh direct buffers with garbage bytes, so freed memory would be
 * reused; the gradient of {@code 3 x} must still be exactly 3.
 */
class ScalarsTest {

  static double[] gradientAfterGarbage(BiFunction<NDArray, Double, NDArray> times) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(64));
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = times.apply(x, 3.0).sum();
        // the list keeps the NaN-filled buffers reachable, so their memory is not freed for reuse
        @SuppressWarnings("ModifiedButNotUsed")
        List<ByteBuffer> junk = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
          System.gc();
          for (int i = 0; i < 200; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4);
            b.putFloat(0, Float.NaN);
            junk.add(b);
          }
        }
        gc.backward(y);
      }
      float[] g = x.getGradient().toFloatArray();
      double[] out = new double[g.length];
      for (int i = 0; i < g.length; i++) {
        out[i] = g[i];
      }
      return out;
    }
  }

  @Test
  void productOperandSurvivesUntilBackward() {
    for (double g : gradientAfterGarbage(Scalars::mul)) {
      assertEquals(3.0, g);
    }
    for (double g : gradientAfterGarbage((x, c) -> Scalars.div(x, 1 / c))) {
      assertEquals(3.0, g, 1e-6);
    }
  }
}
