package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class SinkhornTest {

  private static final double LN3 = Math.log(3);

  /**
   * K = exp(L) = [[3,1],[3,1],[1,1],[1,1]], S = 4, E = 2, column target 2. Rows (v = 1): u = [1/4,
   * 1/4, 1/2, 1/2] -> [[.75,.25],[.75,.25],[.5,.5],[.5,.5]]. Column sums 2.5 and 1.5 -> v = [2/2.5,
   * 2/1.5] = [0.8, 4/3] -> Pi = [[0.6,1/3],[0.6,1/3],[0.4,2/3],[0.4,2/3]].
   */
  @Test
  void oneIterationMatchesHandComputation() {
    double[][] logits = {{LN3, 0}, {LN3, 0}, {0, 0}, {0, 0}};
    double[][] expected = {{0.6, 1.0 / 3}, {0.6, 1.0 / 3}, {0.4, 2.0 / 3}, {0.4, 2.0 / 3}};
    assertMatrixEquals(expected, Sinkhorn.plan(logits, 1.0, 1), 1e-12);
  }

  /**
   * Same K, converged. By symmetry Pi = [[p,1-p],[p,1-p],[q,1-q],[q,1-q]]; column sums 2 give q = 1
   * - p. Diagonal scaling keeps the cross ratio Pi11 Pi32 / (Pi12 Pi31) = K11 K32 / (K12 K31) = 3,
   * so p^2 / (1-p)^2 = 3 and p = sqrt3 / (1 + sqrt3). Doubling L and eps gives the same kernel,
   * hence the same plan.
   */
  @Test
  void convergedPlanMatchesCrossRatioInvariant() {
    double p = Math.sqrt(3) / (1 + Math.sqrt(3));
    double[][] expected = {{p, 1 - p}, {p, 1 - p}, {1 - p, p}, {1 - p, p}};
    double[][] logits = {{LN3, 0}, {LN3, 0}, {0, 0}, {0, 0}};
    assertMatrixEquals(expected, Sinkhorn.plan(logits, 1.0, 200), 1e-9);
    double[][] doubled = {{2 * LN3, 0}, {2 * LN3, 0}, {0, 0}, {0, 0}};
    assertMatrixEquals(expected, Sinkhorn.plan(doubled, 2.0, 200), 1e-9);
  }

  /**
   * L = [[3,-3],[-3,-3]], all targets 1: Pi = [[p,1-p],[1-p,p]] with (p/(1-p))^2 = e^6, so p =
   * sigmoid(3). 200 iterations reach it; 20 iterations leave a row error above 1e-3, which is why
   * the 20-iteration property below is stated for |L| <= 1.25 only.
   */
  @Test
  void twentyIterationsAreNotEnoughForLogitsOfSizeThree() {
    double[][] logits = {{3, -3}, {-3, -3}};
    double p = 1 / (1 + Math.exp(-3));
    assertMatrixEquals(
        new double[][] {{p, 1 - p}, {1 - p, p}}, Sinkhorn.plan(logits, 1.0, 200), 1e-9);
    assertTrue(maxRowError(Sinkhorn.plan(logits, 1.0, 20)) > 1e-3);
  }

  /** Defaults eps = 1, T = 20 balance rows to 1e-3 for logits in [-1.25, 1.25]. */
  @Property
  void defaultsBalanceSmallLogits(@ForAll("logitsUpTo1_25") double[][] logits) {
    checkPlan(logits, Sinkhorn.plan(logits, 1.0, 20));
  }

  /** Logits in [-3, 3] need more rounds: 500 are enough. */
  @Property(tries = 200)
  void fiveHundredIterationsBalanceLogitsUpToThree(@ForAll("logitsUpTo3") double[][] logits) {
    checkPlan(logits, Sinkhorn.plan(logits, 1.0, 500));
  }

  @Test
  void hugeLogitsNeitherOverflowNorProduceNaN() {
    double[][] logits = {
      {1e4, -1e4, 0},
      {-1e4, 1e4, 3e3},
      {1e4, 1e4, -1e4},
      {-5e3, -1e4, 1e4},
      {1e4, 0, 0},
      {0, -1e4, 1e4}
    };
    double[][] pi = Sinkhorn.plan(logits, 1.0, 20);
    for (double[] row : pi) {
      for (double x : row) {
        assertTrue(Double.isFinite(x) && x >= 0, "entry " + x);
      }
    }
    assertColumnSums(pi, 2.0, 1e-9);
  }

  /** A perfectly balanced hard assignment survives exp(1e4) without overflow. */
  @Test
  void hugeLogitsGiveTheBalancedHardAssignment() {
    double[][] logits = {{1e4, -1e4}, {-1e4, 1e4}, {1e4, -1e4}, {-1e4, 1e4}};
    assertMatrixEquals(
        new double[][] {{1, 0}, {0, 1}, {1, 0}, {0, 1}}, Sinkhorn.plan(logits, 1.0, 20), 1e-12);
  }

  /**
   * The batched tensor program equals the Java reference on both of its CPU paths: iterations on
   * the plan (logits of small spread, eps 0.5) and in the log domain (a spread of 2e4).
   */
  @Test
  void tensorPlansMatchReferenceOnBothPaths() {
    java.util.Random rnd = new java.util.Random(7);
    double[][][] small = new double[3][13][5];
    for (double[][] group : small) {
      for (double[] row : group) {
        for (int e = 0; e < row.length; e++) {
          row[e] = rnd.nextInt(4) == 0 ? 1.0 : 4 * rnd.nextDouble() - 2; // some ties
        }
      }
    }
    double[][][] huge = {
      {{1e4, -1e4, 0}, {-1e4, 1e4, 3e3}, {1e4, 1e4, -1e4}, {-5e3, -1e4, 1e4}},
      {{1e4, 0, 0}, {0, -1e4, 1e4}, {1, 2, 3}, {0, 0, 0}}
    };
    for (double[][][] logits : new double[][][][] {small, huge}) {
      double eps = logits == small ? 0.5 : 1.0;
      int groups = logits.length, tokens = logits[0].length, experts = logits[0][0].length;
      try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
        double[] flat =
            java.util.Arrays.stream(logits)
                .flatMap(java.util.Arrays::stream)
                .flatMapToDouble(java.util.Arrays::stream)
                .toArray();
        double[] device =
            Sinkhorn.plans(
                    m.create(flat, new ai.djl.ndarray.types.Shape(groups, tokens, experts)),
                    eps,
                    20)
                .toDoubleArray();
        for (int g = 0; g < groups; g++) {
          double[][] actual = new double[tokens][experts];
          for (int t = 0; t < tokens; t++) {
            System.arraycopy(device, (g * tokens + t) * experts, actual[t], 0, experts);
          }
          assertMatrixEquals(Sinkhorn.plan(logits[g], eps, 20), actual, 1e-12);
        }
      }
    }
  }

  @Test
  void rejectsBadArguments() {
    double[][] ok = {{0, 1}, {1, 0}};
    assertMessage("epsilon", "0.0", () -> Sinkhorn.plan(ok, 0.0, 20));
    assertMessage("epsilon", "NaN", () -> Sinkhorn.plan(ok, Double.NaN, 20));
    assertMessage("epsilon", "Infinity", () -> Sinkhorn.plan(ok, Double.POSITIVE_INFINITY, 20));
    assertMessage("iterations", "0", () -> Sinkhorn.plan(ok, 1.0, 0));
    assertMessage("logits", "0 rows", () -> Sinkhorn.plan(new double[0][], 1.0, 20));
    assertMessage("logits", "null", () -> Sinkhorn.plan(null, 1.0, 20));
    assertMessage("row 0", "0 entries", () -> Sinkhorn.plan(new double[][] {{}}, 1.0, 20));
    assertMessage(
        "ragged", "row 1 has 1", () -> Sinkhorn.plan(new double[][] {{0, 1}, {0}}, 1.0, 20));
    assertMessage(
        "logits[1][0]",
        "NaN",
        () -> Sinkhorn.plan(new double[][] {{0, 1}, {Double.NaN, 0}}, 1.0, 20));
    assertMessage(
        "logits[0][1]", "not finite", () -> Sinkhorn.plan(new double[][] {{0, 1e300}}, 1e-300, 20));
  }

  @Test
  void doesNotModifyItsInput() {
    double[][] logits = {{LN3, 0}, {0, 2}};
    Sinkhorn.plan(logits, 0.5, 20);
    assertMatrixEquals(new double[][] {{LN3, 0}, {0, 2}}, logits, 0);
  }

  @Provide
  Arbitrary<double[][]> logitsUpTo1_25() {
    return logits(1.25);
  }

  @Provide
  Arbitrary<double[][]> logitsUpTo3() {
    return logits(3.0);
  }

  /** S in 2..40 rows of E in 2..8 logits uniform in [-bound, bound]. */
  private static Arbitrary<double[][]> logits(double bound) {
    return Arbitraries.integers()
        .between(2, 8)
        .flatMap(
            e ->
                Arbitraries.doubles()
                    .between(-bound, bound)
                    .ofScale(6)
                    .array(double[].class)
                    .ofSize(e)
                    .array(double[][].class)
                    .ofMinSize(2)
                    .ofMaxSize(40));
  }

  private static void checkPlan(double[][] logits, double[][] pi) {
    assertEquals(logits.length, pi.length);
    for (double[] row : pi) {
      assertEquals(logits[0].length, row.length);
      for (double x : row) {
        assertTrue(x >= 0 && Double.isFinite(x), "entry " + x);
      }
    }
    assertTrue(maxRowError(pi) <= 1e-3, "row error " + maxRowError(pi));
    assertColumnSums(pi, (double) pi.length / pi[0].length, 1e-3);
  }

  private static double maxRowError(double[][] pi) {
    double worst = 0;
    for (double[] row : pi) {
      double sum = 0;
      for (double x : row) {
        sum += x;
      }
      worst = Math.max(worst, Math.abs(sum - 1));
    }
    return worst;
  }

  private static void assertColumnSums(double[][] pi, double target, double tolerance) {
    for (int e = 0; e < pi[0].length; e++) {
      double sum = 0;
      for (double[] row : pi) {
        sum += row[e];
      }
      assertEquals(target, sum, tolerance, "column " + e);
    }
  }

  static void assertMatrixEquals(double[][] expected, double[][] actual, double tolerance) {
    assertEquals(expected.length, actual.length, "rows");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i].length, actual[i].length, "columns of row " + i);
      for (int j = 0; j < expected[i].length; j++) {
        assertEquals(expected[i][j], actual[i][j], tolerance, "[" + i + "][" + j + "]");
      }
    }
  }

  private static void assertMessage(String part1, String part2, Runnable call) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(
        ex.getMessage().contains(part1) && ex.getMessage().contains(part2),
        "message: " + ex.getMessage());
  }
}
