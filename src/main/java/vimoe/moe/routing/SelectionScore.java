package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/**
 * What a sparse router ranks by when it fills slots, and the gates its combine weights come from:
 * one type per score, each holding its three forms side by side: the float64 reference on one
 * group's Java arrays ({@link #reference}), the host form on (G, S, E) flat arrays for gates on a
 * CPU ({@link #onHost}), and the tensor program on the gates' device ({@link #onDevice}). No
 * gradient flows through a score: it only selects; the combine weights are the score's gates
 * ({@link #gates}), which carry the gradient.
 *
 * <p>A score is paired with a {@link SelectionRule} in the registry ({@link Routers}); the study
 * pairs routers of the same score {@link #id()} across families. The scores themselves are in
 * {@link SelectionScores}.
 */
public abstract class SelectionScore {
  /**
   * The score's name in router names and in the study's pairing, e.g. {@code "softmax"} for {@code
   * softmax-tc} and {@code softmax-ec}.
   */
  public abstract String id();

  /** Whether routers of this score take training noise on their logits (then sigma = 1). */
  public abstract boolean noisy();

  /**
   * Whether the score comes from an iterative solver (Sinkhorn, k-sparse OT) rather than pointwise
   * from the logits: its reference, host and device forms then agree within a tolerance, not to the
   * last bit, and ties between its entries are not reproducible across the forms.
   */
  public boolean computed() {
    return false;
  }

  /** Whether only entries with a positive score may be selected (a sparse plan's support). */
  public boolean positiveOnly() {
    return false;
  }

  /** The gates of L~, (G, S, E), whose entries at the granted slots are the combine weights. */
  public NDArray gates(NDArray logits) {
    return logits.softmax(2);
  }

  /** The float64 reference of {@link #gates} for one token's E logits. */
  public double[] gates(double[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double[] out = new double[logits.length];
    double total = 0;
    for (int e = 0; e < logits.length; e++) {
      out[e] = Math.exp(logits[e] - max);
      total += out[e];
    }
    for (int e = 0; e < logits.length; e++) {
      out[e] /= total;
    }
    return out;
  }

  /**
   * The S x E score of one group: the float64 reference.
   *
   * @param gates G of the group, S x E
   * @param logits L~ of the group, S x E
   * @param capacity C
   */
  abstract double[][] reference(double[][] gates, double[][] logits, RouterSpec spec, int capacity);

  /**
   * The (G, S, E) scores of G groups read to the host, for gates on a CPU, or {@code null} where an
   * input is not finite: a diverged model then takes the tensor program ({@link #onDevice}), which
   * passes the NaN on to the loss instead of failing.
   *
   * @param gates G, (G, S, E)
   * @param logits L~, (G, S, E)
   * @param capacity C
   * @return row-major (G, S, E) scores
   */
  abstract double[] onHost(NDArray gates, NDArray logits, RouterSpec spec, int capacity);

  /**
   * The scores as tensor programs on the gates' device, no gradient flowing through them (GPUs, and
   * non-finite gates on a CPU), (G, S, E).
   */
  abstract NDArray onDevice(NDArray gates, NDArray logits, RouterSpec spec, int capacity);

  @Override
  public String toString() {
    return id();
  }
}
