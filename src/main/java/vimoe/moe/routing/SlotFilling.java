package vimoe.moe.routing;

import java.util.Arrays;

/**
 * The selection rules shared by the sparse routers: how a group's S x E scores fill the E*C slots.
 * Ties always go to the lower index. Scores are only compared, never differentiated.
 */
final class SlotFilling {
  private SlotFilling() {}

  /**
   * Token Choice (V-MoE, arXiv 2106.05974): each token asks for its top K experts by score; all
   * first choices are granted before any second choice, and so on. Within a choice rank tokens go
   * in index order or, with Batch Priority Routing, by descending top score. A request gets slot c
   * = earlier grants to that expert if c < C, and is dropped otherwise.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may be requested
   */
  static GroupSlots tokenChoice(
      double[][] score, boolean positiveOnly, int k, int capacity, boolean batchPriority) {
    int tokens = score.length, experts = score[0].length;
    int[][] choices = new int[tokens][];
    for (int s = 0; s < tokens; s++) {
      choices[s] = topIndices(score[s], k, positiveOnly);
    }
    int[] order;
    if (batchPriority) {
      double[] top = new double[tokens];
      for (int s = 0; s < tokens; s++) {
        top[s] = max(score[s]);
      }
      order = descending(top); // ties in the top score keep index order
    } else {
      order = identity(tokens);
    }
    int[] slotToken = emptySlots(experts * capacity);
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
   * Expert Choice (arXiv 2202.09368): each expert takes its top C tokens by score; slot c holds its
   * (c+1)-th best. A token may be taken by 0 to E experts.
   *
   * @param score S x E
   * @param positiveOnly only entries with score > 0 may be taken (slots may then stay empty)
   */
  static GroupSlots expertChoice(double[][] score, boolean positiveOnly, int capacity) {
    int tokens = score.length, experts = score[0].length;
    int[] slotToken = emptySlots(experts * capacity);
    int[] heldCount = new int[tokens];
    double[] column = new double[tokens];
    for (int e = 0; e < experts; e++) {
      for (int s = 0; s < tokens; s++) {
        column[s] = score[s][e];
      }
      int[] best = topIndices(column, capacity, positiveOnly);
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

  /** Indices of the (up to) n largest values, descending, ties to the lower index. */
  static int[] topIndices(double[] values, int n, boolean positiveOnly) {
    int[] order = descending(values);
    int taken = 0;
    int[] top = new int[Math.min(n, values.length)];
    for (int i = 0; i < order.length && taken < top.length; i++) {
      if (!positiveOnly || values[order[i]] > 0) {
        top[taken++] = order[i];
      }
    }
    return taken == top.length ? top : Arrays.copyOf(top, taken);
  }

  /**
   * The indices of {@code values} sorted by descending value, ties in index order (a stable merge
   * sort on ints).
   */
  static int[] descending(double[] values) {
    int[] a = identity(values.length), tmp = new int[values.length];
    for (int width = 1; width < a.length; width *= 2) {
      for (int lo = 0; lo < a.length - width; lo += 2 * width) {
        int mid = lo + width, hi = Math.min(lo + 2 * width, a.length), i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          tmp[k++] = values[a[j]] > values[a[i]] ? a[j++] : a[i++];
        }
        while (i < mid) {
          tmp[k++] = a[i++];
        }
        while (j < hi) {
          tmp[k++] = a[j++];
        }
        System.arraycopy(tmp, lo, a, lo, hi - lo);
      }
    }
    return a;
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static int[] emptySlots(int n) {
    int[] slots = new int[n];
    Arrays.fill(slots, -1);
    return slots;
  }

  private static double max(double[] row) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : row) {
      m = Math.max(m, v);
    }
    return m;
  }
}
