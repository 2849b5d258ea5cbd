package vimoe.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import vimoe.data.Corruptions;
import vimoe.study.report.Charts;
import vimoe.study.report.Figure;
import vimoe.study.report.Page;
import vimoe.study.report.Pages;
import vimoe.study.report.RoutingPictures;
import vimoe.study.report.Table;

/**
 * The report of a study ({@code report.html}, {@code report.md}, {@code figures/}): the setup, the
 * findings in one sentence each, the tables, then the figures.
 */
public final class StudyReport {
  private StudyReport() {}

  /** Builds the report of {@code results} and writes it into {@code dir}. */
  public static void write(StudyResults results, Path dir) throws IOException {
    Pages.write(page(results, dir), dir);
  }

  /**
   * The report's page; the routing pictures read the runs' {@code study-eval.json} in {@code dir}.
   */
  static Page page(StudyResults r, Path dir) throws IOException {
    StudySpec s = r.spec();
    List<String> findings = r.findings().stream().map(Findings::sentence).toList();
    List<Table> tables = new ArrayList<>();
    tables.add(accuracyTable(r));
    tables.add(costTable(r));
    Table capacity = capacityTable(r);
    if (capacity != null) {
      tables.add(capacity);
    }
    tables.add(findingsTable(r));
    if (!r.pairs().isEmpty()) {
      tables.add(rankingTable(r));
      tables.add(pairsTable(r));
    }
    if (!r.unfinished().isEmpty()) {
      tables.add(
          new Table(
              "Runs not finished yet (left out of every number above)",
              List.of("run"),
              r.unfinished().stream().map(List::of).toList()));
    }
    List<String> header = new ArrayList<>(header(r, dir));
    String missing = RoutingViewFigures.missingNote(r.results());
    if (missing != null) {
      header.add(missing);
    }
    return new Page(
        "Routers head to head: " + s.routers().size() + " routers, " + s.seeds() + " seeds",
        header,
        findings,
        tables,
        figures(r, dir));
  }

  private static List<String> header(StudyResults r, Path dir) throws IOException {
    StudySpec s = r.spec();
    StudySettings set = r.settings();
    List<String> h = new ArrayList<>();
    RunExtras sizes = firstExtras(r, dir);
    String images =
        sizes == null || sizes.trainImages() == 0
            ? (s.trainLimit() > 0
                    ? "at most the first " + s.trainLimit() + " training images"
                    : "all training images")
                + String.format(
                    Locale.ROOT, ", %,d of them held out for validation", s.validationSize())
            : String.format(
                Locale.ROOT,
                "%,d training images, %,d held out for validation, %,d test images",
                sizes.trainImages(),
                sizes.validationImages(),
                sizes.testImages());
    List<String> changed = set != null ? set.changed() : StudySettings.changed(s);
    h.add(
        "Preset `"
            + s.preset()
            + "`"
            + (changed.isEmpty()
                ? " as it is."
                : ", changed by options: " + String.join("; ", changed) + ".")
            + " Every value used is in study.json (settings).");
    JsonNode t = set == null ? null : set.training();
    if (t != null) {
      h.add(
          String.format(
              Locale.ROOT,
              "Training: %d epoch%s at batch %d on `%s` (%s); AdamW at a peak learning rate of %s, "
                  + "weight decay %s, %s%% linear warm-up then cosine decay, label smoothing %s, "
                  + "gradient norm clipped at %s, random crops padded by %d px%s; seeds 0 to %d.",
              t.path("epochs").asInt(),
              t.path("epochs").asInt() == 1 ? "" : "s",
              t.path("batch_size").asInt(),
              s.dataset(),
              images,
              GridPoint.number(t.path("learning_rate").asDouble()),
              GridPoint.number(t.path("weight_decay").asDouble()),
              GridPoint.number(100 * t.path("warmup_fraction").asDouble()),
              GridPoint.number(t.path("label_smoothing").asDouble()),
              GridPoint.number(t.path("clip_norm").asDouble()),
              t.path("pad").asInt(),
              t.path("flip").asBoolean() ? ", horizontal flips" : "",
              s.seeds() - 1));
    } else {
      h.add(
          String.format(
              Locale.ROOT,
              "Training: %d epochs on `%s` (%s); seeds 0 to %d (the recipe's other values were not "
                  + "recorded by the version that started this study).",
              s.epochs(),
              s.dataset(),
              images,
              s.seeds() - 1));
    }
    JsonNode m =
        set == null
            ? null
            : set.models().values().stream()
                .filter(x -> !x.path("router").path("name").asText().equals("dense"))
                .findFirst()
                .orElse(set.models().values().stream().findFirst().orElse(null));
    if (m != null) {
      h.add(
          String.format(
              Locale.ROOT,
              "Model `%s`: %dx%d images with %d channel%s in patches of %d, width %d, depth %d, %d heads, "
                  + "MLP width %d, %s pooling; MoE layers `%s` of %d experts with hidden width %d, "
                  + "routed in groups of %d image%s.",
              s.model().variant(),
              m.path("image_size").asInt(),
              m.path("image_size").asInt(),
              m.path("channels").asInt(),
              m.path("channels").asInt() == 1 ? "" : "s",
              m.path("patch_size").asInt(),
              m.path("width").asInt(),
              m.path("depth").asInt(),
              m.path("heads").asInt(),
              m.path("mlp_dim").asInt(),
              m.path("pooling").asText().toLowerCase(Locale.ROOT),
              m.path("moe_layers").asText(),
              m.path("experts").asInt(),
              m.path("expert_hidden").asInt(),
              m.path("group_images").asInt(),
              m.path("group_images").asInt() == 1 ? "" : "s"));
    }
    h.add(compute(r));
    if (!s.sweeps().isEmpty()) {
      List<String> sw = new ArrayList<>();
      s.sweeps()
          .forEach(
              (k, v) ->
                  sw.add(
                      k + " = " + String.join(", ", v.stream().map(GridPoint::number).toList())));
      h.add(
          "Swept: "
              + String.join("; ", sw)
              + " (dense does not depend on them: one dense run per seed "
              + "serves every grid point).");
    }
    if (!s.variants().isEmpty()) {
      h.add(
          "Variants, each a grid entry of its own with the study's router options and then its"
              + " own: "
              + String.join(
                  "; ",
                  s.variants().stream()
                      .map(
                          v ->
                              "`"
                                  + v.name()
                                  + "` = `"
                                  + v.router()
                                  + "`"
                                  + (v.options().isEmpty()
                                      ? " (no options of its own)"
                                      : " with `" + v.optionsText() + "`"))
                      .toList())
              + ". They are in every table, figure, the ranking and all pairs; the paper's three"
              + " claims compare the registry's routers only.");
    }
    if (!s.comparisons().isEmpty()) {
      h.add(
          "Declared comparisons, each tested as the paper's claims are (a paired t interval on its"
              + " own, not adjusted for the other pairs): "
              + String.join(", ", s.comparisons().stream().map(Comparison::claim).toList())
              + ".");
    }
    h.add(
        String.format(
            Locale.ROOT,
            "Accuracies are means over seeds with 95%% intervals: Student t with n - 1 degrees of "
                + "freedom on the logit scale, so that they stay within 0 to 100%%; with few seeds they "
                + "are wide, so every seed's value is listed too. A claim is a paired difference per seed "
                + "(t interval clipped to ±100 points); it holds or is reversed only when its interval "
                + "excludes 0, and is \"not tested\" when the study lacks the routers it compares. "
                + "Every pair of routers is compared too, Holm-adjusted for the number of pairs. "
                + "Robustness: additive Gaussian noise of %.2f of the pixel range, and a rotation by %.0f "
                + "degrees.",
            Corruptions.STUDY_NOISE_STD,
            Corruptions.STUDY_ROTATION_DEGREES));
    h.add(
        r.finished().size()
            + " runs finished"
            + (r.unfinished().isEmpty()
                ? ""
                : ", " + r.unfinished().size() + " not finished (listed at the end)")
            + "; versions "
            + r.versions()
            + "; machine "
            + r.machine()
            + ".");
    return h;
  }

  /**
   * The compute statement: every router's FLOPs per image, grouped where equal, and why Soft MoE's
   * differ (docs/routing.md: its logits and its dispatch and combine are dense products).
   */
  static String compute(StudyResults r) {
    Map<Long, List<String>> byFlops = new LinkedHashMap<>();
    for (RouterResult x : r.results()) {
      List<String> names = byFlops.computeIfAbsent(x.flopsPerImage(), k -> new ArrayList<>());
      if (!names.contains(x.router())) {
        names.add(x.router());
      }
    }
    List<String> parts = new ArrayList<>();
    byFlops.forEach(
        (flops, names) ->
            parts.add(
                String.join(", ", names.stream().map(n -> "`" + n + "`").toList())
                    + String.format(Locale.ROOT, " %.1f M", flops / 1e6)));
    boolean soft = r.results().stream().anyMatch(x -> r.spec().routerOf(x.router()).equals("soft"));
    long moeValues =
        r.results().stream()
            .filter(x -> !x.router().equals("dense"))
            .mapToLong(RouterResult::flopsPerImage)
            .distinct()
            .count();
    return "Forward FLOPs per image: "
        + String.join("; ", parts)
        + ". Every MoE router has the same E*C expert slots per group (Soft MoE: P = C slots per "
        + "expert; Expert Choice: C tokens per expert), so the experts do the same work"
        + (moeValues <= 1
            ? "."
            : "; the totals differ by the routing itself"
                + (soft
                    ? ": Soft MoE computes a logit for every (token, slot) pair (2*S*D*E*C instead of "
                        + "2*S*D*E) and dispatches and combines by two dense products of 2*S*E*C*D, "
                        + "where the sparse routers move tokens by index."
                    : " (Token Choice weights at most S*K slots, Expert Choice all E*C)."));
  }

  private static Table accuracyTable(StudyResults r) {
    List<List<String>> rows = new ArrayList<>();
    boolean swept = !r.spec().sweeps().isEmpty();
    for (RouterResult x : r.results()) {
      List<String> row = new ArrayList<>(List.of("`" + x.router() + "`"));
      if (swept) {
        row.add(x.point().isEmpty() ? "all" : x.point());
      }
      row.addAll(
          List.of(
              Integer.toString(x.n()),
              withCi(x.testAccuracy()),
              perSeed(x.testAccuracy()),
              withCi(x.tenShotAccuracy()),
              perSeed(x.tenShotAccuracy()),
              withCi(x.noiseAccuracy()),
              withCi(x.rotationAccuracy())));
      rows.add(row);
    }
    List<String> columns = new ArrayList<>(List.of("router"));
    if (swept) {
      columns.add("grid point");
    }
    columns.addAll(
        List.of(
            "seeds",
            "test accuracy [95% CI]",
            "test accuracy per seed",
            "10-shot accuracy [95% CI]",
            "10-shot per seed",
            "with noise [95% CI]",
            "rotated [95% CI]"));
    return new Table("Accuracy per router: means over seeds, and every seed", columns, rows);
  }

  private static Table costTable(StudyResults r) {
    List<List<String>> rows = new ArrayList<>();
    boolean swept = !r.spec().sweeps().isEmpty();
    for (RouterResult x : r.results()) {
      List<String> row = new ArrayList<>(List.of("`" + x.router() + "`"));
      if (swept) {
        row.add(x.point().isEmpty() ? "all" : x.point());
      }
      row.addAll(
          List.of(
              String.format(Locale.ROOT, "%.1f M", x.flopsPerImage() / 1e6),
              String.format(Locale.ROOT, "%,d / %,d", x.parametersTotal(), x.parametersActive()),
              number(x.trainingImagesPerSecond(), "%.0f"),
              number(x.inferenceImagesPerSecond(), "%.0f"),
              x.droppedFraction() == null ? "-" : percent(x.droppedFraction()),
              number(x.expertLoadCv(), "%.3f"),
              number(x.expertsPerToken(), "%.2f")));
      rows.add(row);
    }
    List<String> columns = new ArrayList<>(List.of("router"));
    if (swept) {
      columns.add("grid point");
    }
    columns.addAll(
        List.of(
            "FLOPs per image",
            "parameters (total / active)",
            "training images/s*",
            "inference images/s*",
            "dropped tokens",
            "expert load CV",
            "experts per token"));
    return new Table(
        "Cost and routing per router, means over seeds (*measured while the study ran, one run after "
            + "another on this machine: not a benchmark; compare speeds with `vimoe bench`)",
        columns,
        rows);
  }

  private static Table capacityTable(StudyResults r) {
    List<RouterResult> sparse = r.results().stream().filter(x -> !x.capacity().isEmpty()).toList();
    if (sparse.isEmpty()) {
      return null;
    }
    int most = sparse.stream().mapToInt(x -> x.capacity().size()).max().orElse(0);
    List<String> columns = new ArrayList<>(List.of("router", "grid point"));
    for (int i = 0; i < most; i++) {
      columns.add(i == 0 ? "at the trained factor" : "evaluated at factor #" + (i + 1));
    }
    List<List<String>> rows = new ArrayList<>();
    for (RouterResult x : sparse) {
      List<String> row =
          new ArrayList<>(List.of("`" + x.router() + "`", x.point().isEmpty() ? "-" : x.point()));
      for (int i = 0; i < most; i++) {
        if (i < x.capacity().size()) {
          RouterResult.CapacityResult c = x.capacity().get(i);
          row.add(
              "CF "
                  + GridPoint.number(c.capacityFactor())
                  + (c.trained() ? " (trained)" : "")
                  + ": "
                  + withCi(c.testAccuracy()));
        } else {
          row.add("-");
        }
      }
      rows.add(row);
    }
    return new Table(
        "Test accuracy of the sparse routers evaluated at other capacity factors (the same "
            + "weights; V-MoE trains at a low factor and evaluates at a larger one)",
        columns,
        rows);
  }

  private static Table findingsTable(StudyResults r) {
    List<List<String>> rows = new ArrayList<>();
    for (Finding f : r.findings()) {
      rows.add(
          List.of(
              f.claim() + (f.point().isEmpty() ? "" : " [" + f.point() + "]"),
              f.compared(),
              f.estimate() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%+.2f points", 100 * f.estimate()),
              f.ci95() == null
                  ? "-"
                  : String.format(
                      Locale.ROOT, "[%+.2f, %+.2f]", 100 * f.ci95().get(0), 100 * f.ci95().get(1)),
              Integer.toString(f.n()),
              f.verdict(),
              f.sd() == null ? "-" : String.format(Locale.ROOT, "%.2f points", 100 * f.sd()),
              f.minimumDetectableEffect() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.2f points", 100 * f.minimumDetectableEffect()),
              f.seedsToResolve() == null ? "-" : "about " + f.seedsToResolve()));
    }
    return new Table(
        (r.spec().comparisons().isEmpty()
                ? "The paper's claims"
                : "The paper's claims (over the registry's routers) and the declared comparisons"
                    + " (--compare)")
            + " as paired differences of test accuracy (per seed first, then over seeds);"
            + " detectable: the smallest true difference these seeds find with 80% power at a"
            + " two-sided 5% level, (t(0.975, n-1) + t(0.8, n-1)) SD / sqrt(n); seeds to resolve:"
            + " the smallest n at which the observed difference is detectable",
        List.of(
            "claim",
            "compared",
            "estimate",
            "95% CI",
            "seeds",
            "verdict",
            "SD of differences",
            "detectable (80% power)",
            "seeds to resolve"),
        rows);
  }

  private static Table rankingTable(StudyResults r) {
    boolean swept = !r.spec().sweeps().isEmpty();
    List<List<String>> rows = new ArrayList<>();
    for (RouterRank x : r.ranking()) {
      List<String> row = new ArrayList<>();
      if (swept) {
        row.add(x.point());
      }
      row.addAll(
          List.of(
              Integer.toString(x.rank()),
              "`" + x.router() + "`",
              percent(x.testAccuracy()),
              x.notSeparatedFrom().isEmpty()
                  ? "-"
                  : String.join(
                      ", ", x.notSeparatedFrom().stream().map(n -> "`" + n + "`").toList())));
      rows.add(row);
    }
    List<String> columns = new ArrayList<>();
    if (swept) {
      columns.add("grid point");
    }
    columns.addAll(List.of("rank", "router", "test accuracy", "not separated from"));
    return new Table(
        "Ranking: 1 + the number of routers significantly better (paired t-tests of all pairs,"
            + " Holm-adjusted); routers the data cannot separate share a rank",
        columns,
        rows);
  }

  private static Table pairsTable(StudyResults r) {
    boolean swept = !r.spec().sweeps().isEmpty();
    List<List<String>> rows = new ArrayList<>();
    for (PairComparison c : r.pairs()) {
      List<String> row = new ArrayList<>();
      if (swept) {
        row.add(c.point());
      }
      row.addAll(
          List.of(
              "`" + c.a() + "` - `" + c.b() + "`",
              Integer.toString(c.n()),
              c.difference() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%+.2f points", 100 * c.difference()),
              interval(c.ci95()),
              c.pValue() == null ? "-" : String.format(Locale.ROOT, "%.4f", c.pValue()),
              c.holmPValue() == null ? "-" : String.format(Locale.ROOT, "%.4f", c.holmPValue()),
              c.adjustedInterval() == null
                  ? "-"
                  : interval(c.adjustedInterval())
                      + String.format(Locale.ROOT, " (%.2f%%)", 100 * c.adjustedConfidence()),
              pairVerdict(c)));
      rows.add(row);
    }
    List<String> columns = new ArrayList<>();
    if (swept) {
      columns.add("grid point");
    }
    columns.addAll(
        List.of(
            "pair",
            "seeds",
            "difference",
            "95% CI (unadjusted)",
            "p (paired t)",
            "p (Holm)",
            "adjusted interval (confidence)",
            "verdict (Holm)"));
    return new Table(
        "All pairs of routers: paired differences of test accuracy; p-values Holm-adjusted over"
            + " the pairs of each grid point, intervals at the confidence of each pair's Holm step"
            + " (an interval excludes 0 exactly when Holm separates the pair); every interval clipped"
            + " to ±100 points, the range of a difference of two accuracies",
        columns,
        rows);
  }

  private static String pairVerdict(PairComparison c) {
    return switch (c.verdict()) {
      case Stats.HOLDS -> "`" + c.a() + "` better";
      case Stats.REVERSED -> "`" + c.b() + "` better";
      default -> "not separated";
    };
  }

  private static String interval(List<Double> ci) {
    return ci == null
        ? "-"
        : String.format(Locale.ROOT, "[%+.2f, %+.2f]", 100 * ci.get(0), 100 * ci.get(1));
  }

  private static List<Figure> figures(StudyResults r, Path dir) throws IOException {
    List<Figure> out = new ArrayList<>();
    List<RouterResult> rows = r.results();
    if (rows.isEmpty()) {
      return out;
    }
    List<String> labels = rows.stream().map(StudyReport::label).toList();
    out.add(
        new Figure(
            "accuracy",
            "Test accuracy per router, mean over seeds with 95% intervals (logit-scale t); the value "
                + "axis is zoomed where the chart says so",
            Charts.barsWithCi(
                "Test accuracy",
                "test accuracy (%)",
                labels,
                rows.stream().mapToDouble(x -> 100 * x.testAccuracy().value()).toArray(),
                rows.stream()
                    .mapToDouble(x -> 100 * orMean(x.testAccuracy().lo(), x.testAccuracy()))
                    .toArray(),
                rows.stream()
                    .mapToDouble(x -> 100 * orMean(x.testAccuracy().hi(), x.testAccuracy()))
                    .toArray(),
                0,
                100)));
    List<PairComparison> tested =
        r.pairs().stream().filter(c -> c.adjustedInterval() != null).toList();
    if (!tested.isEmpty()) {
      out.add(
          new Figure(
              "pairs",
              "Paired difference of test accuracy for every pair of routers, mean over seeds, with"
                  + " Holm-adjusted intervals (a pair is separated when its interval excludes 0),"
                  + " clipped to ±100 points",
              Charts.barsWithCi(
                  "All pairs, Holm-adjusted",
                  "difference in test accuracy (points)",
                  tested.stream()
                      .map(
                          c -> c.a() + " - " + c.b() + (c.point().isEmpty() ? "" : " " + c.point()))
                      .toList(),
                  tested.stream().mapToDouble(c -> 100 * c.difference()).toArray(),
                  tested.stream().mapToDouble(c -> 100 * c.adjustedInterval().get(0)).toArray(),
                  tested.stream().mapToDouble(c -> 100 * c.adjustedInterval().get(1)).toArray())));
    }
    LinkedHashMap<String, double[][]> curves = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      List<Double> c = rows.get(i).validationCurve();
      List<List<Double>> ci = rows.get(i).validationCurveCi95();
      double[][] v = new double[4][c.size()];
      for (int e = 0; e < c.size(); e++) {
        List<Double> band = ci == null || ci.size() <= e ? null : ci.get(e);
        v[0][e] = e + 1;
        v[1][e] = c.get(e) == null ? Double.NaN : 100 * c.get(e);
        v[2][e] = band == null ? Double.NaN : 100 * band.get(0);
        v[3][e] = band == null ? Double.NaN : 100 * band.get(1);
      }
      curves.put(labels.get(i), v);
    }
    out.add(
        new Figure(
            "learning-curves",
            "Validation accuracy after each epoch, mean over seeds; the shaded bands are 95% "
                + "intervals (logit-scale t)",
            Charts.linesWithBands("Learning curves", "epoch", "validation accuracy (%)", curves)));
    out.addAll(speedFigure(rows, StudyThroughput.read(dir)));
    for (Map.Entry<String, List<Double>> sweep : r.spec().sweeps().entrySet()) {
      out.add(sweepFigure(r, sweep.getKey(), sweep.getValue()));
    }
    List<RouterResult> moe = rows.stream().filter(x -> !x.expertLoad().isEmpty()).toList();
    if (!moe.isEmpty()) {
      for (int l = 0; l < moe.get(0).expertLoad().size(); l++) {
        int layer = l;
        List<RouterResult> same =
            moe.stream()
                .filter(
                    x ->
                        x.expertLoad().size() > layer
                            && x.expertLoad().get(layer).length
                                == moe.get(0).expertLoad().get(layer).length)
                .toList();
        int experts = moe.get(0).expertLoad().get(layer).length;
        List<String> columns = new ArrayList<>();
        for (int e = 0; e < experts; e++) {
          columns.add("e" + e);
        }
        double[][] values =
            same.stream()
                .map(
                    x ->
                        java.util.Arrays.stream(x.expertLoad().get(layer))
                            .map(v -> 100 * v)
                            .toArray())
                .toArray(double[][]::new);
        int block = moe.get(0).moeBlocks().get(layer);
        double[] scale = loadScale(values, experts);
        out.add(
            new Figure(
                "expert-load-block" + block,
                "Share of the test tokens each expert processed in "
                    + "block "
                    + block
                    + " (balanced: "
                    + String.format(Locale.ROOT, "%.1f", 100.0 / experts)
                    + "% each), mean over seeds. The colour scale is fixed from 0 to "
                    + String.format(Locale.ROOT, "%.1f", scale[1])
                    + "% (at least twice the balanced share), so the balanced share is always the same "
                    + "colour and rounding noise does not show. Expert Choice and Soft MoE are balanced by "
                    + "construction (each expert takes C tokens, or C slots of dispatch weight); only Token "
                    + "Choice rows can show an imbalance",
                Charts.heatmap(
                    "Expert load, block " + block,
                    same.stream().map(StudyReport::label).toList(),
                    columns,
                    values,
                    "% of tokens",
                    scale[0],
                    scale[1])));
      }
      out.addAll(RoutingViewFigures.of(rows));
      out.add(
          new Figure(
              "dropped-tokens",
              "Fraction of test tokens no expert processed, mean over MoE layers and seeds, with "
                  + "95% intervals over seeds",
              Charts.barsWithCi(
                  "Dropped tokens",
                  "dropped tokens (%)",
                  moe.stream().map(StudyReport::label).toList(),
                  moe.stream()
                      .mapToDouble(x -> x.droppedFraction() == null ? 0 : 100 * x.droppedFraction())
                      .toArray(),
                  moe.stream().mapToDouble(x -> ciEnd(x.droppedFractionCi95(), 0)).toArray(),
                  moe.stream().mapToDouble(x -> ciEnd(x.droppedFractionCi95(), 1)).toArray(),
                  0,
                  100)));
      out.addAll(routingPictures(r, dir));
    }
    return out;
  }

  /**
   * Accuracy against training speed: the side-by-side measurement of {@code throughput.json} as a
   * ratio to dense when there is one, else the images/s recorded while the runs trained, captioned
   * as not comparable.
   */
  private static List<Figure> speedFigure(List<RouterResult> rows, StudyThroughput fair) {
    boolean covers =
        fair != null && rows.stream().allMatch(x -> fair.row(x.router(), x.point()) != null);
    if (covers) {
      List<RouterResult> timed = rows;
      return List.of(
          new Figure(
              "accuracy-vs-speed",
              String.format(
                  Locale.ROOT,
                  "Test accuracy (mean over seeds, 95%% whiskers) against training speed as a ratio "
                      + "to dense (1 = as fast as dense). Speeds measured side by side after the "
                      + "study in one process on %s: each router's model took full training steps "
                      + "(forward, backward, AdamW) on random images of batch %d, %d untimed steps "
                      + "first, then %d rounds of %d timed steps, the routers alternating and in "
                      + "reverse order every other round; the ratio is the median over rounds of "
                      + "the router's images/s over dense's in the same round (`vimoe study report "
                      + "--throughput` measures again)",
                  fair.device(),
                  fair.batch(),
                  fair.warmup(),
                  fair.rounds(),
                  fair.steps()),
              Charts.scatterWithErrors(
                  "Accuracy against training speed (measured side by side)",
                  "training speed relative to dense (median over alternating rounds)",
                  "test accuracy (%)",
                  timed.stream().map(StudyReport::label).toList(),
                  timed.stream()
                      .mapToDouble(x -> fair.row(x.router(), x.point()).ratioToDense())
                      .toArray(),
                  timed.stream().mapToDouble(x -> 100 * x.testAccuracy().value()).toArray(),
                  timed.stream().mapToDouble(x -> 100 * x.testAccuracy().lo()).toArray(),
                  timed.stream().mapToDouble(x -> 100 * x.testAccuracy().hi()).toArray())));
    }
    List<RouterResult> timed =
        rows.stream().filter(x -> x.trainingImagesPerSecond() != null).toList();
    if (timed.isEmpty()) {
      return List.of();
    }
    return List.of(
        new Figure(
            "accuracy-vs-speed",
            "Test accuracy (mean over seeds, 95% whiskers) against training images per second. "
                + "The speeds were measured while the study trained, one run after another in one "
                + "process on a machine that may be shared, as the mean of each run's epochs: they "
                + "are not a benchmark, and small differences between routers say nothing; `vimoe "
                + "study report --throughput DIR` times the routers side by side and shows that "
                + "measurement here instead"
                + (fair != null
                    ? " (the saved throughput.json does not cover every router of this report)"
                    : ""),
            Charts.scatterWithErrors(
                "Accuracy against training speed (not a benchmark)",
                "training images/s, measured during the study",
                "test accuracy (%)",
                timed.stream().map(StudyReport::label).toList(),
                timed.stream().mapToDouble(RouterResult::trainingImagesPerSecond).toArray(),
                timed.stream().mapToDouble(x -> 100 * x.testAccuracy().value()).toArray(),
                timed.stream().mapToDouble(x -> 100 * x.testAccuracy().lo()).toArray(),
                timed.stream().mapToDouble(x -> 100 * x.testAccuracy().hi()).toArray())));
  }

  private static Figure sweepFigure(StudyResults r, String name, List<Double> values) {
    LinkedHashMap<String, double[][]> series = new LinkedHashMap<>();
    for (String router : r.spec().routers()) {
      double[] ys = new double[values.size()],
          lo = new double[values.size()],
          hi = new double[values.size()];
      for (int i = 0; i < values.size(); i++) {
        double v = values.get(i);
        List<Estimate> at =
            r.results().stream()
                .filter(
                    x ->
                        x.router().equals(router)
                            && (router.equals("dense")
                                || Double.valueOf(v).equals(x.pointValues().get(name))))
                .map(RouterResult::testAccuracy)
                .toList();
        ys[i] = 100 * at.stream().mapToDouble(Estimate::value).average().orElse(Double.NaN);
        // a band only where the point is one grid point: a mean over other options has none
        lo[i] = at.size() == 1 ? 100 * at.get(0).lo() : Double.NaN;
        hi[i] = at.size() == 1 ? 100 * at.get(0).hi() : Double.NaN;
      }
      series.put(
          router,
          new double[][] {values.stream().mapToDouble(Double::doubleValue).toArray(), ys, lo, hi});
    }
    return new Figure(
        "accuracy-vs-" + name.replace('_', '-'),
        "Test accuracy against "
            + name
            + " (mean over seeds"
            + (r.spec().sweeps().size() > 1
                ? " and over the other swept options, so without bands"
                : ", with 95% bands")
            + "; dense is the same at every value)",
        Charts.linesWithBands("Accuracy against " + name, name, "test accuracy (%)", series));
  }

  /**
   * Per MoE layer, the 8 test images beside the expert of each patch, one column per router (seed
   * 0).
   */
  private static List<Figure> routingPictures(StudyResults r, Path dir) throws IOException {
    GridPoint first = r.spec().points().get(0);
    List<RunExtras> extras = new ArrayList<>();
    List<String> routers = new ArrayList<>();
    for (RouterResult x : r.results()) {
      if (!x.router().equals("dense") && x.point().equals(first.label()) && !x.runs().isEmpty()) {
        String run = x.runs().get(0);
        RunExtras e =
            RunFiles.JSON.readValue(
                dir.resolve("runs").resolve(run).resolve(RunFiles.EXTRAS).toFile(),
                RunExtras.class);
        extras.add(e);
        routers.add(x.router() + " (" + run.substring(run.lastIndexOf("-s") + 1) + ")");
      }
    }
    List<Figure> out = new ArrayList<>();
    if (extras.isEmpty()) {
      return out;
    }
    RunExtras e0 = extras.get(0);
    int[] shape = e0.pictureShape();
    List<float[][][]> images = new ArrayList<>();
    for (byte[] pixels : e0.picturePixels()) {
      float[][][] img = new float[shape[0]][shape[1]][shape[2]];
      for (int c = 0; c < shape[0]; c++) {
        for (int y = 0; y < shape[1]; y++) {
          for (int x = 0; x < shape[2]; x++) {
            img[c][y][x] = (pixels[(c * shape[1] + y) * shape[2] + x] & 0xff) / 255f;
          }
        }
      }
      images.add(img);
    }
    int patchSize =
        r.spec()
            .config(
                r.spec().routers().get(r.spec().routers().size() - 1), first, shape[1], shape[0], 2)
            .patchSize();
    int experts = r.spec().config("softmax-ec", first, shape[1], shape[0], 2).experts();
    for (int l = 0; l < e0.moeBlocks().size(); l++) {
      List<RoutingPictures.Column> columns = new ArrayList<>();
      for (int i = 0; i < extras.size(); i++) {
        RunExtras e = extras.get(i);
        if (e.dominantExpert().size() > l) {
          columns.add(
              new RoutingPictures.Column(routers.get(i), List.of(e.dominantExpert().get(l))));
        }
      }
      int block = e0.moeBlocks().get(l);
      out.add(
          new Figure(
              "routing-block" + block,
              "Which expert processed each patch in block "
                  + block
                  + " (grey: dropped; Soft MoE: the expert whose slots take most of the patch's dispatch weight), "
                  + "for "
                  + images.size()
                  + " fixed test images",
              RoutingPictures.draw(images, patchSize, experts, columns)));
    }
    return out;
  }

  /**
   * The study's evaluation of the first finished run (sizes of the splits), or null without one.
   */
  private static RunExtras firstExtras(StudyResults r, Path dir) throws IOException {
    if (r.finished().isEmpty()) {
      return null;
    }
    return RunFiles.JSON.readValue(
        dir.resolve("runs").resolve(r.finished().get(0)).resolve(RunFiles.EXTRAS).toFile(),
        RunExtras.class);
  }

  private static String label(RouterResult x) {
    return x.point().isEmpty() ? x.router() : x.router() + " " + x.point();
  }

  /**
   * The colour scale of an expert-load heat map in percent: from 0 to twice the balanced share
   * 100/E, or to the largest share rounded up to a whole percent when one exceeds that.
   */
  static double[] loadScale(double[][] percents, int experts) {
    double max = 0;
    for (double[] row : percents) {
      for (double v : row) {
        if (Double.isFinite(v)) {
          max = Math.max(max, v);
        }
      }
    }
    return new double[] {0, Math.max(200.0 / experts, Math.ceil(max))};
  }

  private static double ciEnd(List<Double> ci, int end) {
    return ci == null ? Double.NaN : 100 * ci.get(end);
  }

  private static double orMean(double v, Estimate e) {
    return Double.isNaN(v) ? e.value() : v;
  }

  private static String withCi(Estimate e) {
    if (e.mean() == null) {
      return "-";
    }
    return e.ci95() == null
        ? percent(e.mean())
        : String.format(
            Locale.ROOT,
            // a no-break space in the interval: a narrow cell breaks only before the "["
            "%.2f%% [%.2f,\u00a0%.2f]",
            100 * e.mean(),
            100 * e.lo(),
            100 * e.hi());
  }

  /**
   * Every seed's value in percent, e.g. "s0 31.20, s1 33.85" (no-break spaces inside each pair, so
   * that a narrow cell breaks between seeds).
   */
  private static String perSeed(Estimate e) {
    if (e.perSeed().isEmpty()) {
      return "-";
    }
    return String.join(
        ", ",
        e.perSeed().entrySet().stream()
            .map(
                v ->
                    "s" + v.getKey() + String.format(Locale.ROOT, "\u00a0%.2f", 100 * v.getValue()))
            .toList());
  }

  private static String percent(Double v) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
  }

  private static String number(Double v, String format) {
    return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, format, v);
  }
}
