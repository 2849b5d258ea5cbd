package vimoe.moe;

import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Rounding;

/**
 * The capacity formula of ROUTING.md: {@code C = roundUp(rounding(S*K*CF/E), multipleOf)},
 * {@code C >= 1}, and {@code C <= S} for Expert Choice.
 */
public final class Capacity {
    /** Relative slack so that 40 * 1.2 / 8 = 6.000000000000001 still rounds up to 6, not 7. */
    private static final double SLACK = 1e-9;

    private Capacity() {}

    /**
     * Slots per expert per group for a router. Expert Choice and Soft MoE use K = 1; Soft MoE takes
     * its P slots from {@link RouterSpec#slots()} when set.
     *
     * @param tokens S, tokens per group
     * @param experts E
     */
    public static int of(int tokens, int experts, RouterSpec spec) {
        Family family = spec.family();
        if (family == Family.SOFT && spec.slots() != null) {
            return spec.slots();
        }
        int k = family == Family.TOKEN_CHOICE ? spec.k() : 1;
        int c = formula(tokens, k, spec.capacityFactor(), experts,
                spec.capacityRounding(), spec.capacityMultipleOf());
        return family == Family.EXPERT_CHOICE ? Math.min(c, tokens) : c;
    }

    /** {@code max(1, roundUp(rounding(S*K*CF/E), multipleOf))}. */
    public static int formula(int tokens, int k, double capacityFactor, int experts,
            Rounding rounding, int multipleOf) {
        if (tokens < 1 || experts < 1 || k < 1 || multipleOf < 1 || !(capacityFactor > 0)) {
            throw new IllegalArgumentException(String.format(
                    "capacity needs S, E, K, multipleOf >= 1 and CF > 0, got S=%d E=%d K=%d CF=%s multipleOf=%d",
                    tokens, experts, k, capacityFactor, multipleOf));
        }
        double x = (double) tokens * k * capacityFactor / experts;
        double slack = SLACK * Math.max(1, x);
        long c = rounding == Rounding.CEIL ? (long) Math.ceil(x - slack) : (long) Math.floor(x + 0.5 + slack);
        c = (c + multipleOf - 1) / multipleOf * multipleOf;
        return (int) Math.max(1, Math.min(c, Integer.MAX_VALUE));
    }
}
