package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The two row gathers of the sparse plans (the embedding lookup on a CPU, a gather along axis 0 on
 * a GPU) pick the same rows and give the table the same gradient, with indices repeated (a token in
 * several slots) and rows never picked.
 */
class RowGatherTest {

  @Property(tries = 40)
  void gatherAndEmbeddingAgreeInValueAndGradient(
      @ForAll @IntRange(min = 1, max = 9) int n,
      @ForAll @IntRange(min = 1, max = 5) int d,
      @ForAll @IntRange(min = 1, max = 20) int picks,
      @ForAll boolean float32,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    DataType type = float32 ? DataType.FLOAT32 : DataType.FLOAT64;
    double[] table = new double[n * d], probe = new double[picks * d];
    long[] index = new long[picks];
    for (int i = 0; i < table.length; i++) {
      table[i] = rnd.nextGaussian();
    }
    for (int i = 0; i < picks; i++) {
      index[i] = rnd.nextInt(n);
    }
    for (int i = 0; i < probe.length; i++) {
      probe[i] = rnd.nextGaussian();
    }
    double[][] gathered = run(table, n, d, index, probe, type, true);
    double[][] embedded = run(table, n, d, index, probe, type, false);
    assertArrayEquals(embedded[0], gathered[0], 0.0, "rows");
    double tol = float32 ? 1e-5 : 1e-12;
    for (int i = 0; i < table.length; i++) {
      assertEquals(embedded[1][i], gathered[1][i], tol, "d/d table[" + i + "]");
    }
    for (int i = 0; i < picks; i++) { // the picked row itself, so a shifted gather cannot pass
      for (int j = 0; j < d; j++) {
        assertEquals(table[(int) index[i] * d + j], gathered[0][i * d + j], float32 ? 1e-6 : 0.0);
      }
    }
  }

  /** [rows, d sum(rows * probe) / d table]. */
  private static double[][] run(
      double[] table, int n, int d, long[] index, double[] probe, DataType type, boolean gather) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray t = m.create(table, new Shape(n, d)).toType(type, false);
      t.setRequiresGradient(true);
      NDArray rows;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        rows = SparsePlan.rows(t, m.create(index), gather);
        gc.backward(
            rows.mul(m.create(probe, new Shape(index.length, d)).toType(type, false)).sum());
      }
      return new double[][] {
        rows.toType(DataType.FLOAT64, false).toDoubleArray(),
        t.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()
      };
    }
  }
}
