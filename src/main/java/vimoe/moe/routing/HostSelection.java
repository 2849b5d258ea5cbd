package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.stream.IntStream;

/**
 * The selection rules of {@link SlotFilling} on flat host arrays, for scores that live on a CPU:
 * the same index tensors as {@link DeviceSelection}, from one read of the scores and a few loops
 * per group instead of some 30 engine calls on (G, S, E) tensors (on 2 cores at micro, 1.5 ms of a
 * Token Choice layer's forward pass). Ties go to the lower index, as in the reference; the tests
 * hold both against it.
 */
final class HostSelection {
  /**
   * Below this many score entries the groups run on one thread (a fork costs more than the loops).
   */
  private static final int PARALLEL_ENTRIES = 1 << 16;

  private HostSelection() {}

  /**
   * Token Choice, as {@link SlotFilling#tokenChoice} for every group.
   *
   * @param score (G, S, E) scores, row-major; compared only, all finite
   * @param shape (G, S, E)
   * @param manager where the index tensors go (its device must be the CPU's)
   */
  static DeviceSelection.Selection tokenChoice(
      double[] score,
      Shape shape,
      boolean positiveOnly,
      int k,
      int capacity,
      boolean batchPriority,
      NDManager manager) {
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    int slots = experts * capacity;
    long[] slotToken = new long[groups * slots];
    long[] expert = new long[groups * tokens * k];
    long[] position = new long[groups * tokens * k];
    forEachGroup(
        groups,
        score.length,
        g -> {
          int[] top = new int[k];
          double[] buffer = new double[k];
          int[] choiceCount = new int[tokens];
          double[] first = new double[tokens];
          for (int s = 0; s < tokens; s++) {
            int row = (g * tokens + s) * experts;
            int n = topIndices(score, row, 1, experts, k, top, buffer);
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
   * Expert Choice, as {@link SlotFilling#expertChoice} for every group.
   *
   * @param score (G, S, E) scores, row-major; compared only, all finite
   * @param shape (G, S, E)
   * @param manager where the index tensors go (its device must be the CPU's)
   */
  static DeviceSelection.Selection expertChoice(
      double[] score, Shape shape, boolean positiveOnly, int capacity, NDManager manager) {
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    int slots = experts * capacity;
    long[] slotToken = new long[groups * slots];
    long[] expert = new long[groups * tokens * experts];
    long[] position = new long[groups * tokens * experts];
    forEachGroup(
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
            int n = topIndices(score, base + e, experts, tokens, capacity, top, buffer);
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

  private static void forEachGroup(int groups, int entries, java.util.function.IntConsumer body) {
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
