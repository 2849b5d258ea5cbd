package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/** The softmax gates G = softmax(L~) as the score (V-MoE, arXiv 2106.05974; Expert Choice). */
final class SoftmaxScore extends SelectionScore {

  @Override
  public String id() {
    return "softmax";
  }

  @Override
  public boolean noisy() {
    return true;
  }

  @Override
  double[][] reference(double[][] gates, double[][] logits, RouterSpec spec, int capacity) {
    return gates;
  }

  @Override
  double[] onHost(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    return HostSelection.read(gates);
  }

  @Override
  NDArray onDevice(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    return gates.stopGradient();
  }
}
