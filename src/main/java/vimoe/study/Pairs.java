package vimoe.study;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * All pairs of routers at one grid point, and the ranking they support.
 *
 * <p>For each of the {@code m = k (k - 1) / 2} pairs of the k routers (dense included), the paired
 * differences of test accuracy over the seeds both finished are tested with the two-sided paired
 * t-test. The m p-values are adjusted by Holm's step-down method (Holm 1979), which keeps the
 * family-wise error rate of the point at 5%. Each pair's interval is the t interval at confidence
 * {@code 1 - 0.05 / (m - j + 1)}, j the pair's Holm step (or the step at which Holm stopped, for
 * the pairs after it): Bonferroni intervals at the Holm step, so an interval excludes 0 exactly
 * when Holm separates the pair. Both intervals are clipped to [-1, 1], the range of a difference of
 * two accuracies ({@link Stats#difference(double[], double)}).
 */
public final class Pairs {
  private Pairs() {}

  /**
   * Every pair of the routers of {@code accuracy}, in its order ({@code a} before {@code b}).
   *
   * @param accuracy per router, test accuracy per seed
   * @param point the grid point's label
   */
  public static List<PairComparison> of(Map<String, Map<Long, Double>> accuracy, String point) {
    List<String> routers = new ArrayList<>(accuracy.keySet());
    List<String[]> pairs = new ArrayList<>();
    List<double[]> diffs = new ArrayList<>();
    for (int i = 0; i < routers.size(); i++) {
      for (int j = i + 1; j < routers.size(); j++) {
        pairs.add(new String[] {routers.get(i), routers.get(j)});
        diffs.add(Stats.paired(accuracy.get(routers.get(i)), accuracy.get(routers.get(j))));
      }
    }
    double[] p = diffs.stream().mapToDouble(Stats::pValue).toArray();
    double[] holm = Stats.holm(p);
    double[] levels = Stats.holmLevels(p, Stats.ALPHA);
    List<PairComparison> out = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      Estimate e = Stats.difference(diffs.get(i));
      boolean tested = !Double.isNaN(p[i]);
      Estimate adjusted = tested ? Stats.difference(diffs.get(i), levels[i]) : e;
      String verdict =
          !tested || !(holm[i] < Stats.ALPHA)
              ? Stats.INCONCLUSIVE
              : e.value() > 0 ? Stats.HOLDS : Stats.REVERSED;
      out.add(
          new PairComparison(
              point,
              pairs.get(i)[0],
              pairs.get(i)[1],
              e.n(),
              e.mean(),
              e.ci95(),
              tested ? p[i] : null,
              tested ? holm[i] : null,
              tested ? 1 - levels[i] : null,
              tested ? adjusted.ci95() : null,
              Stats.verdict(e),
              verdict));
    }
    return out;
  }

  /**
   * The ranking of the routers of {@code accuracy} by the Holm verdicts of {@code pairs}: best rank
   * first, then by mean test accuracy.
   */
  public static List<RouterRank> ranking(
      Map<String, Map<Long, Double>> accuracy, List<PairComparison> pairs, String point) {
    List<RouterRank> out = new ArrayList<>();
    for (String r : accuracy.keySet()) {
      int better = 0;
      List<String> tied = new ArrayList<>();
      for (PairComparison c : pairs) {
        if (!c.a().equals(r) && !c.b().equals(r)) {
          continue;
        }
        String other = c.a().equals(r) ? c.b() : c.a();
        String otherWins = c.a().equals(r) ? Stats.REVERSED : Stats.HOLDS;
        if (c.verdict().equals(otherWins)) {
          better++;
        } else if (c.verdict().equals(Stats.INCONCLUSIVE)) {
          tied.add(other);
        }
      }
      double mean =
          Stats.mean(accuracy.get(r).values().stream().mapToDouble(Double::doubleValue).toArray());
      out.add(
          new RouterRank(
              point, r, better + 1, Double.isNaN(mean) ? null : mean, List.copyOf(tied)));
    }
    out.sort(
        Comparator.comparingInt(RouterRank::rank)
            .thenComparing(
                x -> x.testAccuracy() == null ? Double.NEGATIVE_INFINITY : x.testAccuracy(),
                Comparator.reverseOrder()));
    return out;
  }
}
