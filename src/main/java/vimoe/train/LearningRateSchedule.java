package vimoe.train;

/**
 * Linear warm-up to the peak learning rate, then cosine decay to 0, over a fixed number of steps.
 */
public record LearningRateSchedule(double peak, int totalSteps, int warmupSteps) {

  /**
   * A schedule of {@code totalSteps} whose first {@code round(fraction * totalSteps)} steps warm
   * up.
   */
  public static LearningRateSchedule of(double peak, int totalSteps, double warmupFraction) {
    return new LearningRateSchedule(
        peak, totalSteps, (int) Math.round(warmupFraction * totalSteps));
  }

  /** The learning rate of 0-based step {@code t}. */
  public double at(int t) {
    if (t < warmupSteps) {
      return peak * (t + 1) / warmupSteps;
    }
    double progress = (double) (t - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
  }
}
