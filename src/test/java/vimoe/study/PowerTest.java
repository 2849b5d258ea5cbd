package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Minimum detectable effects and seed counts against values worked by hand: t quantiles with 1 and
 * 2 degrees of freedom in closed form (1: tan(pi (p - 1/2)); 2: (2p - 1) sqrt(2 / (1 - (2p -
 * 1)^2))), with 3 and 4 from tables.
 */
class PowerTest {
  static double t1(double p) {
    return Math.tan(Math.PI * (p - 0.5));
  }

  static double t2(double p) {
    double q = 2 * p - 1;
    return q * Math.sqrt(2 / (1 - q * q));
  }

  /** t(0.975) and t(0.80) with 3 and 4 degrees of freedom, from tables (scipy.stats.t.ppf). */
  static final double T975_3 = 3.182446305,
      T80_3 = 0.978472312,
      T975_4 = 2.776445105,
      T80_4 = 0.9409645772;

  @Test
  void minimumDetectableEffect() {
    // sd 0.01, 3 seeds: (4.302653 + 1.060660) * 0.01 / sqrt(3) = 0.0309651
    assertEquals(
        (t2(0.975) + t2(0.8)) * 0.01 / Math.sqrt(3), Stats.minimumDetectableEffect(0.01, 3), 1e-9);
    assertEquals(0.0309651, Stats.minimumDetectableEffect(0.01, 3), 1e-7);
    // 2 seeds: (12.706205 + 1.376382) * 0.005 / sqrt(2) = 0.0497891
    assertEquals(
        (t1(0.975) + t1(0.8)) * 0.005 / Math.sqrt(2),
        Stats.minimumDetectableEffect(0.005, 2),
        1e-9);
    assertEquals(
        (T975_4 + T80_4) * 0.02 / Math.sqrt(5), Stats.minimumDetectableEffect(0.02, 5), 1e-9);
    assertTrue(Double.isNaN(Stats.minimumDetectableEffect(0.01, 1)));
    assertEquals(0, Stats.minimumDetectableEffect(0, 4));
  }

  @Test
  void seedsToResolveIsTheFirstNWhoseEffectIsSmallEnough() {
    // sd 0.01: MDE(3) = 0.0310, MDE(4) = (3.182446 + 0.978472) * 0.01 / 2 = 0.0208046,
    // MDE(5) = (2.776445 + 0.940965) * 0.01 / sqrt(5) = 0.0166247
    double mde4 = (T975_3 + T80_3) * 0.01 / 2;
    assertEquals(mde4, Stats.minimumDetectableEffect(0.01, 4), 1e-9);
    assertEquals(4, Stats.seedsToResolve(0.0209, 0.01));
    assertEquals(5, Stats.seedsToResolve(-0.0208, 0.01)); // the sign does not matter
    assertEquals(5, Stats.seedsToResolve(0.0167, 0.01));
    assertEquals(6, Stats.seedsToResolve(0.0166, 0.01));
    assertEquals(3, Stats.seedsToResolve(0.031, 0.01));
    assertEquals(2, Stats.seedsToResolve(1, 0.01));
    assertNull(Stats.seedsToResolve(0, 0.01));
    assertNull(Stats.seedsToResolve(1e-9, 1)); // beyond MAX_SEEDS
  }

  @Test
  void findingCarriesItsPowerAndSaysItInASentence() {
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    // MoE minus dense per seed: +0.01, -0.00, +0.02 -> mean 0.01, sd 0.01: inconclusive
    acc.put("dense", Map.of(0L, 0.80, 1L, 0.81, 2L, 0.79));
    acc.put("softmax-ec", Map.of(0L, 0.81, 1L, 0.81, 2L, 0.81));
    Finding f = Findings.of(acc, "").get(0);
    assertEquals(Stats.INCONCLUSIVE, f.verdict());
    assertEquals(0.01, f.sd(), 1e-12);
    assertEquals((t2(0.975) + t2(0.8)) * 0.01 / Math.sqrt(3), f.minimumDetectableEffect(), 1e-9);
    // smallest n with MDE(n) <= 0.01 at sd 0.01: (t975 + t80)(n - 1) / sqrt(n) <= 1; n = 10 gives
    // (2.262157 + 0.883404) / 3.162278 = 0.99471, n = 9 gives (2.306004 + 0.888891) / 3 = 1.06496
    assertEquals(10, f.seedsToResolve());
    assertTrue(
        Findings.sentence(f)
            .endsWith(
                "With 3 seeds it resolves differences of 3.10 points (80% power, two-sided 5%);"
                    + " a difference of 1.00 points needs about 10 seeds."),
        Findings.sentence(f));
    // a finding that holds carries its MDE but no seed count
    acc.put("softmax-ec", Map.of(0L, 0.85, 1L, 0.86, 2L, 0.84));
    Finding holds = Findings.of(acc, "").get(0);
    assertEquals(Stats.HOLDS, holds.verdict());
    assertNull(holds.seedsToResolve());
    assertTrue(Findings.sentence(holds).endsWith("(80% power, two-sided 5%)."));
  }
}
