package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Token Choice without a fixed K (ReMoE, arXiv 2412.14711): every token requests every expert whose
 * score is positive, and each expert keeps at most C requests, its largest scores, slot c its
 * (c+1)-th largest, ties to the lower token index. A token may hold 0 to E slots, so its slots are
 * indexed by expert as in Expert Choice ({@link #byExpert()}); the selection is Expert Choice's
 * over the positive entries only, whatever the score, and its three forms are those of {@link
 * ExpertChoice}. K is the target of experts per token: it sets C = S*K*CF/E and the under-K metric.
 */
final class PositiveChoice extends SelectionRule {
  /** The slot filling: each expert's top C positive scores. */
  private final SelectionRule byExpert = new ExpertChoice();

  @Override
  public Family family() {
    return Family.TOKEN_CHOICE;
  }

  @Override
  int k(RouterSpec spec) {
    return spec.k();
  }

  @Override
  boolean byExpert() {
    return true;
  }

  @Override
  GroupSlots reference(double[][] score, boolean positiveOnly, RouterSpec spec, int capacity) {
    return byExpert.reference(score, true, spec, capacity);
  }

  @Override
  DeviceSelection.Selection onHost(
      double[] score,
      Shape shape,
      boolean positiveOnly,
      RouterSpec spec,
      int capacity,
      NDManager manager) {
    return byExpert.onHost(score, shape, true, spec, capacity, manager);
  }

  /** As {@link ExpertChoice#onDevice} over the positive entries (C may exceed S here). */
  @Override
  DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity) {
    return byExpert.onDevice(score, true, spec, capacity);
  }
}
