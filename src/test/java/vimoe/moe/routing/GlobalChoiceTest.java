package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Global Choice (Expert Race, arXiv 2503.16057) as {@code softmax-gc} and {@code sigmoid-gc}: the
 * K*S largest (token, expert) pairs of a group win, each expert keeps its C largest winners. The
 * equivalence of the three forms on random and tied scores is in {@link
 * DeviceRoutingEquivalenceTest} and {@link RouterPropertiesTest}, which iterate the registry.
 */
class GlobalChoiceTest {
  private static final SelectionRule RULE = SelectionRules.GLOBAL_CHOICE;

  /**
   * The logits of examples/softmax-gc.json, by hand: S = 6, E = 3, K = 1, C = ceil(6/3) = 2. The
   * softmax gates' six largest pairs are (2, e1) 0.862, (0, e0) 0.786, (4, e2) 0.702, (1, e0)
   * 0.470, (1, e1) 0.425 and (5, e0) 0.367 (token 3's 1/3 is next). Expert 0 has three winners and
   * keeps tokens 0 and 1 (token 5 is dropped); expert 1 takes 2 and 1; expert 2 only 4, its second
   * slot stays empty. Token 1 holds two slots, tokens 3 and 5 none.
   */
  @Test
  void handWorkedExample() {
    double[] logits = {
      2.0, 0.5, -1.0, 1.5, 1.4, 0.0, -0.5, 2.5, 0.3, 0.0, 0.0, 0.0, 0.7, -0.2, 1.9, 1.1, 0.9, 1.0
    };
    RouterSpec spec = RouterSpec.of("softmax-gc");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray l = m.create(logits, new Shape(1, 6, 3));
      SparseRouter r = (SparseRouter) Routers.create(spec);
      SparsePlan plan = (SparsePlan) r.route(RouterLogits.of(l));
      assertEquals(2, plan.capacity());
      int[] want = {0, 1, 2, 1, 4, -1};
      assertArrayEquals(want, plan.slots()[0].slotToken());
      long[] device = r.rule.onDevice(r.score.gates(l), false, spec, 2).slotToken().toLongArray();
      assertArrayEquals(Arrays.stream(want).asLongStream().toArray(), device);
      double[][][] cmb = plan.denseCombine()[0];
      double[] g1 = softmax(1.5, 1.4, 0.0);
      assertEquals(softmax(2.0, 0.5, -1.0)[0], cmb[0][0][0], 1e-12);
      assertEquals(g1[0], cmb[1][0][1], 1e-12);
      assertEquals(g1[1], cmb[1][1][1], 1e-12);
      assertEquals(softmax(-0.5, 2.5, 0.3)[1], cmb[2][1][0], 1e-12);
      assertEquals(softmax(0.7, -0.2, 1.9)[2], cmb[4][2][0], 1e-12);
      assertEquals(0.0, sum(cmb[3]) + sum(cmb[5]), 0.0); // no slot, no output
    }
  }

  /**
   * Equal scores: the pairs win in flat order s*E + e, so the first K*S/E tokens take every expert
   * and the rest none, in all three forms.
   */
  @Test
  void tiesGoToTheLowerFlatIndex() {
    int tokens = 4, experts = 2, capacity = 2;
    RouterSpec spec = RouterSpec.of("softmax-gc");
    double[][] score = new double[tokens][experts];
    for (double[] row : score) {
      Arrays.fill(row, 0.5);
    }
    int[] want = {0, 1, 0, 1}; // expert 0: tokens 0, 1; expert 1: tokens 0, 1
    assertArrayEquals(want, RULE.reference(score, false, spec, capacity).slotToken());
    double[] flat = new double[tokens * experts];
    Arrays.fill(flat, 0.5);
    try (NDManager m = NDManager.newBaseManager()) {
      Shape shape = new Shape(1, tokens, experts);
      long[] host = RULE.onHost(flat, shape, false, spec, capacity, m).slotToken().toLongArray();
      long[] device =
          RULE.onDevice(
                  m.create(flat, shape).toType(DataType.FLOAT32, false), false, spec, capacity)
              .slotToken()
              .toLongArray();
      long[] expected = Arrays.stream(want).asLongStream().toArray();
      assertArrayEquals(expected, host);
      assertArrayEquals(expected, device);
    }
  }

  /**
   * With room for every winner (CF = E, so C = S*K) exactly K*S pairs are granted, each the largest
   * of the group's scores; at CF = 1 no expert holds more than C and at most K*S are granted.
   */
  @Property(tries = 60)
  void theRaceGrantsAtMostKTimesSAndEveryExpertAtMostC(
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 20) int tokens,
      @ForAll @IntRange(min = 1, max = 6) int experts,
      @ForAll @IntRange(min = 1, max = 3) int k,
      @ForAll long seed) {
    int kk = Math.min(k, experts);
    Random rnd = new Random(seed);
    double[] flat = new double[groups * tokens * experts];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = rnd.nextInt(4) == 0 ? 0.25 : rnd.nextDouble(); // some ties
    }
    Shape shape = new Shape(groups, tokens, experts);
    for (double cf : new double[] {1.0, experts}) {
      RouterSpec spec =
          RouterSpec.of("sigmoid-gc").toBuilder().optK(kk).optCapacityFactor(cf).build();
      int capacity = Capacity.of(tokens, experts, spec);
      try (NDManager m = NDManager.newBaseManager()) {
        long[] host = RULE.onHost(flat, shape, false, spec, capacity, m).slotToken().toLongArray();
        long[] device =
            RULE.onDevice(m.create(flat, shape), false, spec, capacity).slotToken().toLongArray();
        assertArrayEquals(host, device, "cf " + cf);
        for (int g = 0; g < groups; g++) {
          long granted = 0;
          for (int e = 0; e < experts; e++) {
            long held = 0;
            for (int c = 0; c < capacity; c++) {
              held += host[(g * experts + e) * capacity + c] >= 0 ? 1 : 0;
            }
            assertTrue(held <= capacity);
            granted += held;
          }
          if (cf == 1.0) {
            assertTrue(granted <= (long) kk * tokens, "granted " + granted);
          } else {
            assertEquals((long) kk * tokens, granted, "every winner has room");
          }
        }
      }
    }
  }

  @Test
  void optionsThatDoNotApplyAreRefused() {
    assertEquals(Family.GLOBAL_CHOICE, Routers.info("softmax-gc").family());
    assertEquals(2, RouterSpec.of("softmax-gc").toBuilder().optK(2).build().k());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of("sigmoid-gc").toBuilder().optNormalizeGates(true).build());
    assertTrue(e.getMessage().contains("normalize_gates"), e.getMessage());
  }

  private static double[] softmax(double... logits) {
    double max = Arrays.stream(logits).max().orElseThrow(), total = 0;
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = Math.exp(logits[i] - max);
      total += out[i];
    }
    for (int i = 0; i < logits.length; i++) {
      out[i] /= total;
    }
    return out;
  }

  private static double sum(double[][] a) {
    return Arrays.stream(a).flatMapToDouble(Arrays::stream).sum();
  }
}
