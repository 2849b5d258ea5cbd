package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static vimoe.moe.routing.SinkhornTest.assertMatrixEquals;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SparseTransportTest {

  // ---- project_k -------------------------------------------------------------------------

  /** Keep 0.9 and 0.5; theta = (1.4 - 1) / 2 = 0.2 -> [0.3, 0, 0.7]. */
  @Test
  void projectKeepsTopTwo() {
    assertArrayEquals(
        new double[] {0.3, 0, 0.7},
        SparseTransport.projectTopKSimplex(new double[] {0.5, 0.2, 0.9}, 2),
        1e-15);
  }

  /** k >= n is the full simplex projection: theta = (0.6 - 1) / 3, p = z + 0.4 / 3. */
  @Test
  void projectWithLargeKIsTheFullSimplexProjection() {
    double[] expected = {0.1 + 0.4 / 3, 0.2 + 0.4 / 3, 0.3 + 0.4 / 3};
    assertArrayEquals(
        expected, SparseTransport.projectTopKSimplex(new double[] {0.1, 0.2, 0.3}, 3), 1e-15);
    assertArrayEquals(
        expected, SparseTransport.projectTopKSimplex(new double[] {0.1, 0.2, 0.3}, 5), 1e-15);
  }

  /** Keep 2 and 0; 0 - (2 - 1) / 2 < 0, so rho = 1, theta = 1 and the kept 0 stays 0. */
  @Test
  void projectMayZeroAKeptEntry() {
    assertArrayEquals(
        new double[] {1, 0, 0}, SparseTransport.projectTopKSimplex(new double[] {2, 0, -1}, 2), 0);
  }

  @Test
  void projectBreaksTiesByLowerIndex() {
    assertArrayEquals(
        new double[] {0.5, 0.5, 0},
        SparseTransport.projectTopKSimplex(new double[] {0.5, 0.5, 0.5}, 2),
        0);
    assertArrayEquals(
        new double[] {1, 0, 0},
        SparseTransport.projectTopKSimplex(new double[] {0.5, 0.5, 0.5}, 1),
        0);
    // keep 0.9 (index 1) and the first 0.2 (index 0): theta = (1.1 - 1) / 2 = 0.05
    assertArrayEquals(
        new double[] {0.15, 0.85, 0, 0},
        SparseTransport.projectTopKSimplex(new double[] {0.2, 0.9, 0.2, 0.2}, 2),
        1e-15);
  }

  @Test
  void projectRejectsBadArguments() {
    assertThrows(
        IllegalArgumentException.class, () -> SparseTransport.projectTopKSimplex(new double[0], 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> SparseTransport.projectTopKSimplex(new double[] {1}, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> SparseTransport.projectTopKSimplex(new double[] {Double.NaN}, 1));
  }

  /**
   * project_k is the Euclidean projection onto {p in simplex, at most k non-zeros}: compared with a
   * brute force over every support of size <= k, each projected by bisection.
   */
  @Property
  void projectIsTheSparseEuclideanProjection(
      @ForAll("shortVectors") double[] z, @ForAll @IntRange(min = 1, max = 8) int k) {
    double[] p = SparseTransport.projectTopKSimplex(z, k);
    double sum = 0;
    int nonZeros = 0;
    for (double x : p) {
      assertTrue(x >= 0, "negative entry " + x);
      sum += x;
      nonZeros += x > 0 ? 1 : 0;
    }
    assertEquals(1, sum, 1e-12);
    assertTrue(nonZeros <= k, nonZeros + " non-zeros for k = " + k);
    assertEquals(bruteForceDistance(z, k), squaredDistance(p, z), 1e-9);
  }

  /** The simplex projection is invariant under adding a constant to every entry. */
  @Property
  void projectIsShiftInvariant(
      @ForAll("longVectors") double[] z,
      @ForAll @IntRange(min = 1, max = 20) int k,
      @ForAll @DoubleRange(min = -5, max = 5) double c) {
    double[] shifted = Arrays.stream(z).map(x -> x + c).toArray();
    assertArrayEquals(
        SparseTransport.projectTopKSimplex(z, k),
        SparseTransport.projectTopKSimplex(shifted, k),
        1e-9);
  }

  /** Entries in [-3, 3] with 3 decimals, so that ties occur and shifts cannot create new ones. */
  @Provide
  Arbitrary<double[]> shortVectors() {
    return Arbitraries.doubles()
        .between(-3, 3)
        .ofScale(3)
        .array(double[].class)
        .ofMinSize(1)
        .ofMaxSize(7);
  }

  @Provide
  Arbitrary<double[]> longVectors() {
    return Arbitraries.doubles()
        .between(-3, 3)
        .ofScale(3)
        .array(double[].class)
        .ofMinSize(1)
        .ofMaxSize(20);
  }

  // ---- Expert Choice (column-sparse) -------------------------------------------------------

  private static final double[][] SIM = {{0.9, 0.1}, {0.6, 0.4}, {0.3, 0.7}, {0.2, 0.8}};

  /**
   * S = 4, E = 2, b = 2, k = 2, alpha = 0. Column 0: Sim/2 = [.45,.3,.15,.1], keep .45 and .3,
   * theta = (.75 - 1)/2 = -.125, p = [.575,.425,0,0], plan = 2p = [1.15,.85,0,0]. Column 1: Sim/2 =
   * [.05,.2,.35,.4], keep .4 and .35, p = [0,0,.475,.525], plan = [0,0,.95,1.05].
   */
  @Test
  void expertChoiceAtZeroDual() {
    assertMatrixEquals(
        new double[][] {{1.15, 0}, {0.85, 0}, {0, 0.95}, {0, 1.05}},
        SparseTransport.columnSparse(SIM, 2, 0, 0.01),
        1e-15);
  }

  /**
   * Gradient at alpha = 0: row sums - 1 = [.15,-.15,-.05,.05]. The first bias-corrected Adam step
   * is -lr g / (|g| + 1e-8), so alpha = [-.01,.01,.01,-.01] (to 2e-9). Column 0: (alpha +
   * Sim[:,0])/2 = [.445,.305,.155,.095] -> p = [.57,.43,0,0]; column 1: [.045,.205,.355,.395] -> p
   * = [0,0,.48,.52]; the plan is 2p and the row error drops to .14.
   */
  @Test
  void expertChoiceAfterOneAdamStep() {
    assertMatrixEquals(
        new double[][] {{1.14, 0}, {0.86, 0}, {0, 0.96}, {0, 1.04}},
        SparseTransport.columnSparse(SIM, 2, 1, 0.01),
        1e-8);
  }

  /** Run long enough, the dual reaches the feasible 2-sparse plan with row sums exactly 1. */
  @Test
  void expertChoiceConvergesToTheBalancedPlan() {
    assertMatrixEquals(
        new double[][] {{1, 0}, {1, 0}, {0, 1}, {0, 1}},
        SparseTransport.columnSparse(SIM, 2, 2000, 0.01),
        1e-9);
  }

  @Property
  void expertChoicePlanIsColumnSparseWithExactColumnSums(@ForAll("problem") Problem pr) {
    double[][] sim = pr.similarity;
    int s = sim.length;
    int e = sim[0].length;
    int k = 1 + pr.kSeed % s;
    double[][] copy = deepCopy(sim);
    double[][] plan = SparseTransport.columnSparse(sim, k, pr.iterations, pr.learningRate);
    assertShape(plan, s, e);
    for (int j = 0; j < e; j++) {
      double sum = 0;
      int nonZeros = 0;
      for (int i = 0; i < s; i++) {
        assertTrue(plan[i][j] >= 0 && Double.isFinite(plan[i][j]), "entry " + plan[i][j]);
        sum += plan[i][j];
        nonZeros += plan[i][j] > 0 ? 1 : 0;
      }
      assertTrue(nonZeros <= k, nonZeros + " non-zeros in column " + j + ", k = " + k);
      assertEquals((double) s / e, sum, 1e-9, "column " + j);
    }
    assertTrue(Arrays.deepEquals(sim, copy), "input modified");
    assertTrue(
        Arrays.deepEquals(
            plan, SparseTransport.columnSparse(sim, k, pr.iterations, pr.learningRate)),
        "not deterministic");
  }

  // ---- Token Choice (row-sparse) -----------------------------------------------------------

  private static final double[][] SIM_TC = {{0.7, 0.2, 0.1}, {0.6, 0.3, 0.1}, {0.1, 0.3, 0.6}};

  /**
   * S = E = 3, a = S/E = 1, b = 1, k = K = 2. At alpha = 0 row s is project_2(Sim[s,:]): [.7,.2,.1]
   * -> theta = (.9-1)/2 = -.05 -> [.75,.25,0]; [.6,.3,.1] -> [.65,.35,0]; [.1,.3,.6] ->
   * [0,.35,.65]. Expert loads [1.4,.95,.65], gradient [.4,-.05,-.35], so one Adam step gives alpha
   * = [-.01,.01,.01] and rows [.69,.21,.11] -> [.74,.26,0], [.59,.31,.11] -> [.64,.36,0], and
   * [.09,.31,.61] -> theta = (.92-1)/2 = -.04 -> [0,.35,.65] (unchanged: both kept experts moved by
   * the same +.01).
   */
  @Test
  void tokenChoiceAtZeroDualAndAfterOneAdamStep() {
    assertMatrixEquals(
        new double[][] {{0.75, 0.25, 0}, {0.65, 0.35, 0}, {0, 0.35, 0.65}},
        SparseTransport.rowSparse(SIM_TC, 2, 0, 0.01),
        1e-15);
    assertMatrixEquals(
        new double[][] {{0.74, 0.26, 0}, {0.64, 0.36, 0}, {0, 0.35, 0.65}},
        SparseTransport.rowSparse(SIM_TC, 2, 1, 0.01),
        1e-8);
  }

  /** K = 1 at alpha = 0 sends each token wholly to its most similar expert. */
  @Test
  void tokenChoiceWithOneExpertIsArgmaxAtZeroDual() {
    assertMatrixEquals(
        new double[][] {{1, 0, 0}, {1, 0, 0}, {0, 0, 1}},
        SparseTransport.rowSparse(SIM_TC, 1, 0, 0.01),
        0);
  }

  @Property
  void tokenChoicePlanIsRowSparseWithExactRowSums(@ForAll("problem") Problem pr) {
    double[][] sim = pr.similarity;
    int s = sim.length;
    int e = sim[0].length;
    int k = 1 + pr.kSeed % e;
    double[][] copy = deepCopy(sim);
    double[][] plan = SparseTransport.rowSparse(sim, k, pr.iterations, pr.learningRate);
    assertShape(plan, s, e);
    for (int i = 0; i < s; i++) {
      double sum = 0;
      int nonZeros = 0;
      for (int j = 0; j < e; j++) {
        assertTrue(plan[i][j] >= 0 && Double.isFinite(plan[i][j]), "entry " + plan[i][j]);
        sum += plan[i][j];
        nonZeros += plan[i][j] > 0 ? 1 : 0;
      }
      assertTrue(nonZeros <= k, nonZeros + " non-zeros in row " + i + ", k = " + k);
      assertEquals(1.0, sum, 1e-9, "row " + i);
    }
    assertTrue(Arrays.deepEquals(sim, copy), "input modified");
    assertTrue(
        Arrays.deepEquals(plan, SparseTransport.rowSparse(sim, k, pr.iterations, pr.learningRate)),
        "not deterministic");
  }

  @Test
  void rejectsBadArguments() {
    assertMessage("k", "0", () -> SparseTransport.columnSparse(SIM, 0, 20, 0.01));
    assertMessage("k", "-1", () -> SparseTransport.rowSparse(SIM, -1, 20, 0.01));
    assertMessage("iterations", "-1", () -> SparseTransport.columnSparse(SIM, 1, -1, 0.01));
    assertMessage("learningRate", "0.0", () -> SparseTransport.rowSparse(SIM, 1, 20, 0.0));
    assertMessage(
        "learningRate", "NaN", () -> SparseTransport.columnSparse(SIM, 1, 20, Double.NaN));
    assertMessage(
        "similarity", "0 rows", () -> SparseTransport.columnSparse(new double[0][], 1, 20, 0.01));
    assertMessage(
        "ragged",
        "row 1 has 1",
        () -> SparseTransport.rowSparse(new double[][] {{0.5, 0.5}, {1}}, 1, 20, 0.01));
    assertMessage(
        "similarity[0][1]",
        "Infinity",
        () ->
            SparseTransport.columnSparse(
                new double[][] {{0.5, Double.POSITIVE_INFINITY}}, 1, 20, 0.01));
  }

  // ---- helpers -----------------------------------------------------------------------------

  /** A routing problem: Sim = row softmax of logits uniform in [-3, 3], S in 2..40, E in 2..8. */
  record Problem(double[][] similarity, int kSeed, int iterations, double learningRate) {
    @Override
    public String toString() {
      return "Problem[S="
          + similarity.length
          + ", E="
          + similarity[0].length
          + ", kSeed="
          + kSeed
          + ", T="
          + iterations
          + ", lr="
          + learningRate
          + ", sim="
          + Arrays.deepToString(similarity)
          + "]";
    }
  }

  @Provide
  Arbitrary<Problem> problem() {
    Arbitrary<double[][]> sims =
        Arbitraries.integers()
            .between(2, 8)
            .flatMap(
                e ->
                    Arbitraries.doubles()
                        .between(-3, 3)
                        .ofScale(6)
                        .array(double[].class)
                        .ofSize(e)
                        .array(double[][].class)
                        .ofMinSize(2)
                        .ofMaxSize(40))
            .map(SparseTransportTest::softmaxRows);
    return Combinators.combine(
            sims,
            Arbitraries.integers().between(0, 1000),
            Arbitraries.integers().between(0, 30),
            Arbitraries.of(0.001, 0.01, 0.1, 0.5))
        .as(Problem::new);
  }

  private static double[][] softmaxRows(double[][] logits) {
    double[][] out = new double[logits.length][];
    for (int i = 0; i < logits.length; i++) {
      double max = Arrays.stream(logits[i]).max().orElseThrow();
      double[] ex = Arrays.stream(logits[i]).map(x -> Math.exp(x - max)).toArray();
      double z = Arrays.stream(ex).sum();
      out[i] = Arrays.stream(ex).map(x -> x / z).toArray();
    }
    return out;
  }

  private static double squaredDistance(double[] p, double[] z) {
    double d = 0;
    for (int i = 0; i < z.length; i++) {
      d += (p[i] - z[i]) * (p[i] - z[i]);
    }
    return d;
  }

  /** min over supports T with 1 <= |T| <= k of |proj_T(z) - z|^2, proj_T by bisection on theta. */
  private static double bruteForceDistance(double[] z, int k) {
    int n = z.length;
    double best = Double.POSITIVE_INFINITY;
    for (int mask = 1; mask < (1 << n); mask++) {
      if (Integer.bitCount(mask) > k) {
        continue;
      }
      double lo = -10;
      double hi = 10;
      for (int it = 0; it < 200; it++) {
        double theta = (lo + hi) / 2;
        double mass = 0;
        for (int i = 0; i < n; i++) {
          if ((mask >> i & 1) == 1) {
            mass += Math.max(z[i] - theta, 0);
          }
        }
        if (mass > 1) {
          lo = theta;
        } else {
          hi = theta;
        }
      }
      double theta = (lo + hi) / 2;
      double[] p = new double[n];
      for (int i = 0; i < n; i++) {
        if ((mask >> i & 1) == 1) {
          p[i] = Math.max(z[i] - theta, 0);
        }
      }
      best = Math.min(best, squaredDistance(p, z));
    }
    return best;
  }

  private static void assertShape(double[][] plan, int s, int e) {
    assertEquals(s, plan.length, "rows");
    for (double[] row : plan) {
      assertEquals(e, row.length, "columns");
    }
  }

  private static double[][] deepCopy(double[][] m) {
    return Arrays.stream(m).map(double[]::clone).toArray(double[][]::new);
  }

  private static void assertMessage(String part1, String part2, Runnable call) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call::run);
    assertTrue(
        ex.getMessage().contains(part1) && ex.getMessage().contains(part2),
        "message: " + ex.getMessage());
  }
}
