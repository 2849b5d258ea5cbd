package vimoe.study;

import java.util.List;
import java.util.Map;

/**
 * A mean over seeds with its 95% confidence interval and the value of every seed. How the interval
 * is drawn depends on the quantity: accuracies use a Student t interval on the logit scale ({@link
 * Stats#fraction}), so that it stays within [0, 1]; paired differences use a Student t interval
 * clipped to [-1, 1] ({@link Stats#difference}).
 *
 * @param mean the arithmetic mean, or null without any value
 * @param ci95 {@code [lo, hi]}, or null with fewer than two values (no interval can be drawn)
 * @param n the number of values
 * @param perSeed seed to value, in seed order (empty where the values have no seeds)
 */
public record Estimate(Double mean, List<Double> ci95, int n, Map<Long, Double> perSeed) {
  /** An estimate of nothing: no values. */
  public static final Estimate NONE = new Estimate(null, null, 0, Map.of());

  /** Copies the per-seed values in seed order. */
  public Estimate {
    perSeed =
        perSeed == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(perSeed));
  }

  /** An estimate without per-seed values. */
  public Estimate(Double mean, List<Double> ci95, int n) {
    this(mean, ci95, n, Map.of());
  }

  /** The lower end of the interval, NaN without one. */
  public double lo() {
    return ci95 == null ? Double.NaN : ci95.get(0);
  }

  /** The upper end of the interval, NaN without one. */
  public double hi() {
    return ci95 == null ? Double.NaN : ci95.get(1);
  }

  /** The mean, NaN without one. */
  public double value() {
    return mean == null ? Double.NaN : mean;
  }
}
