package vimoe.moe.routing;

import java.util.Arrays;

/**
 * Java-array helpers of the float64 references of the {@link SelectionRule}s: stable descending
 * orders and top-n indices, ties always to the lower index.
 */
final class SlotFilling {
  private SlotFilling() {}

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

  static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  static int[] emptySlots(int n) {
    int[] slots = new int[n];
    Arrays.fill(slots, -1);
    return slots;
  }

  static double max(double[] row) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : row) {
      m = Math.max(m, v);
    }
    return m;
  }
}
