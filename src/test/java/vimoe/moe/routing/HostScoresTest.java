package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The batched host scores that a CPU routes by ({@link SelectionScore#onHost}: flat (G, S, E)
 * arrays, groups in parallel, Sinkhorn on the plan or in the log domain, k-sparse OT with the
 * selection of the kept entries only) are, bit for bit, the per-group float64 reference ({@link
 * SelectionScore#reference}: {@link Sinkhorn#plan}, {@link SparseTransport#columnSparse}, {@link
 * SparseTransport#rowSparse}) on the same numbers.
 */
class HostScoresTest {
  /** The registry's sparse routers whose scores come from a solver. */
  @Provide
  Arbitrary<RouterInfo> computed() {
    return Arbitraries.of(
        DeviceRoutingEquivalenceTest.sparse().filter(i -> i.score().computed()).toList());
  }

  /**
   * Random shapes, K, capacity and logits; a logit scale of 200 gives Sinkhorn a spread above the
   * plan's limit (the log domain), ties come from logits rounded to quarters.
   */
  @Property(tries = 200)
  void hostScoresEqualTheReference(
      @ForAll("computed") RouterInfo router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll boolean float32,
      @ForAll boolean tied,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    SelectionScore score = router.score();
    double scale = rnd.nextBoolean() ? 1 : 200;
    boolean expertChoice = router.family() != Family.TOKEN_CHOICE;
    int k = expertChoice ? 1 : 1 + rnd.nextInt(experts);
    RouterSpec spec =
        RouterSpec.of(router.name()).toBuilder()
            .optK(k)
            .optSinkhornEpsilon(rnd.nextBoolean() ? 1 : 0.5)
            .build();
    int capacity = 1 + rnd.nextInt(tokens);
    double[] flat = new double[groups * tokens * experts];
    for (int i = 0; i < flat.length; i++) {
      double x = rnd.nextGaussian() * scale;
      flat[i] = tied ? Math.round(x * 4) / 4.0 : x;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits =
          m.create(flat, new Shape(groups, tokens, experts))
              .toType(float32 ? DataType.FLOAT32 : DataType.FLOAT64, false);
      NDArray gates = score.gates(logits);
      double[] host = score.onHost(gates, logits, spec, capacity);
      double[] g = gates.toType(DataType.FLOAT64, false).toDoubleArray();
      double[] l = logits.toType(DataType.FLOAT64, false).toDoubleArray();
      String what =
          String.format(
              "%s G=%d S=%d E=%d K=%d C=%d eps=%s scale=%s float32=%s seed=%d",
              router.name(),
              groups,
              tokens,
              experts,
              k,
              capacity,
              spec.sinkhornEpsilon(),
              scale,
              float32,
              seed);
      for (int group = 0; group < groups; group++) {
        double[][] expected =
            score.reference(
                block(g, group, tokens, experts), block(l, group, tokens, experts), spec, capacity);
        for (int s = 0; s < tokens; s++) {
          double[] row = new double[experts];
          System.arraycopy(host, (group * tokens + s) * experts, row, 0, experts);
          assertArrayEquals(expected[s], row, 0.0, what + ": group " + group + " token " + s);
        }
      }
    }
  }

  /**
   * Non-finite inputs give no host score, so that the tensor program carries the NaN to the loss.
   */
  @Test
  void nonFiniteInputsGiveNoHostScore() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new float[] {0, Float.NaN, 1, 2}, new Shape(1, 2, 2));
      for (RouterInfo router : DeviceRoutingEquivalenceTest.sparse().toList()) {
        SelectionScore score = router.score();
        assertNull(
            score.onHost(score.gates(logits), logits, RouterSpec.of(router.name()), 1),
            router.name());
      }
    }
  }

  private static double[][] block(double[] flat, int group, int tokens, int experts) {
    double[][] out = new double[tokens][experts];
    for (int s = 0; s < tokens; s++) {
      System.arraycopy(flat, (group * tokens + s) * experts, out[s], 0, experts);
    }
    return out;
  }
}
