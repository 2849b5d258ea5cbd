package vimoe.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RoutingViews;
import vimoe.study.report.Charts;
import vimoe.study.report.Figure;

/**
 * The report's per-family routing figures ({@link RoutingViews}), one per family and MoE block:
 * Token Choice load before and after capacity, Expert Choice experts per token, Soft MoE slot
 * concentration. They say what the expert-load map cannot, which is uniform by construction for
 * Expert Choice and Soft MoE.
 */
final class RoutingViewFigures {
  private RoutingViewFigures() {}

  /**
   * The header note of a study whose MoE runs did not all record the views (evaluated before they
   * existed), or null when every MoE result has them.
   */
  static String missingNote(List<RouterResult> rows) {
    boolean missing =
        rows.stream().anyMatch(x -> !x.expertLoad().isEmpty() && x.routingViews() == null);
    return missing
        ? "Per-family routing views (load before and after capacity, experts per token, slot "
            + "concentration) are left out for routers whose runs were evaluated before they were "
            + "recorded: evaluate the runs again with this version to see them"
        : null;
  }

  /** The figures of every family present in {@code rows}, per MoE block. */
  static List<Figure> of(List<RouterResult> rows) {
    List<RouterResult> with =
        rows.stream().filter(x -> x.routingViews() != null && !x.routingViews().isEmpty()).toList();
    List<Figure> out = new ArrayList<>();
    if (with.isEmpty()) {
      return out;
    }
    for (int l = 0; l < with.get(0).moeBlocks().size(); l++) {
      int block = with.get(0).moeBlocks().get(l);
      Figure tc = tokenChoice(layer(with, l, Family.TOKEN_CHOICE), l, block);
      Figure ec = expertChoice(layer(with, l, Family.EXPERT_CHOICE), l, block);
      Figure soft = soft(layer(with, l, Family.SOFT), l, block);
      for (Figure f : new Figure[] {tc, ec, soft}) {
        if (f != null) {
          out.add(f);
        }
      }
    }
    return out;
  }

  private static List<RouterResult> layer(List<RouterResult> rows, int layer, Family family) {
    return rows.stream()
        .filter(
            x ->
                x.routingViews().size() > layer
                    && x.routingViews().get(layer) != null
                    && x.routingViews().get(layer).family() == family)
        .toList();
  }

  private static String label(RouterResult x) {
    return x.point().isEmpty() ? x.router() : x.router() + " " + x.point();
  }

  private static Figure tokenChoice(List<RouterResult> rows, int layer, int block) {
    List<RouterResult> same = sameLength(rows, layer, RoutingViews::requested);
    if (same.isEmpty()) {
      return null;
    }
    int experts = same.get(0).routingViews().get(layer).requested().length;
    List<String> rowLabels = new ArrayList<>();
    List<double[]> values = new ArrayList<>();
    double max = 200;
    for (RouterResult x : same) {
      RoutingViews v = x.routingViews().get(layer);
      for (boolean before : new boolean[] {true, false}) {
        double[] counts = before ? v.requested() : v.granted();
        double[] pct = new double[experts];
        for (int e = 0; e < experts; e++) {
          pct[e] = 100 * counts[e] / v.capacity();
          max = Math.max(max, pct[e]);
        }
        rowLabels.add(label(x) + (before ? ": requested" : ": granted"));
        values.add(pct);
      }
    }
    double upper = Math.ceil(max / 10) * 10;
    return new Figure(
        "token-choice-load-block" + block,
        "Token Choice, block "
            + block
            + ": each expert's load before capacity (requested: tokens among whose K choices it is) "
            + "and after (granted: tokens it holds), as % of its capacity C, mean over the test "
            + "set's routing groups and over seeds. A requested cell above 100% is an expert that "
            + "turned tokens away (they were dropped or lost a choice); granted never exceeds 100%. "
            + "The colour scale runs from 0 to "
            + String.format(Locale.ROOT, "%.0f", upper)
            + "%",
        Charts.heatmap(
            "Token Choice load before / after capacity, block " + block,
            rowLabels,
            columns("e", experts, 0),
            values.toArray(double[][]::new),
            "% of capacity C",
            0,
            upper));
  }

  private static Figure expertChoice(List<RouterResult> rows, int layer, int block) {
    List<RouterResult> same = sameLength(rows, layer, RoutingViews::expertsPerToken);
    if (same.isEmpty()) {
      return null;
    }
    int bins = same.get(0).routingViews().get(layer).expertsPerToken().length;
    return new Figure(
        "expert-choice-experts-per-token-block" + block,
        "Routers whose tokens may reach 0 to E experts (Expert Choice, Global Choice, ReLU"
            + " routing), block "
            + block
            + ": share of the test tokens that reached 0, 1, ..., E experts (each row sums to "
            + "100%), mean over seeds. Column 0 holds the tokens no expert took (dropped); "
            + "columns above 1 are tokens several experts took. Every Expert Choice expert takes C"
            + " tokens, so its load is balanced by construction and this spread is where the"
            + " router's choices show",
        Charts.heatmap(
            "Tokens by the number of experts they reached, block " + block,
            same.stream().map(RoutingViewFigures::label).toList(),
            columns("", bins, 0),
            same.stream()
                .map(x -> scaled(x.routingViews().get(layer).expertsPerToken()))
                .toArray(double[][]::new),
            "% of tokens",
            0,
            100));
  }

  private static Figure soft(List<RouterResult> rows, int layer, int block) {
    List<RouterResult> same = sameLength(rows, layer, RoutingViews::slotEffectiveTokens);
    if (same.isEmpty()) {
      return null;
    }
    RoutingViews first = same.get(0).routingViews().get(layer);
    int bins = first.slotEffectiveTokens().length;
    List<String> columns = new ArrayList<>();
    for (int b = 0; b < bins; b++) {
      columns.add(100 * b / bins + "-" + 100 * (b + 1) / bins + "%");
    }
    StringBuilder means = new StringBuilder();
    for (RouterResult x : same) {
      RoutingViews v = x.routingViews().get(layer);
      means.append(
          String.format(
              Locale.ROOT,
              "%s%s %.1f of S = %d",
              means.length() == 0 ? "" : "; ",
              label(x),
              v.slotEffectiveTokensMean(),
              v.tokens()));
    }
    return new Figure(
        "soft-slot-concentration-block" + block,
        "Soft MoE, block "
            + block
            + ": how many tokens each slot mixes. For each slot, exp(H) of its dispatch weights "
            + "over the S tokens of its group (H the entropy) is its effective number of tokens: 1 "
            + "when one token takes all the weight, S when all tokens weigh the same. The columns "
            + "bin exp(H) as % of S; cells are the share of slots (each row sums to 100%), mean over "
            + "the test set and seeds. Mean effective tokens per slot: "
            + means,
        Charts.heatmap(
            "Soft MoE: slots by effective tokens exp(H) as % of S, block " + block,
            same.stream().map(RoutingViewFigures::label).toList(),
            columns,
            same.stream()
                .map(x -> scaled(x.routingViews().get(layer).slotEffectiveTokens()))
                .toArray(double[][]::new),
            "% of slots",
            0,
            100));
  }

  /** The rows whose field has the length of the first row's. */
  private static List<RouterResult> sameLength(
      List<RouterResult> rows, int layer, Function<RoutingViews, double[]> field) {
    List<RouterResult> with =
        rows.stream().filter(x -> field.apply(x.routingViews().get(layer)) != null).toList();
    if (with.isEmpty()) {
      return with;
    }
    int n = field.apply(with.get(0).routingViews().get(layer)).length;
    return with.stream().filter(x -> field.apply(x.routingViews().get(layer)).length == n).toList();
  }

  private static List<String> columns(String prefix, int n, int from) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(prefix + (from + i));
    }
    return out;
  }

  private static double[] scaled(double[] shares) {
    return java.util.Arrays.stream(shares).map(v -> 100 * v).toArray();
  }
}
