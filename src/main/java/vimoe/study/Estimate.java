package vimoe.study;

import java.util.List;

/**
 * A mean over seeds with its 95% confidence interval (Student t with n - 1 degrees of freedom).
 *
 * @param mean the mean, or null without any value
 * @param ci95 {@code [lo, hi]}, or null with fewer than two values (no interval can be drawn)
 * @param n the number of values
 */
public record Estimate(Double mean, List<Double> ci95, int n) {
  /** An estimate of nothing: no values. */
  public static final Estimate NONE = new Estimate(null, null, 0);

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
