package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
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
   * @param capacity C <= S
   */
  @Override
  DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity) {
    Shape shape = score.getShape();
    long groups = shape.get(0), tokens = shape.get(1), experts = shape.get(2);
    NDManager m = score.getManager();
    NDArray byExpert = score.transpose(0, 2, 1); // (G, E, S)
    NDArray slotToken = DeviceSelection.topIndices(byExpert, capacity); // (G, E, C)
    NDArray target = slotToken;
    if (positiveOnly) {
      NDArray ok = byExpert.gather(slotToken, 2).gt(Scalars.constant(score, 0));
      slotToken = NDArrays.where(ok, slotToken, Scalars.constant(slotToken, -1));
      target =
          NDArrays.where(ok, target, Scalars.constant(target, (double) tokens)); // dump column S
    }
    // position[g, e, s] = c where token s sits in slot (e, c), else -1
    NDArray c =
        Scalars.cached(
            score,
            "slot of expert " + groups + " " + experts + " " + capacity,
            cm ->
                cm.arange(0, capacity, 1, DataType.INT64, score.getDevice())
                    .reshape(1, 1, capacity)
                    .repeat(0, groups)
                    .repeat(1, experts)); // (G, E, C)
    NDArray position =
        m.full(new Shape(groups, experts, tokens + 1), -1, DataType.INT64, score.getDevice())
            .scatter(target, c, 2)
            .get(new NDIndex("..., :{}", tokens))
            .transpose(0, 2, 1); // (G, S, E)
    NDArray expert =
        Scalars.cached(
            score,
            "expert of token " + groups + " " + tokens + " " + experts,
            cm ->
                cm.arange(0, (int) experts, 1, DataType.INT64, score.getDevice())
                    .reshape(1, 1, experts)
                    .repeat(0, groups)
                    .repeat(1, tokens)); // (G, S, E)
    return new DeviceSelection.Selection(slotToken, expert, position);
  }
}
