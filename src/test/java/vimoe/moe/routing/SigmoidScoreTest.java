package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * Sigmoid gates (DeepSeek-V3) worked by hand: Token Choice renormalises the sigmoid of the K
 * granted experts; Expert Choice ranks each expert's column by its own sigmoid, which softmax's
 * competition between experts can reverse. The random and tied cases are in {@link
 * RouterPropertiesTest} and {@link DeviceRoutingEquivalenceTest}, which draw every registered
 * router.
 */
class SigmoidScoreTest {

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @Test
  void tokenChoiceRenormalisesTheGrantedSigmoids() {
    RouterSpec spec = RouterSpec.of("sigmoid-tc").toBuilder().optK(2).optCapacityFactor(2).build();
    try (NDManager m = NDManager.newBaseManager()) {
      double[] logits = {2.0, 0.5, -1.0, -1.0, 0.0, 3.0};
      RoutingPlan plan =
          Routers.create(spec).route(RouterLogits.of(m.create(logits, new Shape(1, 2, 3))));
      double[][][] cmb = plan.denseCombine()[0];
      double a = sigmoid(2.0), b = sigmoid(0.5), c = sigmoid(0.0), d = sigmoid(3.0);
      assertEquals(a / (a + b), sum(cmb[0][0]), 1e-12);
      assertEquals(b / (a + b), sum(cmb[0][1]), 1e-12);
      assertEquals(0.0, sum(cmb[0][2]), 0.0);
      assertEquals(0.0, sum(cmb[1][0]), 0.0);
      assertEquals(c / (c + d), sum(cmb[1][1]), 1e-12);
      assertEquals(d / (c + d), sum(cmb[1][2]), 1e-12);
    }
  }

  /**
   * Token A = [3, 2.9], token B = [1, -5], C = 1: expert 0's softmax gates are 0.52 (A) and 0.998
   * (B), its sigmoids 0.95 (A) and 0.73 (B).
   */
  @Test
  void expertChoiceRanksEachExpertByItsOwnSigmoid() {
    try (NDManager m = NDManager.newBaseManager()) {
      double[] logits = {3, 2.9, 1, -5};
      int[] sigmoidSlots = slots(m, "sigmoid-ec", logits);
      int[] softmaxSlots = slots(m, "softmax-ec", logits);
      assertArrayEquals(new int[] {0, 0}, sigmoidSlots);
      assertArrayEquals(new int[] {1, 0}, softmaxSlots);
      RoutingPlan plan =
          Routers.create(RouterSpec.of("sigmoid-ec"))
              .route(RouterLogits.of(m.create(logits, new Shape(1, 2, 2))));
      assertEquals(sigmoid(3), plan.denseCombine()[0][0][0][0], 1e-12);
      assertEquals(sigmoid(2.9), plan.denseCombine()[0][0][1][0], 1e-12);
    }
  }

  /** The token in each expert's single slot. */
  private static int[] slots(NDManager m, String router, double[] logits) {
    RoutingPlan plan =
        Routers.create(RouterSpec.of(router))
            .route(RouterLogits.of(m.create(logits, new Shape(1, 2, 2))));
    assertEquals(1, plan.capacity());
    return ((SparsePlan) plan).slots()[0].slotToken();
  }

  private static double sum(double[] v) {
    double total = 0;
    for (double x : v) {
      total += x;
    }
    return total;
  }
}
