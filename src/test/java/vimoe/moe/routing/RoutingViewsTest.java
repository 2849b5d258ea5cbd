package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RoutingPlan#views()} on plans built by hand. */
class RoutingViewsTest {

  @Test
  void tokenChoiceCountsRequestsBeforeCapacityAndGrantsAfter() {
    try (NDManager m = NDManager.newBaseManager()) {
      // One group, S = 4 tokens, E = 2 experts, C = 1, K = 1. Tokens 0, 1, 2 ask for expert 0,
      // token 3 for expert 1. Expert 0 takes token 0 only (capacity 1); tokens 1 and 2 drop.
      NDArray gates = m.create(new float[] {0.9f, 0.1f, 0.8f, 0.2f, 0.7f, 0.3f, 0.4f, 0.6f});
      gates = gates.reshape(new Shape(1, 4, 2));
      NDArray slotToken = m.create(new long[] {0, 3}, new Shape(1, 2, 1));
      NDArray tokenExpert = m.create(new long[] {0, 0, 0, 1}, new Shape(1, 4, 1));
      NDArray tokenPosition = m.create(new long[] {0, -1, -1, 0}, new Shape(1, 4, 1));
      SparsePlan plan =
          new SparsePlan(
              slotToken, tokenExpert, tokenPosition, 1, gates, false, m.zeros(new Shape()), false);
      RoutingViews v = plan.views();
      assertEquals(Family.TOKEN_CHOICE, v.family());
      assertArrayEquals(new double[] {3, 1}, v.requested(), 1e-12);
      assertArrayEquals(new double[] {1, 1}, v.granted(), 1e-12);
      // two tokens with no expert, two with one; none with two
      assertArrayEquals(new double[] {0.5, 0.5, 0}, v.expertsPerToken(), 1e-12);
      assertNull(v.slotEffectiveTokens());
    }
  }

  @Test
  void expertChoiceHistogramOfExpertsPerTokenSumsToOneAndMatchesThePlan() {
    try (NDManager m = NDManager.newBaseManager()) {
      // One group, S = 4 tokens, E = 3 experts, C = 2. Expert e's slots: e0 {0, 1}, e1 {0, 2},
      // e2 {0, 1}: token 0 in 3 experts, token 1 in 2, token 2 in 1, token 3 in none.
      NDArray gates = m.ones(new Shape(1, 4, 3)).div(3);
      NDArray slotToken = m.create(new long[] {0, 1, 0, 2, 0, 1}, new Shape(1, 3, 2));
      NDArray tokenExpert = m.create(new long[] {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
      tokenExpert = tokenExpert.reshape(new Shape(1, 4, 3));
      NDArray tokenPosition =
          m.create(new long[] {0, 0, 0, 1, -1, 1, -1, 1, -1, -1, -1, -1}, new Shape(1, 4, 3));
      SparsePlan plan =
          new SparsePlan(
              slotToken, tokenExpert, tokenPosition, 1, gates, false, m.zeros(new Shape()), true);
      RoutingViews v = plan.views();
      assertEquals(Family.EXPERT_CHOICE, v.family());
      assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, v.expertsPerToken(), 1e-12);
      assertEquals(1, Arrays.stream(v.expertsPerToken()).sum(), 1e-12);
      assertArrayEquals(new double[] {2, 2, 2}, v.granted(), 1e-12);
    }
  }

  @Test
  void softSlotOfUniformDispatchHasSEffectiveTokensAndOfOneHotDispatchOne() {
    try (NDManager m = NDManager.newBaseManager()) {
      // G = 2, S = 4, E = 1, C = 1. Group 0: equal logits, Dsp uniform over the 4 tokens.
      // Group 1: token 2 has logit 100, the others 0: Dsp one-hot (to float precision).
      float[] logits = {0, 0, 0, 0, 0, 0, 100, 0};
      SoftPlan plan = new SoftPlan(m.create(logits, new Shape(2, 4, 1, 1)));
      RoutingViews v = plan.views();
      assertEquals(Family.SOFT, v.family());
      assertEquals(4, v.tokens());
      // mean of 4 (uniform) and 1 (one-hot)
      assertEquals(2.5, v.slotEffectiveTokensMean(), 1e-4);
      double[] expected = new double[RoutingViews.BINS];
      expected[9] = 0.5; // exp(H)/S = 1
      expected[2] = 0.5; // exp(H)/S = 1/4, in (0.2, 0.3]
      assertArrayEquals(expected, v.slotEffectiveTokens(), 1e-12);
      assertNull(v.requested());
    }
  }

  @Test
  void meanAveragesFieldsAndIsNullWhenOneIsMissing() {
    RoutingViews a =
        new RoutingViews(
            Family.TOKEN_CHOICE, 2, 4, new double[] {4, 0}, new double[] {2, 0}, null, null, null);
    RoutingViews b =
        new RoutingViews(
            Family.TOKEN_CHOICE, 2, 4, new double[] {2, 2}, new double[] {2, 2}, null, null, null);
    RoutingViews mean = RoutingViews.mean(List.of(a, b));
    assertArrayEquals(new double[] {3, 1}, mean.requested(), 1e-12);
    assertArrayEquals(new double[] {2, 1}, mean.granted(), 1e-12);
    assertNull(RoutingViews.mean(Arrays.asList(a, null)));
  }
}
