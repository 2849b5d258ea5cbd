package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Expert Choice (Zhou et al., arXiv 2202.09368): each expert takes its top C tokens by score, slot
 * c its (c+1)-th best, ties to the lower token index; a token may be taken by 0 to E experts. Its
 * three forms side by side: the float64 reference, the host loops and the tensor program.
 */
final class ExpertChoice extends SelectionRule {

  @Override
  public Family family() {
    return Family.EXPERT_CHOICE;
  }

  @Override
  int k(RouterSpec spec) {
    return 1;
  }

  @Override
  boolean byExpert() {
    return true;
  }

  /**
   * Expert Choice (arXiv 2202.09368): each expert takes its top C tokens by score; slot c holds its
   * (c+1)-th best. A token may be taken by 0 to E experts.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may be taken (slots may then stay empty)
   */
  @Override
  GroupSlots reference(double[][] score, boolean positiveOnly, RouterSpec spec, int capacity) {
    int tokens = score.length, experts = score[0].length;
    int[] slotToken = SlotFilling.emptySlots(experts * capacity);
    int[] heldCount = new int[tokens];
    double[] column = new double[tokens];
    for (int e = 0; e < experts; e++) {
      for (int s = 0; s < tokens; s++) {
        column[s] = score[s][e];
      }
      int[] best = SlotFilling.topIndices(column, capacity, positiveOnly);
      for (int c = 0; c < best.length; c++) {
        slotToken[e * capacity + c] = best[c];
        heldCount[best[c]]++;
      }
    }
    int[][] held = new int[tokens][];
    for (int s = 0; s < tokens; s++) {
      held[s] = new int[heldCount[s]];
      heldCount[s] = 0;
    }
    for (int slot = 0; slot < slotToken.length; slot++) {
      int s = slotToken[slot];
      if (s >= 0) {
        held[s][heldCount[s]++] = slot;
      }
    }
    return new GroupSlots(slotToken, held);
  }

  /**
   * Expert Choice, as {@link #reference} for every group.
   *
   * @param score (G, S, E) scores, row-major; compared only, all finite
   * @param shape (G, S, E)
   * @param manager where the index tensors go (its device must be the CPU's)
   */
  @Override
  DeviceSelection.Selection onHost(
      double[] score,
      Shape shape,
      boolean positiveOnly,
      RouterSpec spec,
      int capacity,
      NDManager manager) {
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    int slots = experts * capacity;
    long[] slotToken = new long[groups * slots];
    long[] expert = new long[groups * tokens * experts];
    long[] position = new long[groups * tokens * experts];
    HostSelection.forEachGroup(
        groups,
        score.length,
        g -> {
          int[] top = new int[capacity];
          double[] buffer = new double[capacity];
          int base = g * tokens * experts;
          java.util.Arrays.fill(position, base, base + tokens * experts, -1);
          for (int i = 0; i < tokens * experts; i++) {
            expert[base + i] = i % experts;
          }
          for (int e = 0; e < experts; e++) {
            int n =
                HostSelection.topIndices(score, base + e, experts, tokens, capacity, top, buffer);
            for (int c = 0; c < capacity; c++) {
              boolean taken = c < n && (!positiveOnly || buffer[c] > 0);
              slotToken[g * slots + e * capacity + c] = taken ? top[c] : -1;
              if (taken) {
                position[base + top[c] * experts + e] = c;
              }
            }
          }
        });
    return new DeviceSelection.Selection(
        manager.create(slotToken, new Shape(groups, experts, capacity)),
        manager.create(expert, new Shape(groups, tokens, experts)),
        manager.create(position, new Shape(groups, tokens, experts)));
  }

  /**
   * Expert Choice (arXiv 2202.09368), as {@link #reference}: each expert takes its top C tokens by
   * score, slot c its (c+1)-th best, ties to the lower token index.
   *
   * @param score (G, S, E), compared only
   * @param positiveOnly only entries with score > 0 may be taken (slots may then stay empty)
   * @param capacity C (at most S under Expert Choice; slots from S on stay empty)
   */
  @Override
  DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity) {
    long tokens = score.getShape().get(1);
    NDArray byExpert = score.transpose(0, 2, 1); // (G, E, S)
    // C <= S under Expert Choice; rules that reuse it (ReLU routing) may have C > S, and no expert
    // can take more than S tokens, so the slots from S on stay empty
    NDArray best = DeviceSelection.topIndices(byExpert, (int) Math.min(capacity, tokens));
    NDArray taken = positiveOnly ? byExpert.gather(best, 2).gt(Scalars.constant(score, 0)) : null;
    return DeviceSelection.byExpert(best, taken, tokens, capacity);
  }
}
