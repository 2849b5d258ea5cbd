package vimoe.moe.routing;

/**
 * Tokens per expert of every group of one routing plan, before and after capacity, as counts (Soft
 * MoE: dispatch mass).
 *
 * @param capacity C, slots per expert and group
 * @param requested (G, E): the tokens that asked for each expert before capacity turned any away.
 *     Token Choice: the tokens among whose K choices it is; Expert Choice, which has no request per
 *     token: the tokens whose largest gate is its; Soft MoE, which turns no token away: as {@code
 *     held}
 * @param held (G, E): the tokens each expert holds after capacity (at most C)
 */
public record ExpertLoad(int capacity, double[][] requested, double[][] held) {}
