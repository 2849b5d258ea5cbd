package vimoe.moe.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Auxiliary losses of docs/routing.md as pure functions, each computed per group and averaged over
 * the G groups. Squared coefficients of variation use the variance directly (mean of squares minus
 * square of mean, clamped at 0), so their gradient stays finite at perfect balance.
 */
public final class AuxLosses {
  private AuxLosses() {}

  /**
   * Importance loss (V-MoE): {@code Imp_e = sum_s G[s,e]}, {@code L_imp = (std(Imp)/mean(Imp))^2}.
   *
   * @param gates G, (G, S, E)
   * @return a scalar
   */
  public static NDArray importance(NDArray gates) {
    return squaredCv(gates.sum(new int[] {1})); // Imp, (G, E)
  }

  /**
   * Load loss (V-MoE): {@code t_s} = K-th largest of L~[s,:]; {@code P[s,e] = 1 - Phi((t_s -
   * L[s,e]) / (sigma/E))}; {@code Load_e = sum_s P[s,e]}; {@code L_load =
   * (std(Load)/mean(Load))^2}.
   *
   * @param clean L, (G, S, E)
   * @param noisy L~, (G, S, E)
   * @param noiseStd sigma > 0
   * @param k K
   * @return a scalar
   */
  public static NDArray load(NDArray clean, NDArray noisy, double noiseStd, int k) {
    long experts = clean.getShape().get(2);
    NDArray threshold =
        k == 1
            ? noisy.max(new int[] {2}, true) // t, (G, S, 1); cheaper than a sort
            : noisy.topK(k, 2, true, true).get(0).get(":, :, {}:", k - 1);
    long tokens = clean.getShape().get(1);
    // 1 - Phi(z) = (1 - erf(z / sqrt 2)) / 2 with z = (t - L) / (sigma / E): summed over s before
    // the
    // affine map, so that only three operations touch (G, S, E)
    NDArray erf =
        threshold.sub(clean).mul(constant(clean, experts / (noiseStd * Math.sqrt(2)))).erf();
    NDArray sum = erf.sum(new int[] {1}); // (G, E)
    // Load = (S - sum) / 2; the squared CV does not change with a positive factor, so the 1/2 is
    // left out
    return squaredCv(constant(sum, (double) tokens).sub(sum));
  }

  /**
   * ReMoE's load-balanced L1 penalty on ReLU gates (arXiv 2412.14711, eq. 10) for one layer, before
   * its weight lambda: {@code L = (1/T) sum_t sum_e f_e G[t,e]} with {@code f_e = E/(K T) sum_t
   * 1[G[t,e] > 0]}, over all T = G*S tokens of the batch. The counts f_e carry no gradient: experts
   * that many tokens activate are pushed toward zero harder. It is Switch's balancing loss with the
   * gates as probabilities and the active pairs as counts, as the authors compute it. Unlike the
   * other losses here it is over the whole batch, not averaged over groups, as in ReMoE.
   *
   * @param gates ReLU gates G, (G, S, E), non-negative
   * @param k K, the target of active experts per token
   * @return a scalar
   */
  public static NDArray reluL1(NDArray gates, int k) {
    Shape shape = gates.getShape();
    long experts = shape.get(2);
    double tokens = (double) shape.get(0) * shape.get(1);
    NDArray active = gates.stopGradient().gt(constant(gates, 0)).toType(gates.getDataType(), false);
    NDArray count = active.sum(new int[] {0, 1}); // (E), no gradient
    NDArray load = gates.sum(new int[] {0, 1}); // (E)
    return load.mul(count).sum().mul(constant(gates, experts / (k * tokens * tokens)));
  }

  /**
   * Router z-loss (ST-MoE, arXiv 2202.08906): {@code mean_s (logsumexp_e L[s,e])^2}.
   *
   * @param clean L, (G, S, E)
   * @return a scalar
   */
  public static NDArray zLoss(NDArray clean) {
    NDArray max = clean.max(new int[] {2}, true).stopGradient();
    NDArray lse = clean.sub(max).exp().sum(new int[] {2}).log().add(max.squeeze(2)); // (G, S)
    return lse.square().mean();
  }

  /**
   * {@code c} as a scalar on {@code like}'s device, in its manager (so a backward pass can still
   * read it) and made there by a fill: a Java number copied to a GPU waits for the queue.
   */
  private static NDArray constant(NDArray like, double c) {
    if (like.getManager() instanceof PtNDManager pt) {
      return JniUtils.full(
          pt, new Shape(), c, like.getDataType(), like.getDevice(), SparseFormat.DENSE);
    }
    return like.getManager().create(c).toType(like.getDataType(), false);
  }

  /**
   * Mean over groups of {@code var(v)/(mean(v)^2 + 1e-12)} along the last axis (1e-12 avoids 0/0
   * when every P underflows); v is (G, E). Computed as {@code (E sum v^2 - (sum v)^2) / ((sum v)^2
   * + 1e-12 E^2)}, the same quotient multiplied through by E^2, clamped at 0 against rounding: sums
   * and products instead of means and powers, fewer and lighter engine calls both ways.
   */
  static NDArray squaredCv(NDArray v) {
    long n = v.getShape().get(1);
    NDArray sum = v.sum(new int[] {1});
    NDArray sumSquared = sum.mul(sum);
    NDArray spread =
        v.mul(v).sum(new int[] {1}).mul(constant(v, (double) n)).sub(sumSquared); // E^2 var
    return Activation.relu(spread.div(sumSquared.add(constant(v, 1e-12 * n * n)))).mean();
  }
}
