package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/**
 * A score that is the gates themselves (softmax, sigmoid): the selection ranks G (S x E) as it is,
 * so the reference, host and device forms only hand the gates on. A new gate function is a subclass
 * that names itself and overrides both {@code gates} methods.
 */
abstract class GateScore extends SelectionScore {

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
