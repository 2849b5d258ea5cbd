package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.stream.IntStream;

/**
 * Entropic optimal-transport balancing of router logits, as used by S-BASE (Clark et al., "Unified
 * Scaling Laws for Routed Language Models", arXiv 2202.01169) and by the {@code sinkhorn-tc} /
 * {@code sinkhorn-ec} routers of docs/routing.md.
 *
 * <p>For one group with logits L (S x E) the plan is Pi = diag(u) exp(L / eps) diag(v) with row
 * sums 1 (each token sends one unit) and column sums S/E (each expert receives an equal share). The
 * scalings are found by Sinkhorn's alternating normalisation, carried out on log u and log v with
 * log-sum-exp so that logits of any finite size neither overflow nor underflow to 0/0. After the
 * last iteration the column sums are exact and the row sums are approximate; with eps = 1 and 20
 * iterations they are within 1e-3 of 1 for logits in [-1.25, 1.25] (worst case found by search;
 * [-3, 3] needs about 500 iterations, see SinkhornTest). Pi only selects experts; no gradient flows
 * through it.
 */
public final class Sinkhorn {

  private Sinkhorn() {}

  /**
   * Balanced plan Pi = diag(u) exp(L/eps) diag(v), S x E, row targets 1, column targets S/E. Starts
   * from v = 1 and runs {@code iterations} rounds of (scale rows to their targets, then scale
   * columns), in the log domain (log-sum-exp) so large logits cannot overflow, or on the plan
   * itself where the spread of L/eps makes that safe ({@link #scaledPlan}).
   *
   * @param logits L, S rows of E finite numbers (S, E >= 1)
   * @param epsilon entropic temperature eps, finite and > 0 (docs/routing.md default 1)
   * @param iterations T >= 1 (docs/routing.md default 20)
   * @return a fresh S x E array holding Pi; its column sums equal S/E up to rounding
   * @throws IllegalArgumentException naming the offending argument or entry
   */
  public static double[][] plan(double[][] logits, double epsilon, int iterations) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
    }
    int rows = requireMatrix(logits);
    int cols = logits[0].length;

    double[] logK = new double[rows * cols];
    for (int s = 0; s < rows; s++) {
      for (int e = 0; e < cols; e++) {
        double x = logits[s][e] / epsilon;
        if (!Double.isFinite(x)) {
          throw new IllegalArgumentException(
              "logits["
                  + s
                  + "]["
                  + e
                  + "] / epsilon = "
                  + logits[s][e]
                  + " / "
                  + epsilon
                  + " is not finite");
        }
        logK[s * cols + e] = x;
      }
    }
    planInPlace(logK, 0, rows, cols, iterations);
    double[][] pi = new double[rows][cols];
    for (int s = 0; s < rows; s++) {
      System.arraycopy(logK, s * cols, pi[s], 0, cols);
    }
    return pi;
  }

  /**
   * The plans of G groups read to the host, group by group in parallel: the numbers of {@link
   * #plan(double[][], double, int)} for every group.
   *
   * @param logits L~, (G, S, E) row-major
   * @return Pi, (G, S, E) row-major, or {@code null} where an entry of L~ / eps is not finite
   */
  static double[] planGroups(
      double[] logits, int groups, int tokens, int experts, double epsilon, int iterations) {
    double[] plan = new double[logits.length];
    for (int i = 0; i < plan.length; i++) {
      plan[i] = logits[i] / epsilon;
      if (!Double.isFinite(plan[i])) {
        return null;
      }
    }
    int size = tokens * experts;
    IntStream.range(0, groups)
        .parallel()
        .forEach(g -> planInPlace(plan, g * size, tokens, experts, iterations));
    return plan;
  }

  /**
   * Overwrites log K = L / eps, the S x E block at {@code from} of a row-major array, with the
   * plan: on the plan itself ({@link #scaledPlan}) where the spread of log K allows, else in the
   * log domain.
   */
  private static void planInPlace(double[] x, int from, int rows, int cols, int iterations) {
    if (spread(x, from, rows * cols) <= SCALED_SPREAD) {
      scaledPlan(x, from, rows, cols, iterations);
      return;
    }
    double[] logU = new double[rows];
    double[] logV = new double[cols]; // v = 1
    double logColTarget = Math.log((double) rows / cols);

    for (int t = 0; t < iterations; t++) {
      // u_s = 1 / sum_e K[s,e] v_e
      for (int s = 0; s < rows; s++) {
        int row = from + s * cols;
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < cols; e++) {
          max = Math.max(max, x[row + e] + logV[e]);
        }
        double sum = 0;
        for (int e = 0; e < cols; e++) {
          sum += Math.exp(x[row + e] + logV[e] - max);
        }
        logU[s] = -(max + Math.log(sum));
      }
      // v_e = (S/E) / sum_s u_s K[s,e]
      for (int e = 0; e < cols; e++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int s = 0; s < rows; s++) {
          max = Math.max(max, x[from + s * cols + e] + logU[s]);
        }
        double sum = 0;
        for (int s = 0; s < rows; s++) {
          sum += Math.exp(x[from + s * cols + e] + logU[s] - max);
        }
        logV[e] = logColTarget - (max + Math.log(sum));
      }
    }
    // Pi[s,e] = u_s K[s,e] v_e
    for (int s = 0; s < rows; s++) {
      for (int e = 0; e < cols; e++) {
        int at = from + s * cols + e;
        x[at] = Math.exp(logU[s] + x[at] + logV[e]);
      }
    }
  }

  /**
   * The same plan for G groups at once, on the logits' device, in float64 (the Java-array {@link
   * #plan(double[][], double, int)} is its reference). Scaling rows of {@code diag(u) K diag(v)} to
   * sum 1 is a log-softmax over E of its logarithm, and scaling columns to S/E a log-softmax over S
   * plus {@code log(S/E)}; that constant cancels in the next row step, so it is added once at the
   * end. Two engine calls per iteration.
   *
   * @param logits L~, (G, S, E); no gradient flows back
   * @return Pi, (G, S, E) float64
   */
  static NDArray plans(NDArray logits, double epsilon, int iterations) {
    long tokens = logits.getShape().get(1), experts = logits.getShape().get(2);
    NDArray x = logits.stopGradient().toType(DataType.FLOAT64, false);
    if (epsilon != 1) {
      x = x.div(Scalars.constant(x, epsilon)); // log K = L / eps
    }
    for (int t = 0; t < iterations; t++) {
      x = x.logSoftmax(2).logSoftmax(1);
    }
    return x.add(Scalars.constant(x, Math.log((double) tokens / experts))).exp();
  }

  /**
   * Largest spread max - min of L/eps for which {@link #scaledPlan} runs: its entries then stay
   * above e^-600 of their row's largest (at most e^-spread from K and as much again from the column
   * scalings), far from float64's underflow at e^-708.
   */
  private static final double SCALED_SPREAD = 300;

  /**
   * The iterations of {@link #plan} on the plan itself instead of log u and log v: the first row
   * scaling (v = 1) is a softmax over e, then columns are divided by their sums and rows by theirs;
   * the column target S/E cancels in each row step, so it is applied once at the end. The same
   * iterates in exact arithmetic (within 1e-15 of the log domain in float64), without an exp or log
   * per entry and iteration: on 2 CPU cores some 4 times faster.
   *
   * @param p L/eps in the S x E block at {@code from} of a row-major array, spread at most {@link
   *     #SCALED_SPREAD}; overwritten with the plan
   */
  private static void scaledPlan(double[] p, int from, int rows, int cols, int iterations) {
    int end = from + rows * cols;
    for (int row = from; row < end; row += cols) {
      double max = Double.NEGATIVE_INFINITY;
      for (int e = 0; e < cols; e++) {
        max = Math.max(max, p[row + e]);
      }
      double sum = 0;
      for (int e = 0; e < cols; e++) {
        p[row + e] = Math.exp(p[row + e] - max);
        sum += p[row + e];
      }
      for (int e = 0; e < cols; e++) {
        p[row + e] /= sum;
      }
    }
    double[] columnSum = new double[cols];
    for (int t = 0; t < iterations; t++) {
      if (t > 0) {
        for (int row = from; row < end; row += cols) {
          double sum = 0;
          for (int e = 0; e < cols; e++) {
            sum += p[row + e];
          }
          double inverse = 1 / sum;
          for (int e = 0; e < cols; e++) {
            p[row + e] *= inverse;
          }
        }
      }
      java.util.Arrays.fill(columnSum, 0);
      for (int row = from; row < end; row += cols) {
        for (int e = 0; e < cols; e++) {
          columnSum[e] += p[row + e];
        }
      }
      for (int e = 0; e < cols; e++) {
        columnSum[e] = 1 / columnSum[e];
      }
      for (int row = from; row < end; row += cols) {
        for (int e = 0; e < cols; e++) {
          p[row + e] *= columnSum[e];
        }
      }
    }
    double target = (double) rows / cols;
    for (int i = from; i < end; i++) {
      p[i] *= target;
    }
  }

  /** max - min over {@code x[from .. from + length)}. */
  private static double spread(double[] x, int from, int length) {
    double max = Double.NEGATIVE_INFINITY, min = Double.POSITIVE_INFINITY;
    for (int i = from; i < from + length; i++) {
      max = Math.max(max, x[i]);
      min = Math.min(min, x[i]);
    }
    return max - min;
  }

  /** Checks that {@code m} is a non-empty rectangular matrix and returns its row count. */
  private static int requireMatrix(double[][] m) {
    if (m == null || m.length == 0) {
      throw new IllegalArgumentException(
          "logits must have at least one row, got " + (m == null ? "null" : "0 rows"));
    }
    if (m[0] == null || m[0].length == 0) {
      throw new IllegalArgumentException(
          "logits row 0 must have at least one entry, got "
              + (m[0] == null ? "null" : "0 entries"));
    }
    for (int s = 1; s < m.length; s++) {
      if (m[s] == null || m[s].length != m[0].length) {
        throw new IllegalArgumentException(
            "logits are ragged: row "
                + s
                + " has "
                + (m[s] == null ? "null" : m[s].length + " entries")
                + ", row 0 has "
                + m[0].length);
      }
    }
    return m.length;
  }
}
