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
import vimoe.study.Comparison;
import vimoe.study.ModelChoice;
import vimoe.study.Preset;
import vimoe.study.RouterVariant;
import vimoe.study.StudySpec;

/** The options that define a study, shared by {@code study} and {@code study plan}. */
final class StudyOptions {
  @Mixin ModelOptions model = new ModelOptions();

  @Mixin DataOptions data = new DataOptions();

  @Option(
      names = "--preset",
      paramLabel = "quick|cpu-hour|standard",
      defaultValue = "quick",
      description = {
        "quick (default): 2 seeds x 3 epochs on the first 6000 training images (1000 held out), "
            + "batch 64; about 18 minutes on 2 cores.",
        "cpu-hour: the quick recipe with 6 seeds, for the smallest effect a 2-core CPU resolves "
            + "in an hour (about 55 minutes).",
        "standard: 5 seeds x 10 epochs on the full training set (5000 held out), batch 128; for "
            + "a GPU (--device gpu)."
      })
  String preset;

  @Option(
      names = "--routers",
      split = ",",
      paramLabel = "NAMES",
      description =
          "Routers (and --variant names) to compare (default: the eight of the 2024 study; dense"
              + " is always included).")
  List<String> routers;

  @Option(
      names = "--variant",
      paramLabel = "NAME=ROUTER[:OPT=V,...]",
      description =
          "A router variant, a grid entry of its own: ROUTER with these router options on top of"
              + " the study's, e.g."
              + " tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0; added to the grid"
              + " and usable in --routers and --compare. Repeatable.")
  List<String> variants = new ArrayList<>();

  @Option(
      names = "--compare",
      paramLabel = "A>B",
      description =
          "Declare that grid entry A (a router or variant) beats B: a finding with the paired"
              + " statistics of the paper's claims (quote it in a shell). Repeatable.")
  List<String> comparisons = new ArrayList<>();

  @Option(
      names = "--seeds",
      paramLabel = "N",
      description = "Seeds per configuration: 0..N-1 (preset: 2, 6 or 5).")
  Integer seeds;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run (preset).")
  Integer epochs;

  @Option(
      names = "--batch-size",
      paramLabel = "B",
      description = "Images per step (quick, cpu-hour: 64; standard: 128).")
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

  /**
   * The study these options define, with paths made absolute; refuses bad values with a clear
   * message.
   */
  StudySpec spec() {
    Preset p = Preset.of(preset);
    DatasetSpec ds = DatasetSpec.parse(data.dataset);
    String dataset =
        ds.dir() == null
            ? ds.toString()
            : ds.kind().id() + ":" + ds.dir().toAbsolutePath().normalize();
    Map<String, List<Double>> sweep = new LinkedHashMap<>();
    sweeps.forEach(
        (name, values) -> {
          List<Double> v = new ArrayList<>();
          // limit 0: a trailing separator adds no empty entry
          for (String s : values.split(",", 0)) {
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
        seeds != null ? seeds : p.seeds(),
        epochs != null ? epochs : p.epochs(),
        batchSize != null ? batchSize : p.batchSize(),
        learningRate,
        trainLimit != null ? trainLimit : p.trainLimit(),
        validationSize != null ? validationSize : p.validationSize(),
        dataset,
        data.dataDir == null ? null : data.dataDir.toAbsolutePath().normalize().toString(),
        data.imageSize,
        data.channels,
        m,
        sweep,
        evalCapacityFactors,
        variants.stream().map(RouterVariant::parse).toList(),
        comparisons.stream().map(Comparison::parse).toList());
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
