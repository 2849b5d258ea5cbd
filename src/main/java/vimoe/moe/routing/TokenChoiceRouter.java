package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Top experts per token: Token Choice. With {@link SelectionScore#GATES} this is Softmax Token
 * Choice (V-MoE, arXiv 2106.05974), with {@link SelectionScore#SINKHORN} Sinkhorn Token Choice
 * (S-BASE, arXiv 2202.01169), with {@link SelectionScore#SPARSE_OT_ROWS} Sparsity-constrained Token
 * Choice (arXiv 2209.15466). Priority order and BPR are in {@link SlotFilling#tokenChoice}.
 */
final class TokenChoiceRouter extends SparseRouter {

  TokenChoiceRouter(RouterSpec spec, SelectionScore score) {
    super(spec, score);
  }

  @Override
  GroupSlots select(double[][] scores, int capacity) {
    return SlotFilling.tokenChoice(
        scores, score.positiveOnly(), spec.k(), capacity, spec.batchPriority());
  }

  @Override
  DeviceSelection.Selection select(NDArray scores, int capacity) {
    return DeviceSelection.tokenChoice(
        scores, score.positiveOnly(), spec.k(), capacity, spec.batchPriority());
  }

  @Override
  DeviceSelection.Selection select(double[] scores, Shape shape, int capacity, NDManager manager) {
    return HostSelection.tokenChoice(
        scores, shape, score.positiveOnly(), spec.k(), capacity, spec.batchPriority(), manager);
  }

  @Override
  int k() {
    return spec.k();
  }
}
