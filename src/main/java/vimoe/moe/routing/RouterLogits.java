package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/**
 * The input of a router: the clean logits L = X Wr, the logits it routes on (L~ = L + noise in
 * training, else L itself), and the noise sigma used (0 without noise).
 *
 * @param clean L, (G, S, E) (Soft MoE: (G, S, E, C))
 * @param noisy L~, same shape; the same array as {@code clean} without noise
 * @param noiseStd sigma; the noise added was (sigma / E) * N(0, 1)
 * @param bias a per-expert bias (E) added to the score for selection only (auxiliary-loss-free
 *     balancing), or {@code null}
 * @param l1Weight lambda (1), the weight of ReLU routing's L1 penalty on the gates, or {@code null}
 *     for none
 */
public record RouterLogits(
    NDArray clean, NDArray noisy, double noiseStd, NDArray bias, NDArray l1Weight) {

  /** Logits without a selection bias or an L1 weight. */
  public RouterLogits(NDArray clean, NDArray noisy, double noiseStd) {
    this(clean, noisy, noiseStd, null, null);
  }

  /** These logits with a per-expert selection bias (E). */
  public RouterLogits withBias(NDArray value) {
    return new RouterLogits(clean, noisy, noiseStd, value, l1Weight);
  }

  /** These logits with lambda (1), the weight of ReLU routing's L1 penalty. */
  public RouterLogits withL1Weight(NDArray value) {
    return new RouterLogits(clean, noisy, noiseStd, bias, value);
  }

  /** Logits without noise, as in inference and in {@code route}. */
  public static RouterLogits of(NDArray logits) {
    return new RouterLogits(logits, logits, 0);
  }
}
