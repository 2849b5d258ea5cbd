package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import java.util.stream.IntStream;

/**
 * Helpers of the host forms of the {@link SelectionRule}s, for scores that live on a CPU: one read
 * of the scores and a few loops per group instead of some 30 engine calls on (G, S, E) tensors (on
 * 2 cores at micro, 1.5 ms of a Token Choice layer's forward pass). Ties go to the lower index, as
 * in the reference; the tests hold both against it.
 */
final class HostSelection {
  /**
   * Below this many score entries the groups run on one thread (a fork costs more than the loops).
   */
  private static final int PARALLEL_ENTRIES = 1 << 16;

  private HostSelection() {}

  /**
   * The indices (0..len) of the up to n largest of {@code v[offset + i*stride]}, largest first,
   * ties to the lower index, into {@code top}, their values into {@code values}; returns how many.
   * One pass with insertion into the sorted first n: O(len) when few entries displace the n-th.
   */
  static int topIndices(
      double[] v, int offset, int stride, int len, int n, int[] top, double[] values) {
    int count = 0;
    for (int i = 0; i < len && n > 0; i++) {
      double x = v[offset + i * stride];
      if (count == n && !(x > values[n - 1])) {
        continue;
      }
      int at = Math.min(count, n - 1);
      while (at > 0 && x > values[at - 1]) { // strictly greater: an equal earlier index stays ahead
        values[at] = values[at - 1]; // a loop: System.arraycopy's call costs more for a few entries
        top[at] = top[at - 1];
        at--;
      }
      values[at] = x;
      top[at] = i;
      count = Math.min(count + 1, n);
    }
    return count;
  }

  static void forEachGroup(int groups, int entries, java.util.function.IntConsumer body) {
    IntStream range = IntStream.range(0, groups);
    (entries >= PARALLEL_ENTRIES ? range.parallel() : range).forEach(body);
  }

  /** The scores as doubles, or {@code null} where one is not finite. */
  static double[] read(NDArray scores) {
    double[] flat;
    if (scores.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
      float[] f = scores.toFloatArray();
      flat = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        flat[i] = f[i];
      }
    } else {
      flat = scores.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
    }
    for (double x : flat) {
      if (!Double.isFinite(x)) {
        return null;
      }
    }
    return flat;
  }
}
