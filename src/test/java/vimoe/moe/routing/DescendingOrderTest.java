package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link DeviceSelection#descendingOrder} and {@link DeviceSelection#topIndices} equal a stable
 * descending sort (ties to the lower index) on rows drawn from awkward float32 values: equal
 * values, neighbours one ulp apart, both zeros, subnormals, negatives and values near the float32
 * limits, in float32 (the unique-key path) and float64 (the two-sort path).
 */
class DescendingOrderTest {
  private static final float[] AWKWARD = {
    0f,
    -0f,
    Float.MIN_VALUE,
    2 * Float.MIN_VALUE,
    Float.MIN_NORMAL,
    1f,
    Math.nextUp(1f),
    Math.nextDown(1f),
    0.5f,
    Math.nextUp(0.5f),
    -1f,
    Math.nextDown(-1f),
    Math.nextUp(-1f),
    -Float.MIN_VALUE,
    3e38f,
    Math.nextDown(3e38f),
    -3e38f,
    1e-30f,
    Math.nextUp(1e-30f),
    0.125f
  };

  @Property(tries = 200)
  void orderIsAStableDescendingSort(
      @ForAll @IntRange(min = 1, max = 3) int rows,
      @ForAll @IntRange(min = 1, max = 70) int n,
      @ForAll @IntRange(min = 1, max = 70) int k,
      @ForAll boolean float32,
      @ForAll boolean distinct,
      @ForAll long seed) {
    Random rnd =
        new Random(seed); // distinct: continuous values, ties unlikely (the plain top-k path)
    float[] values = new float[rows * n];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          distinct
              ? rnd.nextFloat() - 0.5f
              : AWKWARD[rnd.nextInt(rnd.nextBoolean() ? 4 : AWKWARD.length)];
    }
    int top = Math.min(k, n);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x =
          m.create(values, new Shape(rows, n))
              .toType(float32 ? DataType.FLOAT32 : DataType.FLOAT64, false);
      long[] order = DeviceSelection.descendingOrder(x).toLongArray();
      long[] best = DeviceSelection.topIndices(x, top).toLongArray();
      long[] keyed = DeviceSelection.topIndices(x, top, false).toLongArray(); // as on a GPU
      for (int r = 0; r < rows; r++) {
        int base = r * n;
        long[] expected =
            IntStream.range(0, n)
                .boxed()
                .sorted(descending(values, base))
                .mapToLong(i -> i)
                .toArray(); // a stable sort
        String what = "row " + r + " float32=" + float32 + " seed=" + seed;
        assertArrayEquals(
            expected, java.util.Arrays.copyOfRange(order, base, base + n), "order, " + what);
        assertArrayEquals(
            java.util.Arrays.copyOf(expected, top),
            java.util.Arrays.copyOfRange(best, r * top, r * top + top),
            "top " + top + ", " + what);
        assertArrayEquals(
            java.util.Arrays.copyOf(expected, top),
            java.util.Arrays.copyOfRange(keyed, r * top, r * top + top),
            "keyed top " + top + ", " + what);
      }
    }
  }

  /** Larger first; primitive comparison, so -0 and 0 tie (Double.compare would not). */
  private static Comparator<Integer> descending(float[] values, int base) {
    return (i, j) ->
        values[base + i] > values[base + j] ? -1 : values[base + i] < values[base + j] ? 1 : 0;
  }
}
