package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Means, Student-t intervals, paired differences and verdicts against values worked by hand. */
class StatsTest {
  /** t(0.975) with 2 and 1 degrees of freedom, from printed tables. */
  static final double T2 = 4.302652729911275, T1 = 12.706204736174698;

  @Test
  void meanAndTInterval() {
    // 0.80, 0.82, 0.84: mean 0.82, s = 0.02, half width = 4.3027 * 0.02 / sqrt(3) = 0.0496827
    Estimate e = Stats.estimate(new double[] {0.80, 0.82, 0.84});
    assertEquals(0.82, e.mean(), 1e-12);
    assertEquals(3, e.n());
    assertEquals(0.82 - T2 * 0.02 / Math.sqrt(3), e.lo(), 1e-9);
    assertEquals(0.82 + 0.0496827, e.hi(), 1e-6);
    // Two values 0.5 and 0.7: s = 0.141421, half width = 12.7062 * 0.141421 / sqrt(2) = 1.27062
    Estimate two = Stats.estimate(new double[] {0.5, 0.7});
    assertEquals(0.6 - T1 * 0.1, two.lo(), 1e-9);
    assertEquals(0.6 + 1.270620, two.hi(), 1e-6);
  }

  @Test
  void oneValueHasNoIntervalAndNaNIsLeftOut() {
    Estimate one = Stats.estimate(new double[] {0.9, Double.NaN});
    assertEquals(0.9, one.mean());
    assertEquals(1, one.n());
    assertNull(one.ci95());
    assertEquals(Stats.INCONCLUSIVE, Stats.verdict(one));
    assertEquals(Estimate.NONE, Stats.estimate(new double[0]));
  }

  @Test
  void pairedDifferencesMatchSeeds() {
    Map<Long, Double> a = Map.of(0L, 0.90, 1L, 0.80, 2L, 0.85, 3L, 0.5);
    Map<Long, Double> b = Map.of(2L, 0.80, 0L, 0.85, 1L, 0.78);
    // seed 3 has no partner; seed order 0, 1, 2
    assertArrayEquals(new double[] {0.05, 0.02, 0.05}, Stats.paired(a, b), 1e-12);
    Map<Long, Double> mean = Stats.meanPerSeed(List.of(a, b));
    assertEquals(Map.of(0L, 0.875, 1L, 0.79, 2L, 0.825), round(mean));
  }

  @Test
  void verdicts() {
    // diffs 0.05, 0.06, 0.04: mean 0.05, s 0.01, CI 0.05 -+ 0.024841 -> [0.0252, 0.0748] > 0
    assertEquals(Stats.HOLDS, Stats.verdict(Stats.estimate(new double[] {0.05, 0.06, 0.04})));
    assertEquals(Stats.REVERSED, Stats.verdict(Stats.estimate(new double[] {-0.05, -0.06, -0.04})));
    // diffs 0.05, 0.02, 0.05: mean 0.04, s 0.017321, CI 0.04 -+ 0.043027 -> [-0.0030, 0.0830]
    // contains 0
    Estimate e = Stats.estimate(new double[] {0.05, 0.02, 0.05});
    assertEquals(-0.0030265, e.lo(), 1e-6);
    assertEquals(Stats.INCONCLUSIVE, Stats.verdict(e));
  }

  @Test
  void findingsOnSyntheticResults() {
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    // Seeds 0, 1, 2. Dense 0.80, 0.81, 0.79. EC routers 2 points above their TC partner on every
    // seed;
    // soft 3 points above the mean of the six sparse routers on seeds 0 and 1 but 1 point below on
    // seed 2.
    double[] dense = {0.80, 0.81, 0.79};
    double[] tc = {0.82, 0.83, 0.81};
    acc.put("dense", bySeed(dense));
    for (String score : List.of("softmax", "sinkhorn", "sparse-ot")) {
      acc.put(score + "-tc", bySeed(tc));
      acc.put(score + "-ec", bySeed(tc[0] + 0.02, tc[1] + 0.02, tc[2] + 0.02));
    }
    // sparse mean per seed = tc + 0.01 = 0.83, 0.84, 0.82
    acc.put("soft", bySeed(0.86, 0.87, 0.81));
    List<Finding> f = Findings.of(acc, "");
    assertEquals(3, f.size());
    // (i) MoE mean per seed: (6 sparse + soft) / 7 -> seed 0: (6 * 0.83 + 0.86) / 7 = 0.834286;
    // minus 0.80
    assertEquals(
        ((6 * 0.83 + 0.86) / 7 - 0.80 + (6 * 0.84 + 0.87) / 7 - 0.81 + (6 * 0.82 + 0.81) / 7 - 0.79)
            / 3,
        f.get(0).estimate(),
        1e-12);
    assertEquals("7 MoE routers (mean) minus dense", f.get(0).compared());
    // (ii) exactly +0.02 on every seed: s = 0, interval [0.02, 0.02], holds
    assertEquals(0.02, f.get(1).estimate(), 1e-12);
    assertEquals(0.02, f.get(1).ci95().get(0), 1e-9);
    assertEquals(Stats.HOLDS, f.get(1).verdict());
    // (iii) +0.03, +0.03, -0.01: mean 0.016667, s 0.023094, half 4.3027 * 0.023094 / sqrt(3) =
    // 0.057370
    assertEquals(0.05 / 3, f.get(2).estimate(), 1e-12);
    assertEquals(0.05 / 3 - 0.0573687, f.get(2).ci95().get(0), 1e-6);
    assertEquals(Stats.INCONCLUSIVE, f.get(2).verdict());
    assertEquals("soft minus the mean of 6 sparse routers", f.get(2).compared());
  }

  @Test
  void findingWithoutTheRoutersItComparesIsNotTested() {
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    acc.put("dense", bySeed(0.8, 0.8));
    acc.put("softmax-ec", bySeed(0.9, 0.91));
    List<Finding> f = Findings.of(acc, "k=2");
    // diffs 0.10, 0.11: mean 0.105, half width 12.7062 * 0.0070711 / sqrt(2) = 0.063531 -> [0.0415,
    // 0.1685]
    assertEquals(Stats.HOLDS, f.get(0).verdict());
    assertEquals(0.105 - 0.063531, f.get(0).ci95().get(0), 1e-6);
    assertNull(f.get(1).estimate());
    assertEquals(Stats.NOT_TESTED, f.get(1).verdict());
    assertEquals("k=2", f.get(1).point());
    assertNull(f.get(2).estimate());
  }

  @Test
  void accuracyIntervalsAreLogitScaleTAndStayWithinZeroToOne() {
    // logits of 0.80, 0.82, 0.84: mean 1.5203, s 0.1360; t(0.975, 2) = 4.3027
    Estimate e = Stats.fraction(bySeed(0.80, 0.82, 0.84));
    assertEquals(0.82, e.mean(), 1e-12);
    assertEquals(0.765383, e.lo(), 1e-6);
    assertEquals(0.865082, e.hi(), 1e-6);
    assertEquals(List.of(0.80, 0.82, 0.84), List.copyOf(e.perSeed().values()));
    // two seeds far apart: t(0.975, 1) = 12.7 makes the interval nearly [0, 1], never beyond
    Estimate far = Stats.fraction(bySeed(0.10, 0.90));
    assertTrue(far.lo() >= 0 && far.lo() < 1e-6 && far.hi() <= 1 && far.hi() > 1 - 1e-6);
    // every image right in both runs: the clamped logits give [1 - 1e-4, 1], widened to the mean
    Estimate all = Stats.fraction(bySeed(1.0, 1.0));
    assertEquals(1 - 1e-4, all.lo(), 1e-12);
    assertEquals(1.0, all.hi());
    assertEquals(1, Stats.fraction(bySeed(0.5, Double.NaN)).n());
    // a paired difference keeps the plain t interval, clipped to [-1, 1]
    Estimate d = Stats.difference(new double[] {-0.9, 0.9});
    assertEquals(List.of(-1.0, 1.0), d.ci95());
  }

  private static Map<Long, Double> bySeed(double... v) {
    Map<Long, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < v.length; i++) {
      m.put((long) i, v[i]);
    }
    return m;
  }

  private static Map<Long, Double> round(Map<Long, Double> m) {
    Map<Long, Double> out = new java.util.HashMap<>();
    m.forEach((k, v) -> out.put(k, Math.round(v * 1e9) / 1e9));
    return out;
  }
}
