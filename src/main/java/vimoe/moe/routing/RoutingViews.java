package vimoe.moe.routing;

import java.util.List;

/**
 * Per-family views of one MoE layer's routing over some batches (docs/routing.md notation), where
 * the tokens-per-expert load says nothing: Expert Choice and Soft MoE are balanced by construction.
 * Fields that do not apply to the family are null.
 *
 * @param family the router's family
 * @param capacity C, slots per expert and group
 * @param tokens S, tokens per group
 * @param requested sparse routers, per expert (length E): tokens that asked for it before capacity
 *     (Token Choice: among their K choices; Expert Choice: its gate is the token's largest), mean
 *     over groups
 * @param granted sparse routers, per expert (length E): tokens it holds after capacity, mean over
 *     groups
 * @param expertsPerToken sparse routers, length E+1: entry n is the share of tokens that reached
 *     exactly n experts
 * @param slotEffectiveTokens Soft MoE, length {@link #BINS}: entry b is the share of slots whose
 *     effective number of tokens exp(H), H the entropy (nats) of the slot's dispatch weights Dsp[:,
 *     e, c] over the S tokens, divided by S lies in (b/BINS, (b+1)/BINS]
 * @param slotEffectiveTokensMean Soft MoE: mean over slots of exp(H), from 1 (one token) to S (all
 *     tokens equally)
 */
public record RoutingViews(
    Family family,
    int capacity,
    int tokens,
    double[] requested,
    double[] granted,
    double[] expertsPerToken,
    double[] slotEffectiveTokens,
    Double slotEffectiveTokensMean) {

  /** Bins of the slot concentration histogram over exp(H)/S in (0, 1]. */
  public static final int BINS = 10;

  /**
   * The element-wise mean of views of one layer (over batches, or over the seeds of a router); null
   * when the list is empty or holds a null.
   */
  public static RoutingViews mean(List<RoutingViews> all) {
    if (all.isEmpty() || all.stream().anyMatch(java.util.Objects::isNull)) {
      return null;
    }
    RoutingViews first = all.get(0);
    double n = all.size();
    double slotMean = 0;
    for (RoutingViews v : all) {
      slotMean += v.slotEffectiveTokensMean == null ? 0 : v.slotEffectiveTokensMean / n;
    }
    return new RoutingViews(
        first.family,
        first.capacity,
        first.tokens,
        mean(all, RoutingViews::requested),
        mean(all, RoutingViews::granted),
        mean(all, RoutingViews::expertsPerToken),
        mean(all, RoutingViews::slotEffectiveTokens),
        first.slotEffectiveTokensMean == null ? null : slotMean);
  }

  private static double[] mean(
      List<RoutingViews> all, java.util.function.Function<RoutingViews, double[]> field) {
    double[] first = field.apply(all.get(0));
    if (first == null) {
      return null;
    }
    double[] out = new double[first.length];
    for (RoutingViews v : all) {
      double[] x = field.apply(v);
      if (x == null || x.length != out.length) {
        return null;
      }
      for (int i = 0; i < out.length; i++) {
        out[i] += x[i] / all.size();
      }
    }
    return out;
  }

  /**
   * The views of a sparse plan.
   *
   * @param load the plan's {@link ExpertLoad}, (G, E)
   * @param perToken (G, S): the experts each token reached
   */
  static RoutingViews sparse(Family family, ExpertLoad load, long[][] perToken) {
    int groups = load.held().length, experts = load.held()[0].length;
    double[] requested = new double[experts], granted = new double[experts];
    double[] histogram = new double[experts + 1];
    int tokens = perToken[0].length;
    for (int g = 0; g < groups; g++) {
      for (int e = 0; e < experts; e++) {
        requested[e] += load.requested()[g][e] / groups;
        granted[e] += load.held()[g][e] / groups;
      }
      for (long n : perToken[g]) {
        histogram[(int) n] += 1.0 / ((double) groups * tokens);
      }
    }
    return new RoutingViews(
        family, load.capacity(), tokens, requested, granted, histogram, null, null);
  }

  /**
   * The views of a Soft MoE plan.
   *
   * @param effective (G, E*C): exp(H) of each slot's dispatch weights over the S tokens
   */
  static RoutingViews soft(int capacity, int tokens, double[][] effective) {
    double[] histogram = new double[BINS];
    double mean = 0;
    int slots = effective.length * effective[0].length;
    for (double[] group : effective) {
      for (double v : group) {
        int bin = (int) Math.ceil(v / tokens * BINS - 1e-9) - 1;
        histogram[Math.max(0, Math.min(BINS - 1, bin))] += 1.0 / slots;
        mean += v / slots;
      }
    }
    return new RoutingViews(Family.SOFT, capacity, tokens, null, null, null, histogram, mean);
  }
}
