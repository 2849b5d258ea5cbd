package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** C = roundUp(rounding(S*K*CF/E), multipleOf), C >= 1, C <= S*K (K = 1 for Expert Choice). */
class CapacityTest {

  @Test
  void ceilIsTheDefault() {
    assertEquals(7, Capacity.of(49, 8, RouterSpec.of("softmax-tc"))); // 49/8 = 6.125 -> 7
    assertEquals(
        13,
        Capacity.of(49, 8, RouterSpec.of("softmax-tc").toBuilder().optK(2).build())); // 12.25 -> 13
    assertEquals(
        8,
        Capacity.of(
            49,
            8,
            RouterSpec.of("softmax-ec").toBuilder().optCapacityFactor(1.25).build())); // 7.66 -> 8
  }

  @Test
  void roundRoundsHalvesUp() {
    assertEquals(6, Capacity.formula(49, 1, 1.0, 8, Rounding.ROUND, 1)); // 6.125
    assertEquals(3, Capacity.formula(5, 1, 1.0, 2, Rounding.ROUND, 1)); // 2.5
    assertEquals(2, Capacity.formula(9, 1, 1.0, 4, Rounding.ROUND, 1)); // 2.25
  }

  @Test
  void multipleOfRoundsUp() {
    assertEquals(8, Capacity.formula(49, 1, 1.0, 8, Rounding.CEIL, 4)); // 7 -> 8
    assertEquals(8, Capacity.formula(64, 1, 1.0, 8, Rounding.CEIL, 4)); // 8 stays
    assertEquals(12, Capacity.formula(49, 1, 1.25, 8, Rounding.CEIL, 6)); // 8 -> 12
  }

  @Test
  void floatingPointErrorDoesNotAddASlot() {
    // 40 * 1.2 / 8 evaluates to 6.000000000000001 in doubles; the capacity is 6.
    assertEquals(6, Capacity.formula(40, 1, 1.2, 8, Rounding.CEIL, 1));
    assertEquals(7, Capacity.formula(41, 1, 1.2, 8, Rounding.CEIL, 1)); // 6.15 -> 7
  }

  @Test
  void atLeastOneSlotAndAtMostSTimesK() {
    assertEquals(1, Capacity.formula(3, 1, 0.1, 64, Rounding.CEIL, 1));
    assertEquals(1, Capacity.formula(3, 1, 0.1, 64, Rounding.ROUND, 1)); // rounds to 0 -> 1
    assertEquals(
        6,
        Capacity.of(6, 3, RouterSpec.of("softmax-ec").toBuilder().optCapacityFactor(10).build()));
    assertEquals(
        6,
        Capacity.of(
            6,
            3,
            RouterSpec.of("softmax-tc").toBuilder().optCapacityFactor(10).build())); // 20 -> S*K
    assertEquals(
        12,
        Capacity.of(
            6, 3, RouterSpec.of("softmax-tc").toBuilder().optK(2).optCapacityFactor(10).build()));
    assertEquals(
        6, Capacity.of(6, 3, RouterSpec.of("soft").toBuilder().optCapacityFactor(10).build()));
    assertEquals(
        6,
        Capacity.formula(6, 1, 1.0, 3, Rounding.CEIL, 1000)); // multipleOf cannot exceed S*K either
  }

  @Test
  void hugeCapacityFactorsCannotOverflow() {
    for (double cf : new double[] {1e10, 1e18, 1e308, Double.MAX_VALUE, Double.POSITIVE_INFINITY}) {
      for (String router :
          Double.isFinite(cf) ? new String[] {"softmax-tc", "softmax-ec", "soft"} : new String[0]) {
        int k = router.equals("softmax-tc") ? 2 : 1;
        var spec = RouterSpec.of(router).toBuilder().optK(k).optCapacityFactor(cf).build();
        assertEquals(49 * k, Capacity.of(49, 8, spec), router + " CF=" + cf);
      }
      assertEquals(
          Integer.MAX_VALUE, Capacity.formula(Integer.MAX_VALUE, 4, cf, 1, Rounding.ROUND, 7));
    }
  }

  @Test
  void softMoeTakesItsSlotsWhenGiven() {
    assertEquals(7, Capacity.of(49, 8, RouterSpec.of("soft")));
    assertEquals(2, Capacity.of(49, 8, RouterSpec.of("soft").toBuilder().optSlots(2).build()));
  }

  @Test
  void impossibleArgumentsAreRefused() {
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> Capacity.formula(0, 1, 1, 8, Rounding.CEIL, 1));
    assertEquals(true, e.getMessage().contains("S=0"));
  }
}
