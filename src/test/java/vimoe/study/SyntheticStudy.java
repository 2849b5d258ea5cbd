package vimoe.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import vimoe.moe.routing.Routers;
import vimoe.run.RunJson;
import vimoe.run.TrainConfig;

/**
 * A study made without training: hand-chosen accuracies and expert loads per router and seed, on 8
 * x 8 one-channel images with 4 classes, the micro model with E = 8 experts in blocks 4 and 5. Each
 * run gets a {@code study-eval.json} (the routing pictures read it), so that the whole report can
 * be written.
 */
final class SyntheticStudy {
  static final int EXPERTS = 8;

  private SyntheticStudy() {}

  /** A quick-preset study of {@code routers} over {@code seeds} seeds with {@code sweeps}. */
  static StudySpec spec(List<String> routers, int seeds, Map<String, List<Double>> sweeps) {
    return spec(routers, seeds, sweeps, List.of(), List.of());
  }

  /** As {@link #spec(List, int, Map)} with router variants and declared comparisons. */
  static StudySpec spec(
      List<String> routers,
      int seeds,
      Map<String, List<Double>> sweeps,
      List<RouterVariant> variants,
      List<Comparison> comparisons) {
    return new StudySpec(
        "quick",
        routers,
        seeds,
        1,
        64,
        null,
        1500,
        1000,
        "idx:/synthetic",
        null,
        null,
        null,
        new ModelChoice(
            "micro", null, null, null, null, null, null, null, null, 16, null, null, null, null),
        sweeps,
        null,
        variants,
        comparisons);
  }

  /**
   * Hand-chosen per-family views of {@code router} in MoE layer {@code layer}: Token Choice asks
   * expert 0 for more than its capacity, Expert Choice gives a fifth of the tokens no expert, Soft
   * MoE slots spread over half the tokens or more.
   */
  static vimoe.moe.routing.RoutingViews views(String router, int layer) {
    vimoe.moe.routing.Family family = Routers.info(router).family();
    int tokens = 64, capacity = 8;
    if (family == vimoe.moe.routing.Family.SOFT) {
      double[] h = new double[vimoe.moe.routing.RoutingViews.BINS];
      h[4 + layer] = 0.3;
      h[8] = 0.5;
      h[9] = 0.2;
      return new vimoe.moe.routing.RoutingViews(
          family, 1, tokens, null, null, null, h, 0.7 * tokens);
    }
    double[] requested = new double[EXPERTS], granted = new double[EXPERTS];
    for (int e = 0; e < EXPERTS; e++) {
      requested[e] = family == vimoe.moe.routing.Family.TOKEN_CHOICE ? (e == 0 ? 20 : 44.0 / 7) : 8;
      granted[e] = Math.min(capacity, requested[e]);
    }
    double[] perToken = new double[EXPERTS + 1];
    if (family == vimoe.moe.routing.Family.TOKEN_CHOICE) {
      perToken[0] = 0.15;
      perToken[1] = 0.85;
    } else {
      perToken[0] = 0.2 + 0.05 * layer;
      perToken[1] = 0.5 - 0.05 * layer;
      perToken[2] = 0.2;
      perToken[3] = 0.1;
    }
    return new vimoe.moe.routing.RoutingViews(
        family, capacity, tokens, requested, granted, perToken, null, null);
  }

  /**
   * The results of {@code spec} with run directories in {@code dir}.
   *
   * @param accuracy test accuracy of a router at a seed
   * @param load tokens per expert (length E) of a router, in both MoE blocks
   */
  static StudyResults results(
      Path dir,
      StudySpec spec,
      BiFunction<String, Long, Double> accuracy,
      Function<String, double[]> load)
      throws IOException {
    return results(dir, spec, accuracy, load, true);
  }

  /**
   * As {@link #results(Path, StudySpec, BiFunction, Function)}; without {@code recordViews} the
   * runs lack the per-family routing views, as those of a study evaluated before they existed.
   */
  static StudyResults results(
      Path dir,
      StudySpec spec,
      BiFunction<String, Long, Double> accuracy,
      Function<String, double[]> load,
      boolean recordViews)
      throws IOException {
    List<RunRecord> records = new ArrayList<>();
    List<String> finished = new ArrayList<>();
    for (StudyRun run : spec.runs()) {
      double test = accuracy.apply(run.router(), run.seed());
      boolean moe = !run.router().equals("dense");
      List<RunRecord.LayerRouting> layers = new ArrayList<>();
      if (moe) {
        for (int block : List.of(4, 5)) {
          double[] t = load.apply(run.router());
          double sum = java.util.Arrays.stream(t).sum(), mean = sum / t.length, ss = 0;
          for (double v : t) {
            ss += (v - mean) * (v - mean);
          }
          boolean tc = run.router().endsWith("-tc");
          layers.add(
              new RunRecord.LayerRouting(
                  block, tc ? 0.05 + 0.01 * run.seed() : 0, Math.sqrt(ss / t.length) / mean, 1, t));
        }
      }
      List<RunExtras.CapacityAccuracy> capacity =
          moe && !run.router().equals("soft")
              ? List.of(
                  new RunExtras.CapacityAccuracy(1, true, test),
                  new RunExtras.CapacityAccuracy(2, false, Math.min(1, test + 0.01)))
              : List.of();
      List<byte[]> pixels = new ArrayList<>();
      List<int[][]> dominant = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        byte[] p = new byte[64];
        for (int j = 0; j < 64; j++) {
          p[j] = (byte) ((j * 7 + i * 31) & 0xff);
        }
        pixels.add(p);
      }
      if (moe) {
        for (int l = 0; l < 2; l++) {
          int[][] d = new int[8][4];
          for (int i = 0; i < 8; i++) {
            for (int patch = 0; patch < 4; patch++) {
              d[i][patch] = (i + patch + l) % EXPERTS;
            }
          }
          dominant.add(d);
        }
      }
      RunExtras extras =
          new RunExtras(
              test - 0.05,
              test - 0.10,
              capacity,
              List.of(0, 1, 2, 3, 4, 5, 6, 7),
              new int[] {1, 8, 8},
              pixels,
              moe ? List.of(4, 5) : List.of(),
              dominant,
              1500 - 1000,
              1000,
              64,
              "cpu()",
              "host",
              null,
              !recordViews
                  ? null
                  : moe
                      ? List.of(
                          views(spec.routerOf(run.router()), 0),
                          views(spec.routerOf(run.router()), 1))
                      : List.of());
      Path runDir = Study.runDir(dir, run);
      Files.createDirectories(runDir);
      RunFiles.writeExtras(runDir, extras);
      records.add(
          new RunRecord(
              run,
              test,
              Math.max(0, test - 0.02),
              moe ? 900 + 10 * run.seed() : 1000 + 10 * run.seed(),
              3000,
              run.router().equals("soft") ? 35_700_000L : moe ? 33_700_000L : 30_100_000L,
              moe ? 600_000 : 300_000,
              300_000,
              layers,
              List.of(test - 0.1, test - 0.02),
              extras));
      finished.add(run.name());
    }
    return StudyResults.of(
        spec,
        records,
        finished,
        List.of(),
        Map.of("vimoe", "test"),
        Map.of("processors", 2),
        settings(spec));
  }

  /** The settings a study of {@code spec} would record on 8 x 8 one-channel images, 4 classes. */
  static StudySettings settings(StudySpec spec) {
    Map<String, com.fasterxml.jackson.databind.JsonNode> models = new LinkedHashMap<>();
    for (String router : spec.routers()) {
      models.put(
          router, RunJson.CONFIG.valueToTree(spec.config(router, spec.points().get(0), 8, 1, 4)));
    }
    TrainConfig d = TrainConfig.defaults();
    com.fasterxml.jackson.databind.node.ObjectNode training =
        RunJson.CONFIG.valueToTree(
            new TrainConfig(
                spec.epochs(),
                spec.batchSize(),
                d.learningRate(),
                d.weightDecay(),
                d.warmupFraction(),
                d.labelSmoothing(),
                d.clipNorm(),
                0,
                spec.validationSize(),
                spec.trainLimit(),
                0,
                false));
    training.remove("seed");
    training.put("seeds", spec.seeds());
    return new StudySettings(spec.preset(), StudySettings.changed(spec), training, models);
  }

  /** Every router but those named. */
  static List<String> routersBut(String... left) {
    List<String> out = new ArrayList<>(Routers.names());
    out.removeAll(List.of(left));
    return out;
  }
}
