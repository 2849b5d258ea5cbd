package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Sparsity-constrained optimal transport (Liu, Puigcerver, Blondel, "Sparsity-Constrained Optimal
 * Transport", arXiv 2209.15466), the plan of the {@code sparse-ot-ec} and {@code sparse-ot-tc}
 * routers, following the "k-sparse optimal transport" section of docs/routing.md.
 *
 * <p>Given cost M = -Sim (A x B), uniform marginals a (rows) and b (columns), sparsity k and gamma
 * = 1, the semi-dual in alpha (length A) is F(alpha) = sum_j b ( &lt;p_j, x_j&gt; - gamma b
 * (|p_j|^2 - 1) / 2 ) - &lt;alpha, a&gt; with x_j = alpha - M[:,j] and p_j = project_k(x_j / (gamma
 * b)). It is minimised by Adam from alpha = 0 and the plan is column j = b p_j, so every column has
 * at most k non-zeros and sums to b exactly (up to rounding); the row sums only approach a as the
 * dual converges.
 *
 * <p>Expert Choice is the problem on Sim itself (A = S, B = E, a = 1, b = S/E, k = C), Token Choice
 * the problem on Sim^T (A = E, B = S, a = S/E, b = 1, k = K) transposed back. {@code iterations =
 * 0} is allowed and yields the plan at alpha = 0.
 */
public final class SparseTransport {

  private static final double GAMMA = 1.0;
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double ADAM_EPS = 1e-8;

  private SparseTransport() {}

  /**
   * Expert Choice plan: S x E, at most k non-zeros per column (expert), column sums exactly S/E.
   *
   * @param similarity Sim, S x E finite numbers (docs/routing.md: softmax of the clean logits)
   * @param k C, the non-zeros allowed per expert, >= 1 (k >= S means no constraint)
   * @param iterations Adam steps T >= 0 (docs/routing.md default 20)
   * @param learningRate Adam learning rate, finite and > 0 (docs/routing.md default 0.01)
   */
  public static double[][] columnSparse(
      double[][] similarity, int k, int iterations, double learningRate) {
    int s = checkArguments(similarity, k, iterations, learningRate);
    int e = similarity[0].length;
    return solve(similarity, 1.0, (double) s / e, k, iterations, learningRate);
  }

  /**
   * Token Choice plan: S x E, at most k non-zeros per row (token), row sums exactly 1. Solves the
   * problem on the transpose (A = E, B = S, a = S/E, b = 1) and transposes the plan back.
   *
   * @param similarity Sim, S x E finite numbers (docs/routing.md: softmax of the clean logits)
   * @param k K, the non-zeros allowed per token, >= 1 (k >= E means no constraint)
   * @param iterations Adam steps T >= 0 (docs/routing.md default 20)
   * @param learningRate Adam learning rate, finite and > 0 (docs/routing.md default 0.01)
   */
  public static double[][] rowSparse(
      double[][] similarity, int k, int iterations, double learningRate) {
    int s = checkArguments(similarity, k, iterations, learningRate);
    int e = similarity[0].length;
    double[][] planT =
        solve(transpose(similarity), (double) s / e, 1.0, k, iterations, learningRate);
    return transpose(planT);
  }

  /**
   * The Expert Choice plan of G groups at once, on the device, in float64; the Java-array {@link
   * #columnSparse(double[][], int, int, double)} is its reference.
   *
   * @param similarity Sim, (G, S, E); no gradient flows back
   * @return Pi, (G, S, E) float64
   */
  static NDArray columnSparsePlans(NDArray similarity, int k, int iterations, double learningRate) {
    Shape shape = similarity.getShape();
    NDArray byExpert =
        similarity.stopGradient().toType(DataType.FLOAT64, false).transpose(0, 2, 1); // (G, E, S)
    return solve(byExpert, 1.0, (double) shape.get(1) / shape.get(2), k, iterations, learningRate)
        .transpose(0, 2, 1);
  }

  /**
   * The Token Choice plan of G groups at once, on the device, in float64; the Java-array {@link
   * #rowSparse(double[][], int, int, double)} is its reference.
   *
   * @param similarity Sim, (G, S, E); no gradient flows back
   * @return Pi, (G, S, E) float64
   */
  static NDArray rowSparsePlans(NDArray similarity, int k, int iterations, double learningRate) {
    Shape shape = similarity.getShape();
    NDArray sim =
        similarity
            .stopGradient()
            .toType(DataType.FLOAT64, false); // the transposed problem, (G, B=S, A=E)
    return solve(sim, (double) shape.get(1) / shape.get(2), 1.0, k, iterations, learningRate);
  }

  /**
   * Adam on the semi-dual, batched: {@code sim} is (G, B, A), row j holding column j of the A x B
   * problem, so every projection runs along the last axis. Returns the plan in the same layout.
   */
  private static NDArray solve(
      NDArray sim, double a, double b, int k, int iterations, double learningRate) {
    Shape shape = sim.getShape();
    NDArray alpha =
        sim.getManager()
            .zeros(new Shape(shape.get(0), 1, shape.get(2)), DataType.FLOAT64, sim.getDevice());
    NDArray m1 = alpha, m2 = alpha;
    NDArray inverse = Scalars.constant(sim, 1 / (GAMMA * b)),
        bb = Scalars.constant(sim, b),
        aa = Scalars.constant(sim, a);
    NDArray beta1 = Scalars.constant(sim, BETA1), beta2 = Scalars.constant(sim, BETA2);
    NDArray rest1 = Scalars.constant(sim, 1 - BETA1), rest2 = Scalars.constant(sim, 1 - BETA2);
    NDArray lr = Scalars.constant(sim, learningRate), eps = Scalars.constant(sim, ADAM_EPS);
    double beta1Power = 1;
    double beta2Power = 1;
    for (int t = 0; t < iterations; t++) {
      NDArray p =
          project(
              alpha.add(sim).mul(inverse),
              k); // x_j / (gamma b), (G, B, A), as the host computes it
      NDArray grad = p.sum(new int[] {1}, true).mul(bb).sub(aa); // sum_j b p_j - a, (G, 1, A)
      beta1Power *= BETA1;
      beta2Power *= BETA2;
      m1 = m1.mul(beta1).add(grad.mul(rest1));
      m2 = m2.mul(beta2).add(grad.square().mul(rest2));
      NDArray mHat = m1.div(Scalars.constant(sim, 1 - beta1Power));
      NDArray vHat = m2.div(Scalars.constant(sim, 1 - beta2Power));
      alpha = alpha.sub(mHat.mul(lr).div(vHat.sqrt().add(eps)));
    }
    return project(alpha.add(sim).mul(inverse), k).mul(bb);
  }

  /**
   * project_k along the last axis, batched, as {@link #projectInto}: the kept entries are those
   * above the k-th largest value t, then the lowest-index entries equal to t (a cumulative count
   * among them), so ties go to the lower index without a stable sort; theta from the sorted kept
   * values, with the prefix rule enforced by a cumulative product.
   *
   * @param z (..., N) float64
   */
  static NDArray project(NDArray z, int k) {
    int axis = z.getShape().dimension() - 1;
    int kept = (int) Math.min(k, z.getShape().get(axis));
    NDArray v = z.topK(kept, axis, true, true).get(0); // (..., kept), descending
    NDArray t = v.get(new NDIndex("..., {}:", kept - 1));
    NDArray greater = z.gt(t), equal = z.eq(t);
    NDArray room =
        Scalars.fresh(z, kept, DataType.INT64)
            .sub(greater.toType(DataType.INT64, false).sum(new int[] {axis}, true));
    NDArray member =
        greater.logicalOr(
            equal.logicalAnd(equal.toType(DataType.INT64, false).cumSum(axis).lte(room)));
    NDArray one = Scalars.constant(z, 1);
    NDArray rank =
        Scalars.cached(
            z,
            "float64 ranks " + kept,
            c -> c.arange(1, kept + 1, 1, DataType.FLOAT64, z.getDevice()));
    NDArray candidate = v.cumSum(axis).sub(one).div(rank); // (sum_{q<=r} v_q - 1) / r
    NDArray zero = Scalars.constant(z, 0);
    NDArray rho =
        v.sub(candidate)
            .gt(zero)
            .toType(DataType.INT64, false)
            .cumProd(axis)
            .sum(new int[] {axis}, true); // length of the prefix where v_r > candidate_r
    NDArray firstRank = Scalars.constant(rho, 1);
    // >= 1 for finite z; NaNs (a diverged model) would make it 0, an out-of-range gather
    NDArray theta = candidate.gather(rho.maximum(firstRank).sub(firstRank), axis);
    return z.sub(theta).maximum(zero).mul(member.toType(DataType.FLOAT64, false));
  }

  /**
   * project_k: keeps the k largest entries of z (ties: lower index first), projects them onto the
   * probability simplex in the Euclidean norm (sort-based algorithm) and sets all other entries to
   * 0. With k >= z.length it is the plain simplex projection.
   */
  static double[] projectTopKSimplex(double[] z, int k) {
    if (z == null || z.length == 0) {
      throw new IllegalArgumentException(
          "z must be non-empty, got " + (z == null ? "null" : "length 0"));
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    for (int i = 0; i < z.length; i++) {
      if (!Double.isFinite(z[i])) {
        throw new IllegalArgumentException("z[" + i + "] is not finite: " + z[i]);
      }
    }
    double[] out = new double[z.length];
    projectInto(z, z.length, k, out, new int[Math.min(k, z.length)]);
    return out;
  }

  /**
   * Adam on the semi-dual of the A x B problem with cost -sim, row marginal a and column marginal b
   * (both uniform); returns the plan, column j = b p_j at the final alpha.
   */
  private static double[][] solve(
      double[][] sim, double a, double b, int k, int iterations, double learningRate) {
    int rows = sim.length;
    int cols = sim[0].length;
    double[] byColumn = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        byColumn[j * rows + i] = sim[i][j];
      }
    }
    double[] flat = new double[rows * cols];
    new Solver(rows, k).solve(byColumn, 0, cols, a, b, iterations, learningRate, flat, 0);
    double[][] plan = new double[rows][cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        plan[i][j] = flat[j * rows + i];
      }
    }
    return plan;
  }

  /**
   * The Expert Choice plans of G groups read to the host, group by group in parallel: the numbers
   * of {@link #columnSparse(double[][], int, int, double)} for every group.
   *
   * @param similarity Sim, (G, S, E) row-major, finite
   * @return Pi, (G, S, E) row-major
   */
  static double[] columnSparseGroups(
      double[] similarity,
      int groups,
      int tokens,
      int experts,
      int k,
      int iterations,
      double learningRate) {
    double[] plan = new double[similarity.length];
    int size = tokens * experts;
    IntStream.range(0, groups)
        .parallel()
        .forEach(
            g -> {
              double[] buffer = new double[2 * size];
              for (int s = 0; s < tokens; s++) {
                for (int e = 0; e < experts; e++) {
                  buffer[e * tokens + s] =
                      similarity[g * size + s * experts + e]; // column e of Sim
                }
              }
              new Solver(tokens, k)
                  .solve(
                      buffer,
                      0,
                      experts,
                      1.0,
                      (double) tokens / experts,
                      iterations,
                      learningRate,
                      buffer,
                      size);
              for (int s = 0; s < tokens; s++) {
                for (int e = 0; e < experts; e++) {
                  plan[g * size + s * experts + e] = buffer[size + e * tokens + s];
                }
              }
            });
    return plan;
  }

  /**
   * The Token Choice plans of G groups read to the host, group by group in parallel: the numbers of
   * {@link #rowSparse(double[][], int, int, double)} for every group. Row s of a group's Sim is
   * column s of the transposed problem, so the row-major layout serves it as it is.
   *
   * @param similarity Sim, (G, S, E) row-major, finite
   * @return Pi, (G, S, E) row-major
   */
  static double[] rowSparseGroups(
      double[] similarity,
      int groups,
      int tokens,
      int experts,
      int k,
      int iterations,
      double learningRate) {
    double[] plan = new double[similarity.length];
    int size = tokens * experts;
    IntStream.range(0, groups)
        .parallel()
        .forEach(
            g ->
                new Solver(experts, k)
                    .solve(
                        similarity,
                        g * size,
                        tokens,
                        (double) tokens / experts,
                        1.0,
                        iterations,
                        learningRate,
                        plan,
                        g * size));
    return plan;
  }

  /**
   * Adam on the semi-dual for one problem with A rows, on flat arrays where column j of the A x B
   * similarity is {@code sim[from + j*A .. from + (j+1)*A)}. Only the kept entries of each
   * projection are visited after the selection, so the additions into the gradient are those of the
   * dense sum without its zero terms: the same numbers.
   *
   * <p>The selection of a column's k best entries skips, by one comparison each, the entries below
   * a guess: its k-th value in the previous step less twice the largest move of alpha since (an
   * Adam step moves alpha by about the learning rate, so few entries cross it). The guess needs no
   * bound on rounding: if the entries at or above it hold at least k and their k-th value is at or
   * above it, every skipped entry lies strictly below the k-th value, so the selection, ties
   * included, is the one over all entries; otherwise the column is selected again over all of them.
   */
  private static final class Solver {
    private final int rows;
    private final int kept;
    private final double[] alpha;
    private final double[] grad;
    private final double[] m1;
    private final double[] m2;
    private final int[] top;
    private final double[] values;
    private final double[] z;
    private final int[] candidate;
    private double[] kthValue = new double[0];
    private double moved;

    Solver(int rows, int k) {
      this.rows = rows;
      this.kept = Math.min(k, rows);
      alpha = new double[rows];
      grad = new double[rows];
      m1 = new double[rows];
      m2 = new double[rows];
      top = new int[kept];
      values = new double[kept];
      z = new double[rows];
      candidate = new int[rows + 1];
    }

    /**
     * Writes the plan (column j = b p_j, zeros elsewhere) into {@code plan[to ..]}, laid out as
     * sim; that range must hold zeros.
     */
    void solve(
        double[] sim,
        int from,
        int cols,
        double a,
        double b,
        int iterations,
        double learningRate,
        double[] plan,
        int to) {
      kthValue = new double[cols];
      Arrays.fill(kthValue, Double.NEGATIVE_INFINITY);
      moved = 0;
      double beta1Power = 1;
      double beta2Power = 1;
      for (int t = 0; t < iterations; t++) {
        // dF/dalpha = sum_j b p_j - a
        Arrays.fill(grad, -a);
        for (int j = 0; j < cols; j++) {
          double theta = project(sim, from, j, b);
          for (int r = 0; r < kept; r++) {
            grad[top[r]] += b * Math.max(values[r] - theta, 0.0);
          }
        }
        beta1Power *= BETA1;
        beta2Power *= BETA2;
        moved = 0;
        for (int i = 0; i < rows; i++) {
          m1[i] = BETA1 * m1[i] + (1 - BETA1) * grad[i];
          m2[i] = BETA2 * m2[i] + (1 - BETA2) * grad[i] * grad[i];
          double mHat = m1[i] / (1 - beta1Power);
          double vHat = m2[i] / (1 - beta2Power);
          double step = learningRate * mHat / (Math.sqrt(vHat) + ADAM_EPS);
          alpha[i] -= step;
          moved = Math.max(moved, Math.abs(step));
        }
      }
      for (int j = 0; j < cols; j++) {
        double theta = project(sim, from, j, b);
        for (int r = 0; r < kept; r++) {
          plan[to + j * rows + top[r]] = b * Math.max(values[r] - theta, 0.0);
        }
      }
    }

    /**
     * project_k(x_j / (gamma b)) with x_j = alpha + sim[:, j]: leaves the kept indices, best first
     * (ties: lower index), in {@code top}, their values in {@code values}, and returns theta; entry
     * top[r] of the projection is max(values[r] - theta, 0), every other one 0.
     */
    private double project(double[] sim, int from, int j, double b) {
      double inverse = 1 / (GAMMA * b);
      int column = from + j * rows;
      double guess = kthValue[j] - 2 * moved * inverse;
      if (kept == rows
          || !(select(sim, column, inverse, guess) == kept && values[kept - 1] >= guess)) {
        select(sim, column, inverse, Double.NEGATIVE_INFINITY);
      }
      kthValue[j] = values[kept - 1];
      return theta(values, kept);
    }

    /**
     * The up to k best entries of column z = (alpha + sim[column ..]) * inverse that are at or
     * above {@code low}, best first, ties to the lower index, into top and values; returns how
     * many. The entries at or above {@code low} are listed first without a branch (which ones pass
     * has no pattern a branch predictor could learn; on 2 cores this took a fifth off Expert
     * Choice's solve at micro), then inserted into the sorted best k.
     */
    private int select(double[] sim, int column, double inverse, double low) {
      int candidates = 0;
      for (int i = 0; i < rows; i++) {
        double x = (alpha[i] + sim[column + i]) * inverse;
        z[i] = x;
        candidate[candidates] = i;
        candidates += x >= low ? 1 : 0; // no branch: which entries pass is data, not a pattern
      }
      int count = 0;
      for (int c = 0; c < candidates; c++) {
        int i = candidate[c];
        double x = z[i];
        if (count == kept && !(x > values[kept - 1])) {
          continue;
        }
        int at = count < kept ? count++ : kept - 1;
        while (at > 0
            && x > values[at - 1]) { // strictly greater: an equal earlier index stays ahead
          values[at] = values[at - 1];
          top[at] = top[at - 1];
          at--;
        }
        values[at] = x;
        top[at] = i;
      }
      return count;
    }
  }

  /**
   * The simplex threshold of the sorted v_1 >= ... >= v_kept: rho = largest r with v_r >
   * (sum_{q<=r} v_q - 1) / r, theta = (sum_{q<=rho} v_q - 1) / rho. The condition holds exactly on
   * a prefix, so the scan stops at its first failure.
   */
  private static double theta(double[] sorted, int kept) {
    double cumulative = 0;
    double theta = 0;
    for (int r = 0; r < kept; r++) {
      double v = sorted[r];
      cumulative += v;
      double candidate = (cumulative - 1) / (r + 1);
      if (v - candidate <= 0) {
        break;
      }
      theta = candidate;
    }
    return theta;
  }

  /**
   * Writes project_k(z[0..n)) into out[0..n): the k best indices (ties: lower index first), sorted
   * best first, then the sort-based simplex threshold.
   */
  private static void projectInto(double[] z, int n, int k, double[] out, int[] top) {
    int kept = Math.min(k, n);
    double[] values = new double[kept];
    HostSelection.topIndices(z, 0, 1, n, kept, top, values);
    double theta = theta(values, kept);
    Arrays.fill(out, 0, n, 0.0);
    for (int r = 0; r < kept; r++) {
      out[top[r]] = Math.max(values[r] - theta, 0.0);
    }
  }

  private static double[][] transpose(double[][] m) {
    double[][] t = new double[m[0].length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        t[j][i] = m[i][j];
      }
    }
    return t;
  }

  /** Validates the public arguments and returns S, the number of rows of similarity. */
  private static int checkArguments(
      double[][] similarity, int k, int iterations, double learningRate) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    if (iterations < 0) {
      throw new IllegalArgumentException("iterations must be >= 0, got " + iterations);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException(
          "learningRate must be finite and > 0, got " + learningRate);
    }
    if (similarity == null || similarity.length == 0) {
      throw new IllegalArgumentException(
          "similarity must have at least one row, got " + (similarity == null ? "null" : "0 rows"));
    }
    int cols = similarity[0] == null ? 0 : similarity[0].length;
    if (cols == 0) {
      throw new IllegalArgumentException("similarity row 0 must have at least one entry");
    }
    for (int s = 0; s < similarity.length; s++) {
      if (similarity[s] == null || similarity[s].length != cols) {
        throw new IllegalArgumentException(
            "similarity is ragged: row "
                + s
                + " has "
                + (similarity[s] == null ? "null" : similarity[s].length + " entries")
                + ", row 0 has "
                + cols);
      }
      for (int e = 0; e < cols; e++) {
        if (!Double.isFinite(similarity[s][e])) {
          throw new IllegalArgumentException(
              "similarity[" + s + "][" + e + "] is not finite: " + similarity[s][e]);
        }
      }
    }
    return similarity.length;
  }
}
