package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * Sigmoid gates (DeepSeek-V3, arXiv 2412.19437, eq. 13-15): G = sigmoid(L~) entrywise, ranked as
 * they are; the combine weights are G at the granted slots, under Token Choice renormalised over
 * each token's granted experts ({@code normalize_gates}, on by default for {@code sigmoid-tc}).
 * Unlike softmax, a token's gates do not compete: each expert's affinity is independent. With K = 1
 * and renormalisation every granted weight is 1 and the router learns nothing through the combine,
 * as in the paper's formula; DeepSeek-V3 uses K = 8.
 */
final class SigmoidScore extends GateScore {
  /** The one instance, shared by the routers of the registry. */
  static final SigmoidScore INSTANCE = new SigmoidScore();

  private SigmoidScore() {}

  @Override
  public String id() {
    return "sigmoid";
  }

  @Override
  public boolean noisy() {
    return false;
  }

  @Override
  public NDArray gates(NDArray logits) {
    return Activation.sigmoid(logits);
  }

  @Override
  public double[] gates(double[] logits) {
    double[] out = new double[logits.length];
    for (int e = 0; e < logits.length; e++) {
      out[e] = 1 / (1 + Math.exp(-logits[e]));
    }
    return out;
  }
}
