package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Global Choice (Expert Race, Yuan et al. 2025, arXiv 2503.16057): the K*S (token, expert) pairs of
 * a group with the largest scores race for the slots, whatever token or expert they belong to; each
 * expert then keeps at most C of its winning pairs, its largest scores, slot c its (c+1)-th
 * largest. Ties go to the lower index: among pairs, to the lower flat index s*E + e (token-major);
 * within an expert, to the lower token. A token may hold 0 to E slots, indexed by expert as in
 * Expert Choice ({@link #byExpert()}). K sets both the number of winning pairs and C = S*K*CF/E, so
 * with CF = 1 the winners fill exactly the E*C slots only when they spread evenly.
 *
 * <p>Its three forms side by side: the float64 reference, the host loops and the tensor program;
 * the tests hold the last two against the first, ties included.
 */
final class GlobalChoice extends SelectionRule {

  @Override
  public Family family() {
    return Family.GLOBAL_CHOICE;
  }

  @Override
  int k(RouterSpec spec) {
    return spec.k();
  }

  @Override
  boolean byExpert() {
    return true;
  }

  /** The number of winning pairs of a group: K*S, at most S*E. */
  private static int winners(int tokens, int experts, RouterSpec spec) {
    return Math.min(spec.k(), experts) * tokens;
  }

  /**
   * Global Choice (Expert Race, arXiv 2503.16057): the top K*S pairs of the S x E scores win (ties
   * to the lower s*E + e); each expert keeps its top C winners, slot c its (c+1)-th, ties to the
   * lower token.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may win
   */
  @Override
  GroupSlots reference(double[][] score, boolean positiveOnly, RouterSpec spec, int capacity) {
    int tokens = score.length, experts = score[0].length;
    double[] flat = new double[tokens * experts];
    for (int s = 0; s < tokens; s++) {
      System.arraycopy(score[s], 0, flat, s * experts, experts);
    }
    boolean[] won = new boolean[flat.length];
    for (int i : SlotFilling.topIndices(flat, winners(tokens, experts, spec), positiveOnly)) {
      won[i] = true;
    }
    int[] slotToken = SlotFilling.emptySlots(experts * capacity);
    int[] heldCount = new int[tokens];
    for (int e = 0; e < experts; e++) {
      int fill = 0;
      for (int s : SlotFilling.descending(column(score, e))) {
        if (won[s * experts + e] && fill < capacity) {
          slotToken[e * capacity + fill++] = s;
          heldCount[s]++;
        }
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

  private static double[] column(double[][] score, int e) {
    double[] out = new double[score.length];
    for (int s = 0; s < score.length; s++) {
      out[s] = score[s][e];
    }
    return out;
  }

  /**
   * Global Choice, as {@link #reference} for every group: one pass for the K*S winners over the
   * group's S*E scores, then each expert's top C among its winners (losers read as -infinity, all
   * scores being finite here).
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
    int pairs = tokens * experts, slots = experts * capacity;
    int m = winners(tokens, experts, spec);
    long[] slotToken = new long[groups * slots];
    long[] expert = new long[groups * pairs];
    long[] position = new long[groups * pairs];
    HostSelection.forEachGroup(
        groups,
        score.length,
        g -> {
          int base = g * pairs;
          int[] top = new int[m];
          double[] buffer = new double[m];
          int n = HostSelection.topIndices(score, base, 1, pairs, m, top, buffer);
          double[] raced = new double[pairs];
          java.util.Arrays.fill(raced, Double.NEGATIVE_INFINITY);
          for (int i = 0; i < n; i++) {
            if (!positiveOnly || buffer[i] > 0) {
              raced[top[i]] = buffer[i];
            }
          }
          java.util.Arrays.fill(position, base, base + pairs, -1);
          for (int i = 0; i < pairs; i++) {
            expert[base + i] = i % experts;
          }
          int[] best = new int[capacity];
          double[] values = new double[capacity];
          for (int e = 0; e < experts; e++) {
            int kept = HostSelection.topIndices(raced, e, experts, tokens, capacity, best, values);
            for (int c = 0; c < capacity; c++) {
              boolean taken = c < kept && values[c] > Double.NEGATIVE_INFINITY;
              slotToken[g * slots + e * capacity + c] = taken ? best[c] : -1;
              if (taken) {
                position[base + best[c] * experts + e] = c;
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
   * Global Choice, as {@link #reference}: the K*S winners by {@link DeviceSelection#topIndices}
   * over each group's flattened (S*E) scores (ties to the lower s*E + e), scattered into a (G, S,
   * E) mask; then Expert Choice's selection on the scores with every loser lowered below all
   * scores, slots holding a loser left empty.
   *
   * @param score (G, S, E), compared only
   * @param positiveOnly only entries with score > 0 may win
   */
  @Override
  DeviceSelection.Selection onDevice(
      NDArray score, boolean positiveOnly, RouterSpec spec, int capacity) {
    Shape shape = score.getShape();
    long groups = shape.get(0), tokens = shape.get(1), experts = shape.get(2);
    int m = winners((int) tokens, (int) experts, spec);
    NDManager manager = score.getManager();
    NDArray flat = score.reshape(groups, tokens * experts);
    NDArray top = DeviceSelection.topIndices(flat, m); // (G, K*S)
    NDArray won =
        manager
            .zeros(new Shape(groups, tokens * experts), DataType.INT64, score.getDevice())
            .scatter(top, Scalars.constant(top, 1).broadcast(top.getShape()), 1)
            .gt(Scalars.constant(top, 0))
            .reshape(groups, tokens, experts);
    if (positiveOnly) {
      won = won.logicalAnd(score.gt(Scalars.constant(score, 0)));
    }
    // losers below every score: the lowest finite value of the type, so that keys stay finite
    double lowest = score.getDataType() == DataType.FLOAT64 ? -Double.MAX_VALUE : -Float.MAX_VALUE;
    NDArray raced = NDArrays.where(won, score, Scalars.constant(score, lowest));
    NDArray byExpert = raced.transpose(0, 2, 1); // (G, E, S)
    int kept = (int) Math.min(capacity, tokens);
    NDArray best = DeviceSelection.topIndices(byExpert, kept); // (G, E, min(C, S))
    NDArray taken = won.transpose(0, 2, 1).gather(best, 2);
    return DeviceSelection.byExpert(best, taken, tokens, capacity);
  }
}
