package vimoe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class LossesTest {
  @Test
  void smoothedCrossEntropyMatchesTheFormulaByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] z = {1, 2, 3, 0, 0, 0};
      NDArray logits = m.create(z, new Shape(2, 3));
      NDArray labels = m.create(new long[] {2, 0});
      // row 0: log p = z - log(e + e^2 + e^3); row 1: log p = -log 3 for every class.
      // target = 0.9 onehot + 0.1 / 3; loss = -mean over rows of sum(target * log p)
      double lse = Math.log(Math.E + Math.exp(2) + Math.exp(3));
      double row0 = 0.9 * (3 - lse) + 0.1 / 3 * ((1 - lse) + (2 - lse) + (3 - lse));
      double row1 = -Math.log(3);
      double expected = -(row0 + row1) / 2;
      assertEquals(expected, Losses.smoothedCrossEntropy(logits, labels, 0.1).getFloat(), 1e-6);
      // without smoothing: plain cross-entropy of the labelled classes
      assertEquals(
          -((3 - lse) + row1) / 2, Losses.smoothedCrossEntropy(logits, labels, 0).getFloat(), 1e-6);
    }
  }
}
