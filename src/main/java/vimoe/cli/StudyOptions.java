package vimoe.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import vimoe.data.DatasetSpec;
import vimoe.moe.routing.Routers;
import vimoe.study.ModelChoice;
import vimoe.study.StudySpec;

/** The options that define a study, shared by {@code study} and {@code study plan}. */
final class StudyOptions {
  @Mixin ModelOptions model = new ModelOptions();

  @Mixin DataOptions data = new DataOptions();

  @Option(
      names = "--preset",
      paramLabel = "quick|standard",
      defaultValue = "quick",
      description = {
        "quick (default): 2 seeds x "
            + Preset.QUICK_EPOCHS
            + " epochs on the first "
            + Preset.QUICK_TRAIN_LIMIT
            + " training images ("
            + Preset.QUICK_VALIDATION
            + " held out), batch "
            + Preset.QUICK_BATCH
            + "; about 20 minutes on 2 cores.",
        "standard: 3 seeds x 10 epochs on the full training set (hours on a CPU)."
      })
  String preset;

  @Option(
      names = "--routers",
      split = ",",
      paramLabel = "NAMES",
      description =
          "Routers to compare (default: the eight of the 2024 study; dense is always included).")
  List<String> routers;

  @Option(
      names = "--seeds",
      paramLabel = "N",
      description = "Seeds per configuration: 0..N-1 (preset: 2 or 3).")
  Integer seeds;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run (preset).")
  Integer epochs;

  @Option(
      names = "--batch-size",
      paramLabel = "B",
      description = "Images per step (quick: 64; else 128).")
  Integer batchSize;

  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default 2e-3).")
  Double learningRate;

  @Option(
      names = "--train-limit",
      paramLabel = "N",
      description = "Use only the first N training images (preset).")
  Integer trainLimit;

  @Option(
      names = "--validation-size",
      paramLabel = "N",
      description = "Training images held out (preset).")
  Integer validationSize;

  @Option(
      names = "--sweep",
      paramLabel = "NAME=V1,V2",
      mapFallbackValue = "",
      description =
          "Sweep capacity_factor, experts, k or group_images; repeatable, grid points multiply.")
  Map<String, String> sweeps = new LinkedHashMap<>();

  @Option(
      names = "--eval-capacity-factor",
      split = ",",
      paramLabel = "CF",
      description =
          "Also evaluate sparse routers at these capacity factors (default: the trained one and twice it).")
  List<Double> evalCapacityFactors;

  /** The presets' numbers. */
  static final class Preset {
    static final int QUICK_EPOCHS = 3;
    static final int QUICK_TRAIN_LIMIT = 6000;
    static final int QUICK_VALIDATION = 1000;

    /** Half the default batch: twice the steps on the quick preset's few images. */
    static final int QUICK_BATCH = 64;

    private Preset() {}
  }

  /**
   * The study these options define, with paths made absolute; refuses bad values with a clear
   * message.
   */
  StudySpec spec() {
    boolean quick;
    switch (preset) {
      case "quick" -> quick = true;
      case "standard" -> quick = false;
      default ->
          throw new IllegalArgumentException(
              "--preset must be quick or standard, got \"" + preset + "\"");
    }
    DatasetSpec ds = DatasetSpec.parse(data.dataset);
    String dataset =
        ds.dir() == null
            ? ds.toString()
            : ds.kind().id() + ":" + ds.dir().toAbsolutePath().normalize();
    Map<String, List<Double>> sweep = new LinkedHashMap<>();
    sweeps.forEach(
        (name, values) -> {
          List<Double> v = new ArrayList<>();
          for (String s : values.split(",")) {
            try {
              v.add(Double.parseDouble(s.strip()));
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException(
                  "--sweep "
                      + name
                      + "="
                      + values
                      + ": \""
                      + s
                      + "\" is not a number; write e.g. --sweep capacity_factor=1,1.25");
            }
          }
          sweep.put(name, v);
        });
    ModelChoice m =
        new ModelChoice(
            model.variant,
            model.k,
            model.capacityFactor,
            model.routerOptions,
            model.experts,
            model.expertHidden,
            model.moeLayers,
            model.groupImages,
            model.patchSize,
            model.width,
            model.depth,
            model.heads,
            model.mlpDim,
            model.pooling);
    return new StudySpec(
        preset,
        routers == null ? Routers.studied() : routers,
        seeds != null ? seeds : quick ? 2 : 3,
        epochs != null ? epochs : quick ? Preset.QUICK_EPOCHS : 10,
        batchSize != null ? batchSize : quick ? Integer.valueOf(Preset.QUICK_BATCH) : null,
        learningRate,
        trainLimit != null ? trainLimit : quick ? Preset.QUICK_TRAIN_LIMIT : 0,
        validationSize != null ? validationSize : quick ? Preset.QUICK_VALIDATION : 5000,
        dataset,
        data.dataDir == null ? null : data.dataDir.toAbsolutePath().normalize().toString(),
        data.imageSize,
        data.channels,
        m,
        sweep,
        evalCapacityFactors);
  }

  /**
   * The options given on the command line, as arguments, without those that say where and how to
   * run ({@code --output}, {@code --jobs}, {@code --only}): what every run of the study repeats.
   */
  static List<String> studyArgs(CommandSpec spec) {
    List<String> args = new ArrayList<>();
    for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
      String name = o.longestName();
      if (List.of("--output", "--jobs", "--only").contains(name)) {
        continue;
      }
      if (o.arity().max() == 0) {
        args.add(name);
        continue;
      }
      for (String v : o.originalStringValues()) {
        args.add(name);
        args.add(v);
      }
    }
    return args;
  }

  /**
   * Removes train's {@code --router} (a study takes {@code --routers}) from a command with these
   * options.
   */
  static final class NoRouter implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      ArgSpec router = spec.findOption("--router");
      if (router != null) {
        spec.remove(router);
      }
      return spec;
    }
  }
}
