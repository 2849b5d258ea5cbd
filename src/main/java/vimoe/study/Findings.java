package vimoe.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterInfo;
import vimoe.moe.routing.Routers;

/**
 * The paper's three claims (arXiv 2401.15969), each a paired difference of test accuracy over
 * seeds: (i) routers from language modelling work in vision: the mean of every MoE router minus
 * dense; (ii) Expert Choice beats Token Choice: EC minus TC of the same score (the registry's
 * {@link RouterInfo#scoreId()}: softmax, Sinkhorn, sparse OT, ...), averaged over the scores; (iii)
 * Soft MoE beats sparse MoE at fixed compute: soft minus the mean of the six sparse routers. Each
 * difference is taken per seed first, so seed-to-seed variation shared by both sides cancels. The
 * comparisons a user declares ({@code --compare A>B}, {@link #declared}) are tested the same way.
 */
public final class Findings {
  /** Claim (i). */
  public static final String MOE_VS_DENSE = "MoE routers beat the dense baseline";

  /** Claim (ii). */
  public static final String EC_VS_TC = "Expert Choice beats Token Choice";

  /** Claim (iii). */
  public static final String SOFT_VS_SPARSE = "Soft MoE beats sparse MoE at equal compute";

  private Findings() {}

  /**
   * The three findings at one grid point.
   *
   * @param accuracy per router, test accuracy per seed
   * @param point the grid point's label
   */
  public static List<Finding> of(Map<String, Map<Long, Double>> accuracy, String point) {
    List<Finding> out = new ArrayList<>();
    Map<Long, Double> dense = accuracy.get("dense");
    List<Map<Long, Double>> moe = new ArrayList<>(), sparse = new ArrayList<>();
    accuracy.forEach(
        (router, values) -> {
          if (!router.equals("dense")) {
            moe.add(values);
            if (Routers.info(router).family() != Family.SOFT) {
              sparse.add(values);
            }
          }
        });
    out.add(
        dense == null || moe.isEmpty()
            ? missing(MOE_VS_DENSE, "needs dense and at least one MoE router", point, false)
            : finding(
                MOE_VS_DENSE,
                Stats.paired(Stats.meanPerSeed(moe), dense),
                moe.size() + " MoE router" + (moe.size() == 1 ? "" : "s") + " (mean) minus dense",
                point,
                false));
    List<Map<Long, Double>> ecMinusTc = new ArrayList<>();
    List<String> scores = new ArrayList<>();
    for (String score : scores()) {
      Map<Long, Double> ec = of(accuracy, score, Family.EXPERT_CHOICE);
      Map<Long, Double> tc = of(accuracy, score, Family.TOKEN_CHOICE);
      if (ec != null && tc != null) {
        ecMinusTc.add(toMap(ec, tc));
        scores.add(score);
      }
    }
    out.add(
        ecMinusTc.isEmpty()
            ? missing(EC_VS_TC, "needs an EC and a TC router of the same score", point, false)
            : finding(
                EC_VS_TC,
                values(Stats.meanPerSeed(ecMinusTc)),
                "EC minus TC, paired by score (" + String.join(", ", scores) + ")",
                point,
                false));
    Map<Long, Double> soft = accuracy.get("soft");
    out.add(
        soft == null || sparse.isEmpty()
            ? missing(SOFT_VS_SPARSE, "needs soft and at least one sparse router", point, false)
            : finding(
                SOFT_VS_SPARSE,
                Stats.paired(soft, Stats.meanPerSeed(sparse)),
                "soft minus the mean of "
                    + sparse.size()
                    + " sparse router"
                    + (sparse.size() == 1 ? "" : "s"),
                point,
                false));
    return out;
  }

  /** The scores of the registry's sparse routers, in registry order. */
  private static List<String> scores() {
    return Routers.all().stream()
        .map(RouterInfo::scoreId)
        .filter(Objects::nonNull)
        .distinct()
        .toList();
  }

  /** The accuracy of the registry's first router of a score and family, or {@code null}. */
  private static Map<Long, Double> of(
      Map<String, Map<Long, Double>> accuracy, String score, Family family) {
    for (RouterInfo info : Routers.all()) {
      if (score.equals(info.scoreId()) && info.family() == family) {
        return accuracy.get(info.name());
      }
    }
    return null;
  }

  private static Map<Long, Double> toMap(Map<Long, Double> a, Map<Long, Double> b) {
    Map<Long, Double> out = new java.util.TreeMap<>();
    for (Map.Entry<Long, Double> e : a.entrySet()) {
      if (b.containsKey(e.getKey())) {
        out.put(e.getKey(), e.getValue() - b.get(e.getKey()));
      }
    }
    return out;
  }

  private static double[] values(Map<Long, Double> m) {
    return m.values().stream().mapToDouble(Double::doubleValue).toArray();
  }

  /**
   * The declared comparisons at one grid point, each a finding as the paper's claims are: {@code
   * better - worse} per seed both finished, then the t interval over seeds; "not tested" when
   * either side has no finished run.
   *
   * @param accuracy per grid entry (routers and variants), test accuracy per seed
   * @param comparisons the declared comparisons
   * @param point the grid point's label
   */
  public static List<Finding> declared(
      Map<String, Map<Long, Double>> accuracy, List<Comparison> comparisons, String point) {
    List<Finding> out = new ArrayList<>();
    for (Comparison c : comparisons) {
      Map<Long, Double> a = accuracy.get(c.better()), b = accuracy.get(c.worse());
      out.add(
          a == null || b == null
              ? missing(
                  c.claim(),
                  "needs finished runs of "
                      + (a == null ? c.better() : "")
                      + (a == null && b == null ? " and " : "")
                      + (b == null ? c.worse() : ""),
                  point,
                  true)
              : finding(
                  c.claim(),
                  Stats.paired(a, b),
                  c.better() + " minus " + c.worse() + ", paired by seed",
                  point,
                  true));
    }
    return out;
  }

  /** A claim tested on its paired differences; {@code declared}: a user's --compare. */
  private static Finding finding(
      String claim, double[] differences, String compared, String point, boolean declared) {
    Estimate e = Stats.difference(differences);
    String verdict = Stats.verdict(e);
    double sd = Stats.sd(differences);
    return new Finding(
        claim,
        e.mean(),
        e.ci95(),
        verdict,
        e.n(),
        compared,
        point,
        nullable(sd),
        nullable(Stats.minimumDetectableEffect(sd, e.n())),
        verdict.equals(Stats.INCONCLUSIVE) && e.mean() != null
            ? Stats.seedsToResolve(e.mean(), sd)
            : null,
        declared);
  }

  private static Double nullable(double v) {
    return Double.isNaN(v) ? null : v;
  }

  private static Finding missing(String claim, String why, String point, boolean declared) {
    return new Finding(
        claim,
        null,
        null,
        Stats.NOT_TESTED,
        0,
        "not measured: " + why,
        point,
        null,
        null,
        null,
        declared);
  }

  /**
   * The finding as one sentence, e.g. "Expert Choice beats Token Choice: holds (+0.52 points, 95%
   * CI ...)".
   */
  public static String sentence(Finding f) {
    String where = f.point().isEmpty() ? "" : " [" + f.point() + "]";
    if (f.estimate() == null) {
      return f.claim() + where + ": " + f.verdict() + " (" + f.compared() + ").";
    }
    String ci =
        f.ci95() == null
            ? "no interval from " + f.n() + " seed"
            : String.format(
                java.util.Locale.ROOT,
                "95%% CI %+.2f to %+.2f, %d seeds",
                100 * f.ci95().get(0),
                100 * f.ci95().get(1),
                f.n());
    return String.format(
            java.util.Locale.ROOT,
            "%s%s: %s (%s: %+.2f points of test accuracy, %s).",
            f.claim(),
            where,
            f.verdict(),
            f.compared(),
            100 * f.estimate(),
            ci)
        + power(f);
  }

  /**
   * What the finding can resolve, e.g. " With 3 seeds it resolves differences of 0.31 points (80%
   * power, two-sided 5%); a difference of 0.12 points needs about 14 seeds."; empty without an
   * interval.
   */
  static String power(Finding f) {
    if (f.minimumDetectableEffect() == null) {
      return f.estimate() == null ? "" : " One seed gives no interval: run at least 2.";
    }
    String out =
        String.format(
            java.util.Locale.ROOT,
            " With %d seeds it resolves differences of %.2f points (80%% power, two-sided 5%%)",
            f.n(),
            100 * f.minimumDetectableEffect());
    if (!f.verdict().equals(Stats.INCONCLUSIVE)) {
      return out + ".";
    }
    String effect = String.format(java.util.Locale.ROOT, "%.2f", 100 * Math.abs(f.estimate()));
    if (f.estimate() == 0) {
      return out + "; the observed difference is 0.";
    }
    return out
        + "; a difference of "
        + effect
        + " points needs "
        + (f.seedsToResolve() == null
            ? String.format(java.util.Locale.ROOT, "more than %,d seeds", Stats.MAX_SEEDS)
            : "about " + f.seedsToResolve() + " seeds")
        + ".";
  }

  /**
   * The ranking as one line per grid point, e.g. "Ranking (Holm-adjusted, all pairs): 1. softmax-ec
   * 81.20%, 1. dense 80.90%, 3. softmax-tc 79.10% (equal ranks: not separated)".
   */
  public static List<String> rankingLines(List<RouterRank> ranking) {
    Map<String, List<String>> byPoint = new java.util.LinkedHashMap<>();
    for (RouterRank r : ranking) {
      byPoint
          .computeIfAbsent(r.point(), p -> new ArrayList<>())
          .add(
              r.rank()
                  + ". "
                  + r.router()
                  + (r.testAccuracy() == null
                      ? ""
                      : String.format(java.util.Locale.ROOT, " %.2f%%", 100 * r.testAccuracy())));
    }
    List<String> out = new ArrayList<>();
    byPoint.forEach(
        (point, entries) ->
            out.add(
                "Ranking"
                    + (point.isEmpty() ? "" : " [" + point + "]")
                    + " (all pairs, Holm-adjusted; equal ranks: not separated): "
                    + String.join(", ", entries)));
    return out;
  }
}
