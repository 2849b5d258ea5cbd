package vimoe.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vimoe.moe.routing.Routers;

/**
 * What a study runs: the routers (dense always among them), seeds 0..seeds-1, the recipe, the data,
 * the model and the swept options. Saved as {@code study.json}; a study directory runs the spec it
 * was started with, or one that grows it by seeds, routers or sweep values ({@link Study#open}).
 * Validated on construction.
 *
 * @param preset the preset the defaults came from (quick or standard)
 * @param routers the routers compared, dense included
 * @param seeds seeds per configuration (seeds 0 .. seeds-1)
 * @param epochs epochs per run
 * @param batchSize images per step
 * @param learningRate peak learning rate
 * @param trainLimit use only the first N training images (0: all)
 * @param validationSize training images held out for validation
 * @param dataset the dataset spec, with an absolute directory
 * @param dataDir where Fashion-MNIST is (absolute), or null
 * @param imageSize resize images to this size, or null
 * @param channels convert images to this many channels, or null
 * @param model the model options
 * @param sweeps option name to its values; grid points are every combination
 * @param evalCapacityFactors capacity factors at which sparse routers are evaluated again; null:
 *     the trained factor and twice it
 */
public record StudySpec(
    String preset,
    List<String> routers,
    int seeds,
    int epochs,
    Integer batchSize,
    Double learningRate,
    int trainLimit,
    int validationSize,
    String dataset,
    String dataDir,
    Integer imageSize,
    Integer channels,
    ModelChoice model,
    Map<String, List<Double>> sweeps,
    List<Double> evalCapacityFactors) {

  /**
   * Validates; the routers are put in the order of docs/routing.md with dense added when missing.
   */
  public StudySpec {
    List<String> ordered = new ArrayList<>();
    for (String r : routers) {
      Routers.info(r); // refuses an unknown name with the list
    }
    for (String r : Routers.names()) {
      if (routers.contains(r) || r.equals("dense")) {
        ordered.add(r);
      }
    }
    routers = List.copyOf(ordered);
    require(seeds >= 1, "--seeds must be >= 1, got " + seeds);
    require(epochs >= 1, "--epochs must be >= 1, got " + epochs);
    require(trainLimit >= 0, "--train-limit must be >= 0, got " + trainLimit);
    require(validationSize >= 0, "--validation-size must be >= 0, got " + validationSize);
    sweeps =
        sweeps == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sweeps));
    for (Map.Entry<String, List<Double>> s : sweeps.entrySet()) {
      require(
          GridPoint.SWEEPABLE.contains(s.getKey()),
          "--sweep "
              + s.getKey()
              + ": only "
              + String.join(", ", GridPoint.SWEEPABLE)
              + " can be swept");
      require(!s.getValue().isEmpty(), "--sweep " + s.getKey() + " needs at least one value");
      for (double v : s.getValue()) {
        require(
            Double.isFinite(v) && v > 0,
            "--sweep " + s.getKey() + ": values must be > 0, got " + v);
        require(
            s.getKey().equals("capacity_factor") || v == Math.rint(v),
            "--sweep " + s.getKey() + ": values must be whole numbers, got " + v);
      }
      require(
          s.getValue().stream().distinct().count() == s.getValue().size(),
          "--sweep " + s.getKey() + " lists a value twice");
    }
    if (evalCapacityFactors != null) {
      evalCapacityFactors = List.copyOf(evalCapacityFactors);
      for (double v : evalCapacityFactors) {
        require(Double.isFinite(v) && v > 0, "--eval-capacity-factor must be > 0, got " + v);
      }
    }
  }

  /** The grid points: every combination of the swept values. */
  public List<GridPoint> points() {
    return GridPoint.all(sweeps);
  }

  /**
   * Every run of the study, in the order they are run: per grid point, per seed, per router. The
   * dense baseline has no router options, so it runs once per seed and serves every grid point.
   */
  public List<StudyRun> runs() {
    List<StudyRun> runs = new ArrayList<>();
    List<GridPoint> points = points();
    for (long seed = 0; seed < seeds; seed++) {
      if (routers.contains("dense")) {
        runs.add(new StudyRun("dense-s" + seed, "dense", seed, GridPoint.none()));
      }
    }
    for (GridPoint p : points) {
      for (long seed = 0; seed < seeds; seed++) {
        for (String r : routers) {
          if (!r.equals("dense")) {
            runs.add(new StudyRun(r + p.suffix() + "-s" + seed, r, seed, p));
          }
        }
      }
    }
    return runs;
  }

  /** The run called {@code name}, or an exception listing the names. */
  public StudyRun run(String name) {
    return runs().stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "--only "
                        + name
                        + ": no such run in this study; its runs are "
                        + String.join(", ", runs().stream().map(StudyRun::name).toList())));
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
