package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** {@link RoutingPlan#dominantExpert()} on plans built by hand. */
class DominantExpertTest {

  @Test
  void sparsePlanTakesTheSlotWithTheLargestCombineWeight() {
    try (NDManager m = NDManager.newBaseManager()) {
      // One group, S = 4 tokens, E = 3 experts, C = 2. Token 0 holds slots of experts 0 and 2
      // (gates 0.2 and 0.5: expert 2 wins); token 1 holds expert 1 only; token 2 holds nothing
      // (dropped); token 3 holds experts 0 and 1 with equal gates 0.4 (the lower expert wins).
      float[] gates = {
        0.2f, 0.3f, 0.5f,
        0.1f, 0.8f, 0.1f,
        0.3f, 0.3f, 0.4f,
        0.4f, 0.4f, 0.2f
      };
      NDArray g = m.create(gates, new Shape(1, 4, 3));
      // slot (e, c) -> token: expert 0 holds tokens 0 and 3, expert 1 tokens 1 and 3, expert 2
      // token 0
      NDArray slotToken = m.create(new long[] {0, 3, 1, 3, 0, -1}, new Shape(1, 3, 2));
      // each token's M = 2 possible slots: (expert, position within it), position -1 where none
      NDArray tokenExpert = m.create(new long[] {0, 2, 1, 0, 0, 0, 0, 1}, new Shape(1, 4, 2));
      NDArray tokenPosition = m.create(new long[] {0, 0, 0, -1, -1, -1, 1, 1}, new Shape(1, 4, 2));
      SparsePlan plan =
          new SparsePlan(
              slotToken, tokenExpert, tokenPosition, 2, g, false, m.zeros(new Shape()), false);
      assertArrayEquals(new int[][] {{2, 1, -1, 0}}, plan.dominantExpert());
    }
  }

  @Test
  void softPlanTakesTheExpertWithTheLargestShareOfTheDispatchWeight() {
    try (NDManager m = NDManager.newBaseManager()) {
      // G = 2 groups of S = 2 tokens, E = 2 experts, C = 2 slots. Dsp = softmax over s of each
      // slot's
      // logits. Group 0: token 0 has logit 3 on both slots of expert 1 and 0 elsewhere; token 1 has
      // 0
      // everywhere -> expert 1 gives token 0 weight e^3/(e^3+1) = 0.95 per slot, expert 0 gives it
      // 0.5,
      // so token 0 -> expert 1 and token 1 -> expert 0 (0.5 + 0.5 against 0.05 + 0.05).
      // Group 1: token 0 has logit 2 on slot (0, 0) only; token 1 has logit 2 on slot (1, 1) only.
      float[] logits = {
        0, 0, 3, 3, // g0 s0: (e0 c0, e0 c1, e1 c0, e1 c1)
        0, 0, 0, 0, // g0 s1
        2, 0, 0, 0, // g1 s0
        0, 0, 0, 2
      }; // g1 s1
      SoftPlan plan = new SoftPlan(m.create(logits, new Shape(2, 2, 2, 2)));
      // g1: token 0 takes 0.88 of slot (0,0) and 0.5 of (0,1) -> 1.38 for expert 0, 1.0 for expert
      // 1.
      // token 1 takes 0.5 + 0.12 = 0.62 of expert 0 and 0.5 + 0.88 = 1.38 of expert 1.
      assertArrayEquals(new int[][] {{1, 0}, {0, 1}}, plan.dominantExpert());
    }
  }
}
