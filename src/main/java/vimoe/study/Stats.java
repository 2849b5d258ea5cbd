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

  /** Two-sided significance level of every interval and test: 5%. */
  public static final double ALPHA = 0.05;

  /** Power at which {@link #minimumDetectableEffect} is stated: 80%. */
  public static final double POWER = 0.80;

  /** The most seeds {@link #seedsToResolve} looks at; beyond it the answer is "more than". */
  public static final int MAX_SEEDS = 10_000;

  /** The sample standard deviation (divisor n - 1) of the non-NaN values; NaN with fewer than 2. */
  public static double sd(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).toArray();
    if (v.length < 2) {
      return Double.NaN;
    }
    double m = mean(v), ss = 0;
    for (double x : v) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (v.length - 1));
  }

  /**
   * The smallest true mean difference that a paired t-test on {@code n} seeds detects with 80%
   * power at a two-sided 5% level, given the standard deviation {@code sd} of the paired
   * differences: {@code MDE(n) = (t(1 - alpha/2, n-1) + t(power, n-1)) * sd / sqrt(n)}. This is the
   * usual approximation of the power of the t-test by central t quantiles (Cohen 1988; the exact
   * power needs the noncentral t, which commons-math3 lacks); it is slightly optimistic for very
   * few seeds. NaN with fewer than two seeds or without a standard deviation.
   */
  public static double minimumDetectableEffect(double sd, int n) {
    if (n < 2 || Double.isNaN(sd)) {
      return Double.NaN;
    }
    TDistribution t = new TDistribution(n - 1);
    return (t.inverseCumulativeProbability(1 - ALPHA / 2) + t.inverseCumulativeProbability(POWER))
        * sd
        / Math.sqrt(n);
  }

  /**
   * The number of seeds that would resolve a true difference of {@code effect} given the standard
   * deviation {@code sd} of the paired differences: the smallest n >= 2 with {@code MDE(n) <=
   * |effect|} ({@link #minimumDetectableEffect}; searched n by n, since the t quantiles depend on
   * n). Null when {@code effect} is 0 or NaN, or when even {@link #MAX_SEEDS} seeds would not do.
   */
  public static Integer seedsToResolve(double effect, double sd) {
    if (Double.isNaN(effect) || Double.isNaN(sd) || effect == 0) {
      return null;
    }
    for (int n = 2; n <= MAX_SEEDS; n++) {
      if (minimumDetectableEffect(sd, n) <= Math.abs(effect)) {
        return n;
      }
    }
    return null;
  }

  /**
   * The two-sided p-value of the one-sample t-test of mean 0 on the non-NaN {@code differences}
   * (the paired t-test): {@code 2 * P(T_{n-1} > |mean| / (s / sqrt(n)))}. 0 when every difference
   * is the same non-zero value, 1 when all are 0, NaN with fewer than two values.
   */
  public static double pValue(double[] differences) {
    double[] v = Arrays.stream(differences).filter(x -> !Double.isNaN(x)).toArray();
    if (v.length < 2) {
      return Double.NaN;
    }
    double m = mean(v), s = sd(v);
    if (s == 0) {
      return m == 0 ? 1 : 0;
    }
    double t = Math.abs(m) / (s / Math.sqrt(v.length));
    return 2 * new TDistribution(v.length - 1).cumulativeProbability(-t);
  }

  /**
   * The mean of {@code differences} with its two-sided interval at confidence {@code 1 - alpha}:
   * {@code mean ± t(1 - alpha/2, n-1) * s / sqrt(n)}. As {@link #estimate} (which is alpha = 0.05),
   * NaN values left out, no interval with fewer than two values.
   */
  public static Estimate estimate(double[] values, double alpha) {
    Estimate e = estimate(values);
    if (e.ci95() == null) {
      return e;
    }
    double half =
        new TDistribution(e.n() - 1).inverseCumulativeProbability(1 - alpha / 2)
            * sd(values)
            / Math.sqrt(e.n());
    return new Estimate(e.mean(), List.of(e.mean() - half, e.mean() + half), e.n());
  }

  /**
   * Holm's step-down adjustment (Holm 1979) of {@code p}: with the p-values sorted ascending,
   * {@code adjusted_(i) = max over j <= i of min(1, (m - j + 1) p_(j))}, returned in the input's
   * order. A NaN p-value counts as 1 (it is never significant) and stays NaN in the output.
   */
  public static double[] holm(double[] p) {
    int m = p.length;
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(orOne(p[a]), orOne(p[b])));
    double[] out = new double[m];
    double running = 0;
    for (int j = 0; j < m; j++) {
      int i = order[j];
      running = Math.max(running, Math.min(1, (m - j) * orOne(p[i])));
      out[i] = Double.isNaN(p[i]) ? Double.NaN : running;
    }
    return out;
  }

  /**
   * For each p-value, the significance level of its Holm step: {@code alpha / (m - j + 1)} for the
   * j-th smallest, or, for a p-value after the first step Holm does not reject, the level of that
   * step. An interval at confidence {@code 1 - level} then excludes 0 exactly when Holm rejects
   * (adjusted p < alpha).
   */
  public static double[] holmLevels(double[] p, double alpha) {
    int m = p.length;
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(orOne(p[a]), orOne(p[b])));
    double[] out = new double[m];
    double stopped = Double.NaN;
    for (int j = 0; j < m; j++) {
      int i = order[j];
      double level = alpha / (m - j);
      if (Double.isNaN(stopped) && !(orOne(p[i]) < level)) {
        stopped = level;
      }
      out[i] = Double.isNaN(stopped) ? level : stopped;
    }
    return out;
  }

  private static double orOne(double p) {
    return Double.isNaN(p) ? 1 : p;
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
    return difference(differences, ALPHA);
  }

  /**
   * A paired difference of fractions over seeds with its interval at confidence {@code 1 - alpha}
   * ({@link #estimate(double[], double)}), clipped to [-1, 1]: with few seeds and a small alpha (a
   * Holm step) the t interval can reach far beyond what two accuracies can differ by. Clipping
   * never changes whether the interval excludes 0.
   */
  public static Estimate difference(double[] differences, double alpha) {
    Estimate e = estimate(differences, alpha);
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
