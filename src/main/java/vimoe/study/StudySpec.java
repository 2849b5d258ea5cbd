package vimoe.study;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import vimoe.model.VitConfig;
import vimoe.moe.routing.Routers;

/**
 * What a study runs: the grid entries (routers, dense always among them, and variants: routers with
 * options of their own), seeds 0..seeds-1, the recipe, the data, the model and the swept options;
 * and the comparisons declared beforehand. Saved as {@code study.json}; a study directory runs the
 * spec it was started with, or one that grows it by seeds, routers, variants or sweep values
 * ({@link Study#open}). Validated on construction.
 *
 * @param preset the preset the defaults came from (quick or standard)
 * @param routers the grid entries compared: registry routers (dense included) and the names of the
 *     variants, each variant right after the registry position of its router
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
 * @param variants the variants ({@code --variant}), in the order given; each is a grid entry
 * @param comparisons the declared comparisons ({@code --compare A>B}) between grid entries
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
    List<Double> evalCapacityFactors,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<RouterVariant> variants,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Comparison> comparisons) {

  /**
   * Validates; the routers are put in the order of docs/routing.md with dense added when missing,
   * every variant added right after its router's place.
   */
  public StudySpec {
    variants = variants == null ? List.of() : List.copyOf(variants);
    comparisons = comparisons == null ? List.of() : List.copyOf(comparisons);
    Set<String> names = new HashSet<>();
    for (RouterVariant v : variants) {
      require(names.add(v.name()), "--variant " + v.name() + " is defined twice; keep one");
      // the variant's options on top of the study's --router-option
      v.check(model == null ? Map.of() : model.routerOptions());
    }
    for (String r : routers) {
      if (!names.contains(r)) {
        try {
          Routers.info(r); // refuses an unknown name with the list
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              e.getMessage()
                  + (variants.isEmpty()
                      ? ""
                      : "; variants: "
                          + String.join(
                              ", ", variants.stream().map(RouterVariant::name).toList())));
        }
      }
    }
    List<String> ordered = new ArrayList<>();
    for (String r : Routers.names()) {
      if (routers.contains(r) || r.equals("dense")) {
        ordered.add(r);
      }
      for (RouterVariant v : variants) {
        if (v.router().equals(r)) {
          ordered.add(v.name());
        }
      }
    }
    routers = List.copyOf(ordered);
    Set<String> declared = new HashSet<>();
    for (Comparison c : comparisons) {
      for (String side : List.of(c.better(), c.worse())) {
        if (!routers.contains(side)) {
          throw Comparison.bad(
              c.text(),
              side
                  + " is not a grid entry of this study; its entries are "
                  + String.join(", ", routers)
                  + " (add it to --routers or define it with --variant)");
        }
      }
      require(declared.add(c.text()), "--compare \"" + c.text() + "\" is given twice; keep one");
    }
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
    Set<String> runNames = new HashSet<>();
    for (StudyRun run : runs(routers, seeds, GridPoint.all(sweeps))) {
      // distinct entries give distinct names (the point's suffix and the seed end every name), but
      // a run directory must never serve two runs, whatever a variant is called
      require(
          runNames.add(run.name()),
          "--variant "
              + run.router()
              + ": its run "
              + run.name()
              + " has the name of another run of the grid; choose another variant name");
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
    return runs(routers, seeds, points());
  }

  private static List<StudyRun> runs(List<String> routers, int seeds, List<GridPoint> points) {
    List<StudyRun> runs = new ArrayList<>();
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

  /** The variant called {@code entry}, or null when the entry is a registry router. */
  public RouterVariant variant(String entry) {
    return variants.stream().filter(v -> v.name().equals(entry)).findFirst().orElse(null);
  }

  /** The registry router of a grid entry: the variant's router, or the entry itself. */
  public String routerOf(String entry) {
    RouterVariant v = variant(entry);
    return v == null ? entry : v.router();
  }

  /**
   * The model of the grid entry {@code entry} (a router, dense, or a variant with its options on
   * top of the study's) at {@code point}, at equal compute ({@link ModelChoice#config}).
   */
  public VitConfig config(String entry, GridPoint point, int imageSize, int channels, int classes) {
    RouterVariant v = variant(entry);
    return v == null
        ? model.config(entry, point, imageSize, channels, classes)
        : model.config(v, point, imageSize, channels, classes);
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
