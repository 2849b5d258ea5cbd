package vimoe.study;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * The statistics of a study: means, Student-t intervals over seeds, paired differences and
 * verdicts.
 */
public final class Stats {
  /** Verdict when the interval lies above 0. */
  public static final String HOLDS = "holds";

  /** Verdict when the interval lies below 0. */
  public static final String REVERSED = "reversed";

  /** Verdict when the interval contains 0, or when no interval can be drawn. */
  public static final String INCONCLUSIVE = "inconclusive";

  private Stats() {}

  /** The arithmetic mean; NaN for no values. */
  public static double mean(double[] values) {
    return values.length == 0 ? Double.NaN : Arrays.stream(values).sum() / values.length;
  }

  /**
   * The mean and its 95% interval {@code mean ± t(0.975, n-1) * s / sqrt(n)}, s the sample standard
   * deviation (divisor n - 1). NaN values are left out; with fewer than two values the interval is
   * null.
   */
  public static Estimate estimate(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).toArray();
    int n = v.length;
    if (n == 0) {
      return Estimate.NONE;
    }
    double m = mean(v);
    if (n < 2) {
      return new Estimate(m, null, 1);
    }
    double ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    double half =
        new TDistribution(n - 1).inverseCumulativeProbability(0.975) * Math.sqrt(ss / (n - 1) / n);
    return new Estimate(m, List.of(m - half, m + half), n);
  }

  /**
   * "holds" when the interval excludes 0 from below (the estimate is reliably positive), "reversed"
   * when it excludes 0 from above, "inconclusive" otherwise (also without an interval).
   */
  public static String verdict(Estimate e) {
    if (e.ci95() == null) {
      return INCONCLUSIVE;
    }
    return e.lo() > 0 ? HOLDS : e.hi() < 0 ? REVERSED : INCONCLUSIVE;
  }

  /**
   * Differences paired by seed: for every seed present in both, {@code a[seed] - b[seed]}, in seed
   * order.
   */
  public static double[] paired(Map<Long, Double> a, Map<Long, Double> b) {
    List<Double> out = new ArrayList<>();
    for (Map.Entry<Long, Double> e : new TreeMap<>(a).entrySet()) {
      Double other = b.get(e.getKey());
      if (other != null) {
        out.add(e.getValue() - other);
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * For every seed that all of {@code groups} hold, the mean over the groups of their values: e.g.
   * the mean accuracy of six routers per seed.
   */
  public static Map<Long, Double> meanPerSeed(List<Map<Long, Double>> groups) {
    Map<Long, Double> out = new TreeMap<>();
    if (groups.isEmpty()) {
      return out;
    }
    for (Long seed : new TreeMap<>(groups.get(0)).keySet()) {
      double sum = 0;
      boolean all = true;
      for (Map<Long, Double> g : groups) {
        Double v = g.get(seed);
        all &= v != null;
        sum += v == null ? 0 : v;
      }
      if (all) {
        out.put(seed, sum / groups.size());
      }
    }
    return out;
  }
}
