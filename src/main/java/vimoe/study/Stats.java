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

  /** Verdict of a claim the study cannot test: it lacks the routers the claim compares. */
  public static final String NOT_TESTED = "not tested";

  /**
   * Accuracies are kept this far from 0 and 1 on the logit scale, so that a run with every image
   * right (or wrong) has a finite logit.
   */
  static final double LOGIT_CLAMP = 1e-4;

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
   * The mean of fractions (accuracies) by seed, with a 95% interval that respects [0, 1]: a Student
   * t interval with n - 1 degrees of freedom on the logit scale, {@code logit^-1(m ± t * s /
   * sqrt(n))} with m and s the mean and sample standard deviation of the logits (each value clamped
   * to [{@value #LOGIT_CLAMP}, 1 - {@value #LOGIT_CLAMP}] first). The mean itself is the arithmetic
   * mean of the fractions; in the rare case that it falls outside the interval, the interval is
   * widened to reach it. NaN values are left out; with fewer than two values the interval is null.
   */
  public static Estimate fraction(Map<Long, Double> bySeed) {
    Map<Long, Double> values = new TreeMap<>();
    bySeed.forEach(
        (seed, v) -> {
          if (v != null && !Double.isNaN(v)) {
            values.put(seed, v);
          }
        });
    int n = values.size();
    if (n == 0) {
      return Estimate.NONE;
    }
    double m = mean(values.values().stream().mapToDouble(Double::doubleValue).toArray());
    if (n < 2) {
      return new Estimate(m, null, 1, values);
    }
    double[] logits =
        values.values().stream()
            .mapToDouble(v -> Math.max(LOGIT_CLAMP, Math.min(1 - LOGIT_CLAMP, v)))
            .map(p -> Math.log(p / (1 - p)))
            .toArray();
    double ml = mean(logits), ss = 0;
    for (double x : logits) {
      ss += (x - ml) * (x - ml);
    }
    double half =
        new TDistribution(n - 1).inverseCumulativeProbability(0.975) * Math.sqrt(ss / (n - 1) / n);
    double lo = 1 / (1 + Math.exp(-(ml - half))), hi = 1 / (1 + Math.exp(-(ml + half)));
    return new Estimate(m, List.of(Math.min(lo, m), Math.max(hi, m)), n, values);
  }

  /**
   * A paired difference of fractions over seeds: {@link #estimate} with its interval clipped to
   * [-1, 1], the range of a difference of two accuracies.
   */
  public static Estimate difference(double[] differences) {
    Estimate e = estimate(differences);
    if (e.ci95() == null) {
      return e;
    }
    return new Estimate(
        e.mean(), List.of(Math.max(-1, e.lo()), Math.min(1, e.hi())), e.n(), e.perSeed());
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
