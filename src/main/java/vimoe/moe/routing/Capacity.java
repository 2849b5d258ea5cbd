package vimoe.moe.routing;

/**
 * The capacity formula of docs/routing.md: {@code C = roundUp(rounding(S*K*CF/E), multipleOf)},
 * {@code C >= 1}, clamped to {@code C <= S*K} (K = 1 for Expert Choice and Soft MoE, so {@code C <=
 * S} there). An expert can never take more than S*K tokens of a group, so the clamp changes no
 * plan; it keeps the arithmetic finite for any capacity factor (1e308 included).
 */
public final class Capacity {
  /** Relative slack so that 40 * 1.2 / 8 = 6.000000000000001 still rounds up to 6, not 7. */
  private static final double SLACK = 1e-9;

  private Capacity() {}

  /**
   * Slots per expert per group for a router. Families without K ({@link Family#takesK}: Expert
   * Choice, Soft MoE) use K = 1; Soft MoE takes its P slots from {@link RouterSpec#slots()} when
   * set.
   *
   * @param tokens S, tokens per group
   * @param experts E
   */
  public static int of(int tokens, int experts, RouterSpec spec) {
    Family family = spec.family();
    if (family == Family.SOFT && spec.slots() != null) {
      return spec.slots();
    }
    int k = family.takesK() ? spec.k() : 1;
    return formula(
        tokens,
        k,
        spec.capacityFactor(),
        experts,
        spec.capacityRounding(),
        spec.capacityMultipleOf());
  }

  /** {@code min(S*K, max(1, roundUp(rounding(S*K*CF/E), multipleOf)))}, without overflow. */
  public static int formula(
      int tokens, int k, double capacityFactor, int experts, Rounding rounding, int multipleOf) {
    if (tokens < 1 || experts < 1 || k < 1 || multipleOf < 1 || !(capacityFactor > 0)) {
      throw new IllegalArgumentException(
          String.format(
              "capacity needs S, E, K, multipleOf >= 1 and CF > 0, got S=%d E=%d K=%d CF=%s multipleOf=%d",
              tokens, experts, k, capacityFactor, multipleOf));
    }
    long most = Math.min((long) tokens * k, Integer.MAX_VALUE);
    double x = (double) tokens * k * capacityFactor / experts; // may be +Infinity for CF near 1e308
    if (!(x < most)) {
      return (int) most;
    }
    double slack = SLACK * Math.max(1, x);
    long c =
        rounding == Rounding.CEIL
            ? (long) Math.ceil(x - slack)
            : (long) Math.floor(x + 0.5 + slack);
    c =
        (c + multipleOf - 1)
            / multipleOf
            * multipleOf; // c < 2^31 and multipleOf < 2^31: no overflow
    return (int) Math.max(1, Math.min(c, most));
  }
}
