package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * How a sparse router's S x E scores fill a group's E*C slots (Token Choice, Expert Choice, ...):
 * one type per rule, each holding its three forms side by side: the float64 reference on one
 * group's Java arrays ({@link #reference}), loops over flat host arrays for scores on a CPU ({@link
 * #onHost}), and tensor programs on the scores' device ({@link #onDevice}). The host and device
 * forms build the same index tensors; ties always go to the lower index. Scores are only compared,
 * never differentiated. The rules themselves are in {@link SelectionRules}.
 */
public abstract class SelectionRule {
  /** The family this rule defines. */
  public abstract Family family();

  /** K for the under-K metric and the load loss (1 where tokens do not ask for K experts). */
  abstract int k(RouterSpec spec);

  /**
   * Whether a token may hold any number of slots, so that its slots are indexed by expert (the
   * selection's M = E) and combine sums runs of slots ({@link SparsePlan}).
   */
  boolean byExpert() {
    return false;
  }

  /**
   * Fills one group's slots: the float64 reference.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may be selected
   */
  abstract GroupSlots reference(
      double[][] score, boolean positiveOnly, RouterSpec spec, int capacity);

  /**
   * Fills the slots of G groups from their (G, S, E) scores read to the host.
   *
   * @param score (G, S, E) scores, row-major; compared only, all finite
   * @param shape (G, S, E)
   * @param manager where the index tensors go (its device must be the CPU's)
   */
  abstract DeviceSelection.Selection onHost(
      double[] score,
      Shape shape,
      boolean positiveOnly,
      RouterSpec spec,
      int capacity,
      NDManager manager);

  /**
   * Fills the slots of G groups by tensor programs on the scores' device, batched over groups.
   *
   * @param score (G, S, E), compared only
   */
  abstract DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity);
}
