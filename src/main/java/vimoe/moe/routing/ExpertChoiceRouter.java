package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Top tokens per expert: Expert Choice. With {@link SelectionScore#GATES} this is Softmax Expert
 * Choice (Zhou et al., arXiv 2202.09368), with {@link SelectionScore#SINKHORN} Sinkhorn Expert
 * Choice, with {@link SelectionScore#SPARSE_OT_COLUMNS} Sparsity-constrained Expert Choice (both
 * new in arXiv 2401.15969). The selection rule is {@link SlotFilling#expertChoice}.
 */
final class ExpertChoiceRouter extends SparseRouter {

  ExpertChoiceRouter(RouterSpec spec, SelectionScore score) {
    super(spec, score);
  }

  @Override
  GroupSlots select(double[][] scores, int capacity) {
    return SlotFilling.expertChoice(scores, score.positiveOnly(), capacity);
  }

  @Override
  DeviceSelection.Selection select(NDArray scores, int capacity) {
    return DeviceSelection.expertChoice(scores, score.positiveOnly(), capacity);
  }

  @Override
  DeviceSelection.Selection select(double[] scores, Shape shape, int capacity, NDManager manager) {
    return HostSelection.expertChoice(scores, shape, score.positiveOnly(), capacity, manager);
  }

  @Override
  int k() {
    return 1;
  }
}
