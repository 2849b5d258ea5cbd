package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Holm's adjustment and the all-pairs comparison on synthetic cases where the unadjusted and the
 * adjusted verdicts differ. With 2 degrees of freedom the two-sided t p-value is {@code 1 - t /
 * sqrt(2 + t^2)} in closed form.
 */
class PairsTest {
  @Test
  void holmAdjustsStepDown() {
    // sorted 0.01, 0.03, 0.04: 3 * 0.01 = 0.03; 2 * 0.03 = 0.06; max(0.06, 1 * 0.04) = 0.06
    assertArrayEquals(
        new double[] {0.03, 0.06, 0.06}, Stats.holm(new double[] {0.01, 0.04, 0.03}), 1e-12);
    // the levels: 0.05 / 3 for the first step; Holm stops at the second (0.03 >= 0.025), so the
    // second and the third get 0.025
    assertArrayEquals(
        new double[] {0.05 / 3, 0.025, 0.025},
        Stats.holmLevels(new double[] {0.01, 0.04, 0.03}, 0.05),
        1e-12);
    // NaN counts as 1 and stays NaN; min(1, ...) caps
    double[] h = Stats.holm(new double[] {Double.NaN, 0.6, 0.001});
    assertTrue(Double.isNaN(h[0]));
    assertEquals(1, h[1], 1e-12);
    assertEquals(0.003, h[2], 1e-12);
  }

  @Test
  void pairedTPValue() {
    // differences 0.03, 0.02, 0.04: t = 0.03 / (0.01 / sqrt 3) = 3 sqrt 3; p = 1 - sqrt(27 / 29)
    assertEquals(1 - Math.sqrt(27.0 / 29), Stats.pValue(new double[] {0.03, 0.02, 0.04}), 1e-9);
    assertEquals(0, Stats.pValue(new double[] {0.02, 0.02}));
    assertEquals(1, Stats.pValue(new double[] {0, 0, 0}));
    assertTrue(Double.isNaN(Stats.pValue(new double[] {0.1})));
  }

  @Test
  void adjustedVerdictsDifferFromUnadjustedOnesAndRoutersTie() {
    // A - B = .03, .02, .04 (p = 0.035099); A - C = .06, .039, .081 (p = 0.038491);
    // B - C = .03, .019, .041 (p = 0.042011): each below 5% alone, but Holm multiplies the smallest
    // by 3 (0.105296), and the others are at least that: no pair is separated.
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    acc.put("A", bySeed(0.80, 0.80, 0.80));
    acc.put("B", bySeed(0.77, 0.78, 0.76));
    acc.put("C", bySeed(0.74, 0.761, 0.719));
    List<PairComparison> pairs = Pairs.of(acc, "");
    assertEquals(3, pairs.size());
    double pAb = 1 - Math.sqrt(27.0 / 29);
    PairComparison ab = pairs.get(0);
    assertEquals(List.of("A", "B"), List.of(ab.a(), ab.b()));
    assertEquals(0.03, ab.difference(), 1e-12);
    assertEquals(pAb, ab.pValue(), 1e-9);
    assertEquals(3 * pAb, ab.holmPValue(), 1e-9);
    for (PairComparison c : pairs) {
      assertEquals(Stats.HOLDS, c.unadjustedVerdict(), c.toString());
      assertEquals(Stats.INCONCLUSIVE, c.verdict(), c.toString());
      assertEquals(3 * pAb, c.holmPValue(), 1e-9); // the running maximum
      // Holm stops at its first step: every interval is at 1 - 0.05 / 3 and contains 0
      assertEquals(1 - 0.05 / 3, c.adjustedConfidence(), 1e-12);
      assertTrue(c.adjustedInterval().get(0) < 0 && c.ci95().get(0) > 0, c.toString());
    }
    // A - B interval at 1 - 0.05/3: t(1 - 0.05/6, 2) = q sqrt(2 / (1 - q^2)), q = 1 - 0.05/3
    double q = 1 - 0.05 / 3, t = q * Math.sqrt(2 / (1 - q * q));
    assertEquals(0.03 - t * 0.01 / Math.sqrt(3), ab.adjustedInterval().get(0), 1e-9);
    List<RouterRank> ranking = Pairs.ranking(acc, pairs, "");
    assertEquals(List.of(1, 1, 1), ranking.stream().map(RouterRank::rank).toList());
    assertEquals(List.of("A", "B", "C"), ranking.stream().map(RouterRank::router).toList());
    assertEquals(List.of("B", "C"), ranking.get(0).notSeparatedFrom());
  }

  @Test
  void holmSeparatesClearPairsAndRanksThem() {
    // A - C = .10, .10, .101 (p = 1.1037e-5), B - C = .07, .08, .061 (p = 0.006032), A - B = .03,
    // .02, .04 (p = 0.035099): Holm 3.3e-5, 0.012064, 0.035099: all separated, ranks 1, 2, 3
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    acc.put("C", bySeed(0.70, 0.70, 0.699));
    acc.put("B", bySeed(0.77, 0.78, 0.76));
    acc.put("A", bySeed(0.80, 0.80, 0.80));
    List<PairComparison> pairs = Pairs.of(acc, "k=2");
    assertEquals(List.of("C", "B"), List.of(pairs.get(0).a(), pairs.get(0).b()));
    assertEquals(Stats.REVERSED, pairs.get(0).verdict()); // C - B < 0
    List<RouterRank> ranking = Pairs.ranking(acc, pairs, "k=2");
    assertEquals(List.of("A", "B", "C"), ranking.stream().map(RouterRank::router).toList());
    assertEquals(List.of(1, 2, 3), ranking.stream().map(RouterRank::rank).toList());
    assertEquals(List.of(), ranking.get(1).notSeparatedFrom());
    for (PairComparison c : pairs) {
      assertTrue(c.adjustedInterval().get(0) > 0 || c.adjustedInterval().get(1) < 0, c.toString());
    }
    // A - B at Holm's third step: level 0.05 / 1, the ordinary 95% interval
    PairComparison ba = pairs.get(2);
    assertEquals(List.of("B", "A"), List.of(ba.a(), ba.b()));
    assertEquals(0.95, ba.adjustedConfidence(), 1e-12);
    assertEquals(ba.ci95().get(0), ba.adjustedInterval().get(0), 1e-12);
  }

  @Test
  void intervalsStayWithinTheRangeOfADifferenceOfAccuracies() {
    // 2 seeds far apart: A - B = +.70, -.50; the 95% t interval (t = 12.71, 1 degree of freedom)
    // is .10 ± 7.6 and Holm's first step (1 - .05/3) is wider still: both are clipped to [-1, 1]
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    acc.put("A", bySeed(0.90, 0.30));
    acc.put("B", bySeed(0.20, 0.80));
    acc.put("C", bySeed(0.50, 0.55));
    for (PairComparison c : Pairs.of(acc, "")) {
      assertEquals(List.of(-1.0, 1.0), c.ci95(), c.toString());
      assertEquals(List.of(-1.0, 1.0), c.adjustedInterval(), c.toString());
      assertEquals(Stats.INCONCLUSIVE, c.verdict(), c.toString());
    }
    // clipping leaves an interval inside [-1, 1] as it is
    Estimate narrow = Stats.difference(new double[] {0.03, 0.02, 0.04}, 0.05);
    assertEquals(Stats.estimate(new double[] {0.03, 0.02, 0.04}).ci95(), narrow.ci95());
  }

  private static Map<Long, Double> bySeed(double... v) {
    Map<Long, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < v.length; i++) {
      m.put((long) i, v[i]);
    }
    return m;
  }
}
