package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Token Choice (V-MoE, arXiv 2106.05974): each token asks for its top K experts by score; requests
 * are served by choice rank, then token priority (index order, or descending top score with Batch
 * Priority Routing); a request gets slot c = earlier grants to its expert if c < C, and is dropped
 * otherwise. Its three forms side by side: the float64 reference, the host loops and the tensor
 * program; the tests hold the last two against the first, ties included.
 */
final class TokenChoice extends SelectionRule {

  @Override
  public Family family() {
    return Family.TOKEN_CHOICE;
  }

  @Override
  int k(RouterSpec spec) {
    return spec.k();
  }

  /**
   * Token Choice (V-MoE, arXiv 2106.05974): each token asks for its top K experts by score; all
   * first choices are granted before any second choice, and so on. Within a choice rank tokens go
   * in index order or, with Batch Priority Routing, by descending top score. A request gets slot c
   * = earlier grants to that expert if c < C, and is dropped otherwise.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may be requested
   */
  @Override
  GroupSlots reference(double[][] score, boolean positiveOnly, RouterSpec spec, int capacity) {
    int k = spec.k();
    boolean batchPriority = spec.batchPriority();
    int tokens = score.length, experts = score[0].length;
    int[][] choices = new int[tokens][];
    for (int s = 0; s < tokens; s++) {
      choices[s] = SlotFilling.topIndices(score[s], k, positiveOnly);
    }
    int[] order;
    if (batchPriority) {
      double[] top = new double[tokens];
      for (int s = 0; s < tokens; s++) {
        top[s] = SlotFilling.max(score[s]);
      }
      order = SlotFilling.descending(top); // ties in the top score keep index order
    } else {
      order = SlotFilling.identity(tokens);
    }
    int[] slotToken = SlotFilling.emptySlots(experts * capacity);
    int[][] held = new int[tokens][k];
    int[] heldCount = new int[tokens];
    int[] fill = new int[experts];
    for (int rank = 0; rank < k; rank++) {
      for (int s : order) {
        if (rank < choices[s].length) {
          int e = choices[s][rank];
          if (fill[e] < capacity) {
            int slot = e * capacity + fill[e]++;
            slotToken[slot] = s;
            held[s][heldCount[s]++] = slot;
          }
        }
      }
    }
    for (int s = 0; s < tokens; s++) {
      held[s] = Arrays.copyOf(held[s], heldCount[s]);
    }
    return new GroupSlots(slotToken, held);
  }

  /**
   * Token Choice, as {@link #reference} for every group.
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
    int k = spec.k();
    boolean batchPriority = spec.batchPriority();
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    int slots = experts * capacity;
    long[] slotToken = new long[groups * slots];
    long[] expert = new long[groups * tokens * k];
    long[] position = new long[groups * tokens * k];
    HostSelection.forEachGroup(
        groups,
        score.length,
        g -> {
          int[] top = new int[k];
          double[] buffer = new double[k];
          int[] choiceCount = new int[tokens];
          double[] first = new double[tokens];
          for (int s = 0; s < tokens; s++) {
            int row = (g * tokens + s) * experts;
            int n = HostSelection.topIndices(score, row, 1, experts, k, top, buffer);
            choiceCount[s] = n;
            first[s] = buffer[0];
            for (int j = 0; j < k; j++) {
              expert[(g * tokens + s) * k + j] = j < n ? top[j] : 0;
            }
          }
          int[] order = batchPriority ? SlotFilling.descending(first) : null;
          int[] fill = new int[experts];
          java.util.Arrays.fill(slotToken, g * slots, (g + 1) * slots, -1);
          for (int rank = 0; rank < k; rank++) {
            for (int i = 0; i < tokens; i++) {
              int s = order == null ? i : order[i];
              int at = (g * tokens + s) * k + rank;
              int e = (int) expert[at];
              boolean wanted =
                  rank < choiceCount[s]
                      && (!positiveOnly || score[(g * tokens + s) * experts + e] > 0);
              if (wanted && fill[e] < capacity) {
                position[at] = fill[e];
                slotToken[g * slots + e * capacity + fill[e]++] = s;
              } else {
                position[at] = -1;
              }
            }
          }
        });
    return new DeviceSelection.Selection(
        manager.create(slotToken, new Shape(groups, experts, capacity)),
        manager.create(expert, new Shape(groups, tokens, k)),
        manager.create(position, new Shape(groups, tokens, k)));
  }

  /**
   * Token Choice (V-MoE, arXiv 2106.05974), as {@link #reference}: each token asks for its top K
   * experts; requests are served by choice rank, then token priority (index order, or descending
   * top score with BPR); a request gets slot c = earlier requests to its expert, if c < C. Earlier
   * requests are counted with a cumulative sum of one-hot rows in priority order.
   *
   * @param score (G, S, E), compared only
   * @param positiveOnly only entries with score > 0 may be requested
   */
  @Override
  DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity) {
    int k = spec.k();
    boolean batchPriority = spec.batchPriority();
    Shape shape = score.getShape();
    long groups = shape.get(0), tokens = shape.get(1), experts = shape.get(2);
    NDManager m = score.getManager();
    NDArray choice = DeviceSelection.topIndices(score, k); // (G, S, K)
    NDArray valid = positiveOnly ? score.gather(choice, 2).gt(Scalars.constant(score, 0)) : null;
    NDArray order =
        batchPriority
            ? DeviceSelection.descendingOrder(score.max(new int[] {2}))
            : null; // (G, S) priority -> token
    NDArray requests = choice; // (G, S, K), rows in priority order
    if (order != null) {
      NDArray rows = order.expandDims(2).broadcast(new Shape(groups, tokens, k));
      requests = choice.gather(rows, 1);
      valid = valid == null ? null : valid.gather(rows, 1);
    }
    // (G, K*S): all first choices in priority order, then all second choices, ...
    NDArray wanted = requests.transpose(0, 2, 1).reshape(groups, k * tokens);
    // one-hot rows by comparison with 0..E-1 (DJL's oneHot range-checks its input on the host)
    NDArray hot =
        wanted
            .expandDims(2)
            .eq(Scalars.range(score, 0, experts, 1, 1, 1, experts))
            .toType(DataType.INT64, false); // (G, K*S, E)
    if (valid != null) {
      hot =
          hot.mul(
              valid
                  .transpose(0, 2, 1)
                  .reshape(groups, k * tokens, 1)
                  .toType(DataType.INT64, false));
    }
    NDArray one = Scalars.constant(wanted, 1);
    NDArray earlier =
        hot.cumSum(1).gather(wanted.expandDims(2), 2).reshape(groups, k * tokens).sub(one);
    NDArray granted = earlier.lt(Scalars.constant(earlier, capacity));
    if (valid != null) {
      granted = granted.logicalAnd(valid.transpose(0, 2, 1).reshape(groups, k * tokens));
    }
    NDArray none = Scalars.constant(earlier, -1);
    NDArray position =
        NDArrays.where(granted, earlier, none).reshape(groups, k, tokens); // (G, K, S) by priority
    if (order != null) { // back to token order: the entry at priority p belongs to token order[p]
      position =
          m.zeros(position.getShape(), DataType.INT64, score.getDevice())
              .scatter(order.expandDims(1).broadcast(new Shape(groups, k, tokens)), position, 2);
    }
    position = position.transpose(0, 2, 1); // (G, S, K)
    NDArray held = position.gte(Scalars.constant(position, 0));
    long slots = experts * capacity;
    NDArray slot =
        NDArrays.where(
            held,
            choice.mul(Scalars.constant(choice, capacity)).add(position),
            Scalars.constant(position, (double) slots)); // e*C + c, or the dump column E*C
    NDArray token =
        Scalars.cached(
            score,
            "token of request " + groups + " " + tokens + " " + k,
            c ->
                c.arange(0, (int) tokens, 1, DataType.INT64, score.getDevice())
                    .reshape(1, tokens, 1)
                    .repeat(0, groups)
                    .repeat(2, k)); // (G, S, K)
    NDArray slotToken =
        m.full(new Shape(groups, slots + 1), -1, DataType.INT64, score.getDevice())
            .scatter(slot.reshape(groups, tokens * k), token.reshape(groups, tokens * k), 1)
            .get(new NDIndex(":, :{}", slots))
            .reshape(groups, experts, capacity);
    return new DeviceSelection.Selection(slotToken, choice, position);
  }
}
