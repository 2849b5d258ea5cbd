package vimoe.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The few-shot ridge probe: separable data, random data, a 1-d case by hand, determinism. */
class FewShotProbeTest {
  static final int[] PAPER_SHOTS = {1, 5, 10, 25};

  /** Features and labels of one synthetic data set. */
  record Data(double[][] x, int[] y) {}

  /** Class c at 20 * u_c (u_c a random unit vector) plus N(0, 1) noise in every coordinate. */
  static Data separable(int n, int classes, int dim, double[][] means, Random random) {
    double[][] x = new double[n][dim];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % classes;
      for (int j = 0; j < dim; j++) {
        x[i][j] = means[y[i]][j] + random.nextGaussian();
      }
    }
    return new Data(x, y);
  }

  static double[][] classMeans(int classes, int dim, double distance, Random random) {
    double[][] means = new double[classes][dim];
    for (double[] m : means) {
      double norm = 0;
      for (int j = 0; j < dim; j++) {
        m[j] = random.nextGaussian();
        norm += m[j] * m[j];
      }
      for (int j = 0; j < dim; j++) {
        m[j] *= distance / Math.sqrt(norm);
      }
    }
    return means;
  }

  /** Gaussian features with labels drawn independently of them. */
  static Data noise(int n, int classes, int dim, Random random) {
    double[][] x = new double[n][dim];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = random.nextInt(classes);
      for (int j = 0; j < dim; j++) {
        x[i][j] = random.nextGaussian();
      }
    }
    return new Data(x, y);
  }

  @Test
  void linearlySeparableFeaturesAreClassifiedPerfectly() {
    Random random = new Random(1);
    int classes = 5, dim = 32;
    double[][] means = classMeans(classes, dim, 20, random); // means ~28 apart, noise 1 per axis
    Data pool = separable(400, classes, dim, means, random);
    Data test = separable(1000, classes, dim, means, random);
    for (double lambda : new double[] {FewShotProbe.DEFAULT_LAMBDA, 1e-3}) {
      List<FewShotProbe.ShotResult> results =
          FewShotProbe.evaluate(
              pool.x, pool.y, test.x, test.y, classes, PAPER_SHOTS, 3, 42, lambda);
      assertEquals(4, results.size());
      for (int s = 0; s < PAPER_SHOTS.length; s++) {
        FewShotProbe.ShotResult r = results.get(s);
        assertEquals(PAPER_SHOTS[s], r.shots());
        assertArrayEquals(new double[] {1, 1, 1}, r.accuracies(), "lambda " + lambda + ", " + r);
        assertEquals(1.0, r.mean());
        assertEquals(0.0, r.std());
      }
    }
  }

  @Test
  void randomFeaturesWithRandomLabelsScoreChance() {
    // 10 classes and 4000 test points: one draw's accuracy has standard deviation
    // sqrt(0.1 * 0.9 / 4000) = 0.0047, so the tolerance 0.03 is over 6 of them.
    Random random = new Random(2);
    int classes = 10, dim = 16;
    Data pool = noise(600, classes, dim, random);
    Data test = noise(4000, classes, dim, random);
    for (FewShotProbe.ShotResult r :
        FewShotProbe.evaluate(
            pool.x,
            pool.y,
            test.x,
            test.y,
            classes,
            PAPER_SHOTS,
            5,
            7,
            FewShotProbe.DEFAULT_LAMBDA)) {
      assertTrue(Math.abs(r.mean() - 1.0 / classes) < 0.03, r.toString());
      for (double a : r.accuracies()) {
        assertTrue(Math.abs(a - 1.0 / classes) < 0.03, r.toString());
      }
    }
  }

  @Test
  void oneDimensionalRidgeMatchesTheFormulaByHand() {
    // Three classes, one shot each, 1-d features x = 0, 1, 5 for classes 0, 1, 2.
    // mean = 2; population std = sqrt((4 + 1 + 9) / 3) = sqrt(14/3) = 2.16025; s = std + 1e-5.
    // z = (x - 2) / s = -0.92582, -0.46291, 1.38873 (to 1e-5); sum z = 0, sum z^2 = 3 (to 1e-5).
    // T = 2*I - 1: column means b_c = (1 - 1 - 1) / 3 = -1/3, so Tc = diag 4/3, off-diagonal -2/3.
    // Ridge with lambda = 1: w_c = sum_i z_i Tc[i][c] / (sum z^2 + 1)
    //                             = (4/3 z_c - 2/3 (sum z - z_c)) / 4 = 2 z_c / 4 = z_c / 2.
    // So W = (-0.46291, -0.23146, 0.69437) and b = (-1/3, -1/3, -1/3).
    double[][] x = {{0}, {1}, {5}};
    int[] y = {0, 1, 2};
    FewShotProbe.Probe p = FewShotProbe.fit(x, y, 3, 1.0);
    double s = Math.sqrt(14.0 / 3) + FewShotProbe.STD_EPSILON;
    assertEquals(2.0, p.mean()[0], 1e-12);
    assertEquals(s, p.scale()[0], 1e-12);
    double sumZ2 = (4 + 1 + 9) / (s * s);
    for (int c = 0; c < 3; c++) {
      double z = (x[c][0] - 2) / s;
      assertEquals(2 * z / (sumZ2 + 1), p.weights()[0][c], 1e-12, "w_" + c);
      assertEquals(-1.0 / 3, p.bias()[c], 1e-12, "b_" + c);
    }
    assertArrayEquals(new double[] {-0.46291, -0.23146, 0.69437}, p.weights()[0], 1e-5);
    // 1-d with one weight per class: class 0 wins far left, class 2 far right; the middle class
    // never has the largest score (its weight lies between the other two, and all biases are
    // equal).
    assertEquals(0, p.predict(new double[] {-10}));
    assertEquals(2, p.predict(new double[] {10}));
  }

  @Test
  void dualAndPrimalClosedFormsAgree() {
    Random random = new Random(3);
    int classes = 4;
    for (int[] shape : new int[][] {{8, 20}, {40, 6}, {12, 12}}) { // {m, D}: m < D, m > D, m = D
      Data d = noise(shape[0], classes, shape[1], random);
      for (double lambda : new double[] {0.1, FewShotProbe.DEFAULT_LAMBDA}) {
        FewShotProbe.Probe primal = FewShotProbe.fit(d.x, d.y, classes, lambda, false);
        FewShotProbe.Probe dual = FewShotProbe.fit(d.x, d.y, classes, lambda, true);
        for (int j = 0; j < shape[1]; j++) {
          assertArrayEquals(primal.weights()[j], dual.weights()[j], 1e-9);
        }
        assertArrayEquals(primal.bias(), dual.bias(), 0);
      }
    }
  }

  @Test
  void theFitSolvesTheRidgeNormalEquations() {
    // Stationarity of ||Z W + 1 b^T - T||^2 + lambda ||W||^2 at the returned (W, b):
    // Z^T (Z W + 1 b^T - T) + lambda W = 0 and 1^T (Z W + 1 b^T - T) = 0.
    Random random = new Random(4);
    int classes = 3, m = 15, dim = 5;
    Data d = noise(m, classes, dim, random);
    double lambda = 2.5;
    FewShotProbe.Probe p = FewShotProbe.fit(d.x, d.y, classes, lambda);
    double[][] residual = new double[m][classes];
    double[][] z = new double[m][dim];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < dim; j++) {
        z[i][j] = (d.x[i][j] - p.mean()[j]) / p.scale()[j];
      }
      for (int c = 0; c < classes; c++) {
        double v = p.bias()[c] - (d.y[i] == c ? 1 : -1);
        for (int j = 0; j < dim; j++) {
          v += z[i][j] * p.weights()[j][c];
        }
        residual[i][c] = v;
      }
    }
    for (int c = 0; c < classes; c++) {
      double sum = 0;
      for (int i = 0; i < m; i++) {
        sum += residual[i][c];
      }
      assertEquals(0, sum, 1e-10);
      for (int j = 0; j < dim; j++) {
        double g = lambda * p.weights()[j][c];
        for (int i = 0; i < m; i++) {
          g += z[i][j] * residual[i][c];
        }
        assertEquals(0, g, 1e-10);
      }
    }
  }

  @Test
  void sameSeedSameResultAndShotCountsAreIndependent() {
    Random random = new Random(5);
    int classes = 4, dim = 8;
    double[][] means =
        classMeans(classes, dim, 1.5, random); // overlapping classes: accuracy varies
    Data pool = separable(200, classes, dim, means, random);
    Data test = separable(300, classes, dim, means, random);
    var a =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {1, 5}, 4, 9, 10);
    var b =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {1, 5}, 4, 9, 10);
    assertEquals(a, b);
    var only5 =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {5}, 4, 9, 10);
    assertEquals(a.get(1), only5.get(0));
    var other =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {1, 5}, 4, 10, 10);
    assertNotEquals(a, other);
    double[] acc = a.get(0).accuracies();
    assertTrue(
        acc[0] != acc[1] || acc[1] != acc[2] || acc[2] != acc[3], "draws differ: " + a.get(0));
  }

  @Test
  void meanAndPopulationStdOverDraws() {
    Random random = new Random(6);
    int classes = 3, dim = 6;
    double[][] means = classMeans(classes, dim, 1.5, random);
    Data pool = separable(90, classes, dim, means, random);
    Data test = separable(90, classes, dim, means, random);
    var one =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {2}, 1, 3, 10)
            .get(0);
    assertEquals(0.0, one.std());
    assertEquals(one.accuracies()[0], one.mean());
    var five =
        FewShotProbe.evaluate(pool.x, pool.y, test.x, test.y, classes, new int[] {2}, 5, 3, 10)
            .get(0);
    double[] acc = five.accuracies();
    double mean = (acc[0] + acc[1] + acc[2] + acc[3] + acc[4]) / 5, var = 0;
    for (double v : acc) {
      var += (v - mean) * (v - mean) / 5;
    }
    assertEquals(mean, five.mean(), 1e-15);
    assertEquals(Math.sqrt(var), five.std(), 1e-15);
    assertTrue(five.std() > 0, five.toString());
  }

  @Test
  void aClassWithTooFewExamplesIsRefusedByName() {
    double[][] x = {{0}, {1}, {2}, {3}, {4}};
    int[] y = {0, 0, 0, 1, 1};
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FewShotProbe.evaluate(x, y, x, y, 2, new int[] {1, 3}, 1, 0, 1.0));
    assertEquals(
        "class 1 has 2 examples in the few-shot pool, fewer than the 3 shots requested",
        e.getMessage());
    var none =
        assertThrows(
            IllegalArgumentException.class,
            () -> FewShotProbe.evaluate(x, y, x, y, 3, new int[] {1}, 1, 0, 1.0));
    assertTrue(none.getMessage().startsWith("class 2 has 0 examples"), none.getMessage());
  }

  @Test
  void badArgumentsAreRefused() {
    double[][] x = {{0}, {1}};
    int[] y = {0, 1};
    assertThrows(
        IllegalArgumentException.class,
        () -> FewShotProbe.evaluate(x, y, x, y, 2, new int[] {1}, 1, 0, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> FewShotProbe.evaluate(x, y, x, y, 2, new int[] {1}, 0, 0, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> FewShotProbe.evaluate(x, y, x, y, 2, new int[] {0}, 1, 0, 1));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            FewShotProbe.evaluate(
                x, y, new double[][] {{0, 1}}, new int[] {0}, 2, new int[] {1}, 1, 0, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> FewShotProbe.evaluate(x, new int[] {0, 2}, x, y, 2, new int[] {1}, 1, 0, 1));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            FewShotProbe.evaluate(
                new double[][] {{0}, {Double.NaN}}, y, x, y, 2, new int[] {1}, 1, 0, 1));
  }
}
