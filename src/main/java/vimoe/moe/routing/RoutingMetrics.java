package vimoe.moe.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every plan reports (docs/routing.md), per MoE layer and batch, averaged over groups. For
 * Soft MoE, "tokens per expert" is the dispatch mass an expert receives (sum over s and c of Dsp,
 * always C) and every token reaches all E experts.
 *
 * @param droppedFraction fraction of tokens with no slot
 * @param underKFraction fraction of tokens with fewer than K slots (K = 1 outside Token Choice)
 * @param tokensPerExpert per expert e, the tokens it holds, mean over groups (length E)
 * @param tokensPerExpertMin minimum over experts, mean over groups
 * @param tokensPerExpertMean mean over experts, mean over groups
 * @param tokensPerExpertMax maximum over experts, mean over groups
 * @param tokensPerExpertCv coefficient of variation (population std / mean) over experts, mean over
 *     groups
 * @param slotFillRatio fraction of the E*C slots that hold a token
 * @param expertsPerTokenMin minimum over tokens of the experts a token reaches, mean over groups
 * @param expertsPerTokenMean mean over tokens, mean over groups
 * @param expertsPerTokenMax maximum over tokens, mean over groups
 * @param gateEntropy mean over tokens of the entropy (nats) of the gates G[s,:] (Soft MoE: of
 *     Cmb[s,:,:])
 * @param auxLoss the weighted auxiliary loss (0 where the router has none)
 */
public record RoutingMetrics(
    double droppedFraction,
    double underKFraction,
    double[] tokensPerExpert,
    double tokensPerExpertMin,
    double tokensPerExpertMean,
    double tokensPerExpertMax,
    double tokensPerExpertCv,
    double slotFillRatio,
    double expertsPerTokenMin,
    double expertsPerTokenMean,
    double expertsPerTokenMax,
    double gateEntropy,
    double auxLoss) {

  /** The metrics as JSON-ready snake_case entries, in a stable order. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dropped_fraction", droppedFraction);
    m.put("under_k_fraction", underKFraction);
    m.put("tokens_per_expert", java.util.Arrays.stream(tokensPerExpert).boxed().toList());
    m.put("tokens_per_expert_min", tokensPerExpertMin);
    m.put("tokens_per_expert_mean", tokensPerExpertMean);
    m.put("tokens_per_expert_max", tokensPerExpertMax);
    m.put("tokens_per_expert_cv", tokensPerExpertCv);
    m.put("slot_fill_ratio", slotFillRatio);
    m.put("experts_per_token_min", expertsPerTokenMin);
    m.put("experts_per_token_mean", expertsPerTokenMean);
    m.put("experts_per_token_max", expertsPerTokenMax);
    m.put("gate_entropy", gateEntropy);
    m.put("aux_loss", auxLoss);
    return m;
  }

  /**
   * The element-wise mean of several metrics of the same layer (e.g. over the batches of a test
   * set).
   */
  public static RoutingMetrics mean(List<RoutingMetrics> all) {
    if (all.isEmpty()) {
      throw new IllegalArgumentException("no routing metrics to average");
    }
    int n = all.size();
    double[] perExpert = new double[all.get(0).tokensPerExpert.length];
    double[] f = new double[12];
    for (RoutingMetrics r : all) {
      double[] v = {
        r.droppedFraction,
        r.underKFraction,
        r.tokensPerExpertMin,
        r.tokensPerExpertMean,
        r.tokensPerExpertMax,
        r.tokensPerExpertCv,
        r.slotFillRatio,
        r.expertsPerTokenMin,
        r.expertsPerTokenMean,
        r.expertsPerTokenMax,
        r.gateEntropy,
        r.auxLoss
      };
      for (int i = 0; i < f.length; i++) {
        f[i] += v[i] / n;
      }
      for (int e = 0; e < perExpert.length; e++) {
        perExpert[e] += r.tokensPerExpert[e] / n;
      }
    }
    return new RoutingMetrics(
        f[0], f[1], perExpert, f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11]);
  }

  /** Accumulates per-group statistics, then averages them over groups. */
  static final class Accumulator {
    private final int experts;
    private final int k;
    private final double[] perExpert;
    private final double[] sums = new double[10];
    private double entropySum;
    private int groups;

    Accumulator(int experts, int k) {
      this.experts = experts;
      this.k = k;
      this.perExpert = new double[experts];
    }

    /**
     * Adds one group.
     *
     * @param tokensPerExpert length E
     * @param expertsPerToken length S
     * @param filledSlots slots holding a token, out of {@code slots}
     * @param slots E*C
     * @param entropy mean gate entropy of the group's tokens
     */
    void addGroup(
        double[] tokensPerExpert,
        double[] expertsPerToken,
        double filledSlots,
        int slots,
        double entropy) {
      double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0, sq = 0;
      for (int e = 0; e < experts; e++) {
        double t = tokensPerExpert[e];
        perExpert[e] += t;
        min = Math.min(min, t);
        max = Math.max(max, t);
        sum += t;
        sq += t * t;
      }
      double mean = sum / experts;
      double std = Math.sqrt(Math.max(0, sq / experts - mean * mean));
      double tMin = Double.POSITIVE_INFINITY, tMax = Double.NEGATIVE_INFINITY, tSum = 0;
      int dropped = 0, underK = 0;
      for (double n : expertsPerToken) {
        tMin = Math.min(tMin, n);
        tMax = Math.max(tMax, n);
        tSum += n;
        dropped += n == 0 ? 1 : 0;
        underK += n < k ? 1 : 0;
      }
      int s = expertsPerToken.length;
      double[] v = {
        (double) dropped / s,
        (double) underK / s,
        min,
        mean,
        max,
        mean > 0 ? std / mean : 0,
        filledSlots / slots,
        tMin,
        tSum / s,
        tMax
      };
      for (int i = 0; i < v.length; i++) {
        sums[i] += v[i];
      }
      entropySum += entropy;
      groups++;
    }

    /** The averages over the groups added so far. */
    RoutingMetrics build(double auxLoss) {
      double[] a = new double[sums.length];
      for (int i = 0; i < a.length; i++) {
        a[i] = sums[i] / groups;
      }
      double[] pe = perExpert.clone();
      for (int e = 0; e < experts; e++) {
        pe[e] /= groups;
      }
      return new RoutingMetrics(
          a[0],
          a[1],
          pe,
          a[2],
          a[3],
          a[4],
          a[5],
          a[6],
          a[7],
          a[8],
          a[9],
          entropySum / groups,
          auxLoss);
    }
  }

  /** Entropy in nats of a probability row (zero entries contribute 0). */
  static double entropy(double[] p) {
    double h = 0;
    for (double q : p) {
      if (q > 0) {
        h -= q * Math.log(q);
      }
    }
    return h;
  }
}
