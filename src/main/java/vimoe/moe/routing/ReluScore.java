package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * ReLU gates (ReMoE, Wang et al., ICLR 2025, arXiv 2412.14711, eq. 7): G = ReLU(L~) entrywise,
 * ranked as they are. Only positive gates may be selected ({@link #positiveOnly()}): a zero gate
 * means the expert is off for that token, so the number of experts per token varies and is steered
 * toward K by the adaptive L1 penalty of {@link vimoe.moe.loss.AuxLosses#reluL1}. The combine
 * weights are G at the granted slots, not renormalised.
 */
final class ReluScore extends GateScore {
  /** The one instance, shared by the routers of the registry. */
  static final ReluScore INSTANCE = new ReluScore();

  private ReluScore() {}

  @Override
  public String id() {
    return "relu";
  }

  @Override
  public boolean noisy() {
    return false;
  }

  @Override
  public boolean positiveOnly() {
    return true;
  }

  @Override
  public NDArray gates(NDArray logits) {
    return Activation.relu(logits);
  }

  @Override
  public double[] gates(double[] logits) {
    double[] out = new double[logits.length];
    for (int e = 0; e < logits.length; e++) {
      out[e] = Math.max(0, logits[e]);
    }
    return out;
  }
}
