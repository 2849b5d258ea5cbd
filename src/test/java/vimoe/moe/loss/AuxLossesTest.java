package vimoe.moe.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** The auxiliary losses: hand-computed values, and finite gradients at perfect balance. */
class AuxLossesTest {

  @Test
  void importanceIsTheSquaredCoefficientOfVariation() {
    try (NDManager m = NDManager.newBaseManager()) {
      // Imp = (0.9+0.5, 0.1+0.5) = (1.4, 0.6): mean 1, std 0.4 -> 0.16
      NDArray gates = m.create(new double[] {0.9, 0.1, 0.5, 0.5}, new Shape(1, 2, 2));
      assertEquals(0.16, AuxLosses.importance(gates).getDouble(), 1e-10);
    }
  }

  @Test
  void loadMatchesTheNormalCdfByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      // E = 2, K = 1, sigma = 1: sigma/E = 0.5. Token 0: L = (1, 0), L~ = (1.2, 0) -> t = 1.2;
      // P = 1 - Phi((1.2 - L)/0.5) = (1 - Phi(0.4), 1 - Phi(2.4)) = (0.344578, 0.008198).
      // Token 1: L = (0, 0), L~ = (0, 0.3) -> t = 0.3; P = (1 - Phi(0.6), 1 - Phi(0.6)) =
      // (0.274253, 0.274253).
      NDArray clean = m.create(new double[] {1, 0, 0, 0}, new Shape(1, 2, 2));
      NDArray noisy = m.create(new double[] {1.2, 0, 0, 0.3}, new Shape(1, 2, 2));
      double l0 = 0.344578 + 0.274253, l1 = 0.008198 + 0.274253;
      double mean = (l0 + l1) / 2,
          var = ((l0 - mean) * (l0 - mean) + (l1 - mean) * (l1 - mean)) / 2;
      assertEquals(var / (mean * mean), AuxLosses.load(clean, noisy, 1.0, 1).getDouble(), 1e-5);
    }
  }

  /**
   * With K = 2 the threshold is the second largest noisy logit: the same loss as K = 1 on logits
   * whose largest is lowered to it.
   */
  @Test
  void loadWithKTwoThresholdsAtTheSecondLargest() {
    try (NDManager m = NDManager.newBaseManager()) {
      Shape shape = new Shape(1, 2, 3);
      NDArray clean = m.create(new double[] {1, 0, -1, 0.2, 0.4, 0}, shape);
      NDArray noisy =
          m.create(new double[] {0.9, 0.5, 0.1, 0.3, -0.2, 0.6}, shape); // t = 0.5 and 0.3
      NDArray lowered = m.create(new double[] {0.5, 0.5, 0.1, 0.3, -0.2, 0.3}, shape);
      double k2 = AuxLosses.load(clean, noisy, 1.0, 2).getDouble();
      assertEquals(AuxLosses.load(clean, lowered, 1.0, 1).getDouble(), k2, 1e-12);
      assertTrue(
          Math.abs(k2 - AuxLosses.load(clean, noisy, 1.0, 1).getDouble()) > 1e-3, "K matters here");
    }
  }

  @Test
  void zLossIsTheMeanSquaredLogSumExp() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits =
          m.create(
              new double[] {0, 0, 1000, 1000},
              new Shape(1, 2, 2)); // large logits must not overflow
      double lse0 = Math.log(2), lse1 = 1000 + Math.log(2);
      assertEquals((lse0 * lse0 + lse1 * lse1) / 2, AuxLosses.zLoss(logits).getDouble(), 1e-9);
    }
  }

  @Test
  void gradientsAreFiniteAtPerfectBalance() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits =
          m.zeros(new ai.djl.ndarray.types.Shape(2, 4, 4), ai.djl.ndarray.types.DataType.FLOAT64);
      logits.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray gates = logits.softmax(2);
        NDArray imp = AuxLosses.importance(gates);
        NDArray load = AuxLosses.load(logits, logits, 1.0, 1);
        assertEquals(0.0, imp.getDouble(), 1e-12); // perfectly balanced
        assertEquals(0.0, load.getDouble(), 1e-12);
        gc.backward(imp.add(load));
      }
      for (double g : logits.getGradient().toDoubleArray()) {
        assertTrue(Double.isFinite(g), "gradient " + g);
      }
    }
  }
}
