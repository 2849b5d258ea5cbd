package vimoe.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import vimoe.run.Checkpoint;

/**
 * The results of a study ({@code results.json}): one {@link RouterResult} per grid entry (router or
 * variant) and grid point, the paper's three {@link Finding}s and the declared comparisons per grid
 * point, and the runs not finished yet.
 *
 * @param spec the study
 * @param results per router and grid point
 * @param findings the three claims (over the registry's routers, not the variants), then the
 *     declared comparisons, per grid point
 * @param pairs every pair of routers, per grid point, with Holm-adjusted verdicts ({@link Pairs})
 * @param ranking the routers per grid point, ranked by those verdicts (ties shared)
 * @param finished the runs the results are made of
 * @param unfinished the runs not finished yet, each with its state
 * @param versions the versions the study was started with
 * @param machine the machine the study was started on
 * @param settings every value the runs use, resolved (null for a study started before they were
 *     recorded)
 */
public record StudyResults(
    StudySpec spec,
    List<RouterResult> results,
    List<Finding> findings,
    List<PairComparison> pairs,
    List<RouterRank> ranking,
    List<String> finished,
    List<String> unfinished,
    Map<String, String> versions,
    Map<String, Object> machine,
    StudySettings settings) {

  /** Builds the results from whatever runs of the study in {@code dir} are finished. */
  public static StudyResults read(Path dir) throws IOException {
    Study.StudyFile file = Study.read(dir);
    StudySpec spec = file.spec();
    List<RunRecord> records = new ArrayList<>();
    List<String> finished = new ArrayList<>(), unfinished = new ArrayList<>();
    for (StudyRun run : spec.runs()) {
      Path runDir = Study.runDir(dir, run);
      if (RunFiles.finished(runDir)) {
        records.add(RunFiles.read(runDir, run));
        finished.add(run.name());
      } else {
        unfinished.add(run.name() + " (" + state(runDir) + ")");
      }
    }
    return of(
        spec, records, finished, unfinished, file.versions(), file.machine(), file.settings());
  }

  private static String state(Path runDir) {
    if (RunFiles.trained(runDir)) {
      return "trained, not evaluated by the study";
    }
    if (Checkpoint.exists(runDir)) {
      return "interrupted after a checkpoint";
    }
    return Files.exists(runDir) ? "started, no checkpoint yet" : "not started";
  }

  /** Aggregates finished runs into results and findings. */
  static StudyResults of(
      StudySpec spec,
      List<RunRecord> records,
      List<String> finished,
      List<String> unfinished,
      Map<String, String> versions,
      Map<String, Object> machine,
      StudySettings settings) {
    List<RouterResult> results = new ArrayList<>();
    List<Finding> findings = new ArrayList<>();
    List<PairComparison> pairs = new ArrayList<>();
    List<RouterRank> ranking = new ArrayList<>();
    List<RunRecord> dense = records.stream().filter(r -> r.run().router().equals("dense")).toList();
    if (!dense.isEmpty()) {
      results.add(aggregate("dense", GridPoint.none(), dense));
    }
    for (GridPoint point : spec.points()) {
      Map<String, Map<Long, Double>> accuracy = new LinkedHashMap<>();
      for (String router : spec.routers()) {
        List<RunRecord> runs =
            router.equals("dense")
                ? dense
                : records.stream()
                    .filter(r -> r.run().router().equals(router) && r.run().point().equals(point))
                    .toList();
        if (runs.isEmpty()) {
          continue;
        }
        if (!router.equals("dense")) {
          results.add(aggregate(router, point, runs));
        }
        Map<Long, Double> bySeed = new TreeMap<>();
        runs.forEach(r -> bySeed.put(r.run().seed(), r.testAccuracy()));
        accuracy.put(router, bySeed);
      }
      // the paper's claims are about the registry's routers; variants enter the declared ones
      Map<String, Map<Long, Double>> routers = new LinkedHashMap<>(accuracy);
      routers.keySet().removeIf(entry -> spec.variant(entry) != null);
      findings.addAll(Findings.of(routers, point.label()));
      findings.addAll(Findings.declared(accuracy, spec.comparisons(), point.label()));
      List<PairComparison> here = Pairs.of(accuracy, point.label());
      pairs.addAll(here);
      ranking.addAll(Pairs.ranking(accuracy, here, point.label()));
    }
    return new StudyResults(
        spec, results, findings, pairs, ranking, finished, unfinished, versions, machine, settings);
  }

  private static RouterResult aggregate(String router, GridPoint point, List<RunRecord> runs) {
    RunRecord first = runs.get(0);
    List<double[]> load = new ArrayList<>();
    for (int l = 0; l < first.layers().size(); l++) {
      int layer = l;
      int experts = first.layers().get(l).tokensPerExpert().length;
      double[] share = new double[experts];
      for (RunRecord r : runs) {
        double[] t = r.layers().get(layer).tokensPerExpert();
        double sum = java.util.Arrays.stream(t).sum();
        for (int e = 0; e < experts; e++) {
          share[e] += (sum > 0 ? t[e] / sum : 0) / runs.size();
        }
      }
      load.add(share);
    }
    int epochs = runs.stream().mapToInt(r -> r.validationCurve().size()).max().orElse(0);
    List<Double> curve = new ArrayList<>();
    List<List<Double>> curveCi = new ArrayList<>();
    for (int e = 0; e < epochs; e++) {
      int epoch = e;
      Estimate at =
          estimate(
              runs,
              r ->
                  r.validationCurve().size() > epoch ? r.validationCurve().get(epoch) : Double.NaN);
      curve.add(at.mean());
      curveCi.add(at.ci95());
    }
    Estimate dropped =
        estimate(
            runs,
            r ->
                Stats.mean(
                    r.layers().stream()
                        .mapToDouble(RunRecord.LayerRouting::droppedFraction)
                        .toArray()));
    List<RouterResult.CapacityResult> capacity = new ArrayList<>();
    for (int i = 0; i < first.extras().capacity().size(); i++) {
      int index = i;
      RunExtras.CapacityAccuracy c = first.extras().capacity().get(i);
      capacity.add(
          new RouterResult.CapacityResult(
              c.capacityFactor(),
              c.trained(),
              estimate(
                  runs,
                  r ->
                      r.extras().capacity().size() > index
                          ? r.extras().capacity().get(index).testAccuracy()
                          : Double.NaN)));
    }
    return new RouterResult(
        router,
        point.label(),
        point.values(),
        runs.size(),
        runs.stream().map(r -> r.run().name()).toList(),
        estimate(runs, RunRecord::testAccuracy),
        estimate(runs, RunRecord::tenShot),
        estimate(runs, r -> r.extras().noiseAccuracy()),
        estimate(runs, r -> r.extras().rotationAccuracy()),
        capacity,
        meanOf(runs, RunRecord::trainImagesPerSecond),
        meanOf(runs, RunRecord::inferenceImagesPerSecond),
        first.flopsPerImage(),
        first.parametersTotal(),
        first.parametersActive(),
        layerMean(runs, RunRecord.LayerRouting::droppedFraction),
        layerMean(runs, RunRecord.LayerRouting::loadCv),
        layerMean(runs, RunRecord.LayerRouting::expertsPerToken),
        first.layers().stream().map(RunRecord.LayerRouting::block).toList(),
        load,
        curve,
        curveCi,
        dropped.ci95(),
        routingViews(runs));
  }

  /** Per MoE layer, the runs' views averaged over seeds; null when a run lacks them. */
  private static List<vimoe.moe.routing.RoutingViews> routingViews(List<RunRecord> runs) {
    if (runs.stream().anyMatch(r -> r.extras().routingViews() == null)) {
      return null;
    }
    int layers = runs.get(0).extras().routingViews().size();
    if (runs.stream().anyMatch(r -> r.extras().routingViews().size() != layers)) {
      return null;
    }
    List<vimoe.moe.routing.RoutingViews> out = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      int layer = l;
      out.add(
          vimoe.moe.routing.RoutingViews.mean(
              runs.stream().map(r -> r.extras().routingViews().get(layer)).toList()));
    }
    return out;
  }

  /** An accuracy over the runs' seeds: logit-scale interval, the value of every seed. */
  private static Estimate estimate(List<RunRecord> runs, ToDoubleFunction<RunRecord> f) {
    Map<Long, Double> bySeed = new TreeMap<>();
    runs.forEach(r -> bySeed.put(r.run().seed(), f.applyAsDouble(r)));
    return Stats.fraction(bySeed);
  }

  private static Double meanOf(List<RunRecord> runs, ToDoubleFunction<RunRecord> f) {
    return nullable(
        Stats.mean(runs.stream().mapToDouble(f).filter(v -> !Double.isNaN(v)).toArray()));
  }

  private static Double layerMean(
      List<RunRecord> runs, ToDoubleFunction<RunRecord.LayerRouting> f) {
    return nullable(
        Stats.mean(runs.stream().flatMap(r -> r.layers().stream()).mapToDouble(f).toArray()));
  }

  private static Double nullable(double v) {
    return Double.isNaN(v) ? null : v;
  }

  /** Writes {@code results.json} and {@code results.csv} into {@code dir}, each atomically. */
  public void write(Path dir) throws IOException {
    RunFiles.writeAtomically(dir.resolve("results.json"), RunFiles.JSON.writeValueAsBytes(this));
    RunFiles.writeAtomically(dir.resolve("results.csv"), csv().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * One line per router and grid point; accuracies as fractions, the interval as two columns, the
   * value of every seed as {@code seed:value} pairs joined by semicolons.
   */
  public String csv() {
    StringBuilder out =
        new StringBuilder(
            "router,point,n,test_accuracy,test_accuracy_lo,test_accuracy_hi,test_accuracy_per_seed,"
                + "ten_shot_accuracy,ten_shot_accuracy_lo,ten_shot_accuracy_hi,ten_shot_accuracy_per_seed,"
                + "noise_accuracy,rotation_accuracy,"
                + "capacity_eval,training_images_per_second,inference_images_per_second,flops_per_image,"
                + "parameters_total,parameters_active,dropped_fraction,expert_load_cv,experts_per_token\n");
    for (RouterResult r : results) {
      List<String> cells = new ArrayList<>(List.of(r.router(), r.point(), Integer.toString(r.n())));
      for (Estimate e : List.of(r.testAccuracy(), r.tenShotAccuracy())) {
        cells.add(num(e.mean()));
        cells.add(num(e.ci95() == null ? null : e.lo()));
        cells.add(num(e.ci95() == null ? null : e.hi()));
        cells.add(
            String.join(
                ";",
                e.perSeed().entrySet().stream()
                    .map(s -> s.getKey() + ":" + num(s.getValue()))
                    .toList()));
      }
      cells.add(num(r.noiseAccuracy().mean()));
      cells.add(num(r.rotationAccuracy().mean()));
      cells.add(
          String.join(
              ";",
              r.capacity().stream()
                  .map(
                      c ->
                          GridPoint.number(c.capacityFactor()) + ":" + num(c.testAccuracy().mean()))
                  .toList()));
      for (Object v :
          new Object[] {
            r.trainingImagesPerSecond(),
            r.inferenceImagesPerSecond(),
            r.flopsPerImage(),
            r.parametersTotal(),
            r.parametersActive(),
            r.droppedFraction(),
            r.expertLoadCv(),
            r.expertsPerToken()
          }) {
        cells.add(v instanceof Double d ? num(d) : v == null ? "" : v.toString());
      }
      out.append(String.join(",", cells.stream().map(StudyResults::csvCell).toList())).append('\n');
    }
    return out.toString();
  }

  private static String num(Double v) {
    return v == null || v.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", v);
  }

  private static String csvCell(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
