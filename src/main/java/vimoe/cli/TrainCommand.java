package vimoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import vimoe.data.Augmentation;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.TrainTest;
import vimoe.eval.FewShotData;
import vimoe.model.VitConfig;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;
import vimoe.run.RunLock;
import vimoe.run.RunResult;
import vimoe.run.TrainConfig;
import vimoe.train.TrainingRun;

/** {@code vimoe train}: train and evaluate a ViT-MoE model. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a Vision Transformer whose last blocks are MoE layers, then evaluate it.",
      "",
      "Writes config.json, metrics.jsonl, checkpoint/ and result.json (test accuracy, few-shot "
          + "accuracy, throughput, parameters, FLOPs, routing statistics) into --output."
    })
final class TrainCommand implements Callable<Integer> {
  /** The options a resumed run can honour: the rest would change the run it continues. */
  private static final Set<String> RESUME_OPTIONS =
      Set.of("--resume", "--fewshot-dataset", "--device");

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin ModelOptions model = new ModelOptions();

  @Mixin DataOptions data = new DataOptions();

  @Mixin FewShotOptions fewShot = new FewShotOptions();

  @Mixin DeviceOptions device = new DeviceOptions();

  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "Run directory (default: runs/<router>-<time>).")
  Path output;

  @Option(
      names = "--resume",
      paramLabel = "DIR",
      description = "Continue the run in DIR from its last checkpoint.")
  Path resume;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default 10).")
  Integer epochs;

  @Option(names = "--batch-size", paramLabel = "B", description = "Images per step (default 128).")
  Integer batchSize;

  @Option(
      names = "--lr",
      paramLabel = "LR",
      description = "Peak learning rate of AdamW (default 2e-3).")
  Double learningRate;

  @Option(
      names = "--weight-decay",
      paramLabel = "WD",
      description = "Weight decay on weight matrices (default 0.05).")
  Double weightDecay;

  @Option(
      names = "--warmup",
      paramLabel = "FRACTION",
      description = "Fraction of steps of linear warm-up (default 0.05).")
  Double warmup;

  @Option(
      names = "--label-smoothing",
      paramLabel = "EPS",
      description = "Label smoothing (default 0.1).")
  Double labelSmoothing;

  @Option(
      names = "--clip-norm",
      paramLabel = "NORM",
      description = "Global gradient-norm clip, 0 for none (default 1).")
  Double clipNorm;

  @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the whole run (default 0).")
  Long seed;

  @Option(
      names = "--validation-size",
      paramLabel = "N",
      description =
          "Training images held out for validation (default: 10%% of the training set, at most 5000).")
  Integer validationSize;

  @Option(
      names = "--train-limit",
      paramLabel = "N",
      description = "Use only the first N training images.")
  Integer trainLimit;

  @Option(
      names = "--pad",
      paramLabel = "PIXELS",
      description = "Random crop after padding (default: 2 for IDX datasets, 4 otherwise).")
  Integer pad;

  @Option(
      names = "--deterministic",
      description =
          "Bit-identical parameters for the same seed: PyTorch on one thread (slower; see README, Reliability).")
  Boolean deterministic;

  @Option(
      names = "--flip",
      negatable = true,
      description = "Random horizontal flips (default: off for IDX datasets, on otherwise).")
  Boolean flip;

  @Override
  public Integer call() throws Exception {
    if (resume != null) {
      return resume();
    }
    NewRun run = Errors.input(this::newRun);
    try (RunDir dir = Errors.input(() -> RunDir.create(run.dir(), run.config(), "vimoe train"))) {
      RunConfig config = run.config();
      TrainingRun.Splits splits = run.splits();
      System.err.printf(
          "training %s (%s, router %s) on %d images, validating on %d, testing on %d; run "
              + "directory %s%n",
          config.variant(),
          config.model().moeLayers(),
          config.model().router().router(),
          splits.train().size(),
          splits.validation().size(),
          splits.test().size(),
          run.dir());
      return report(
          TrainingRun.run(
              config, splits, run.fewShot(), dir, progress(), System.err, device.device()),
          run.dir());
    }
  }

  /** A new run, checked: where it goes, its configuration, its data and few-shot data. */
  private record NewRun(
      Path dir, RunConfig config, TrainingRun.Splits splits, FewShotData fewShot) {}

  /**
   * The new run the options describe, its data read and split. Options, paths and the data's
   * headers are checked before any pixel is read or file written; the model's input size comes from
   * the data (--image-size and --channels convert it).
   */
  private NewRun newRun() throws IOException {
    DatasetSpec spec = DatasetSpec.parse(data.dataset);
    TrainConfig train = trainConfig(Datasets.defaultAugmentation(spec));
    Path dir = output != null ? output : defaultOutput();
    VitConfig vit = Preflight.train(model, data, fewShot, train, validationSize == null, spec, dir);
    System.err.println("reading " + spec + "...");
    TrainTest read =
        Datasets.load(spec, data.dataDir, vit.channels(), vit.imageSize(), vit.imageSize());
    int available = train.trainImages(read.train().size());
    if (validationSize == null) {
      train = train.withValidationSize(TrainConfig.defaultValidationSize(available));
      System.err.printf(
          "validation split: %d of the %d training images (10%%, at most %d; --validation-size "
              + "sets it)%n",
          train.validationSize(), available, TrainConfig.MAX_DEFAULT_VALIDATION);
    }
    Preflight.splitSizes(available, train, vit); // image folders tell their size only now
    FewShotData few = fewShot.load(vit); // read now, so a bad dataset fails before training
    String dataDir = data.dataDir == null ? null : data.dataDir.toString();
    List<String> classes = read.train().classNames();
    RunConfig bare =
        new RunConfig(data.dataset, dataDir, model.variant, vit, train, null, null, classes);
    TrainingRun.Splits splits = TrainingRun.splits(bare, read);
    double[][] meanStd = splits.train().channelMeanStd();
    RunConfig config =
        new RunConfig(
            data.dataset,
            dataDir,
            model.variant,
            vit,
            train,
            toFloat(meanStd[0]),
            toFloat(meanStd[1]),
            classes);
    TrainingRun.check(config, splits);
    return new NewRun(dir, config, splits, few);
  }

  /** The training options over their defaults ({@code augmentation}: the dataset's). */
  private TrainConfig trainConfig(Augmentation augmentation) {
    TrainConfig d = TrainConfig.defaults();
    return new TrainConfig(
        or(epochs, d.epochs()),
        or(batchSize, d.batchSize()),
        or(learningRate, d.learningRate()),
        or(weightDecay, d.weightDecay()),
        or(warmup, d.warmupFraction()),
        or(labelSmoothing, d.labelSmoothing()),
        or(clipNorm, d.clipNorm()),
        seed == null ? d.seed() : seed,
        or(validationSize, d.validationSize()),
        trainLimit,
        or(pad, augmentation.pad()),
        flip == null ? augmentation.horizontalFlip() : flip,
        deterministic != null && deterministic);
  }

  /** runs/ROUTER-TIME in the working directory, in the local time of the machine. */
  private Path defaultOutput() {
    String time =
        LocalDateTime.now(ZoneId.systemDefault())
            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of("runs", model.router + "-" + time);
  }

  /**
   * {@code --resume DIR}: continues the run in DIR with its own configuration; a finished run is
   * left as it is.
   */
  private int resume() throws Exception {
    Errors.input(this::checkResumable);
    if (Files.isRegularFile(resume.resolve(RunDir.RESULT))) {
      System.err.println(
          resume
              + " is finished ("
              + resume.resolve(RunDir.RESULT)
              + "); nothing to do. "
              + "Evaluate it again with 'vimoe eval "
              + resume
              + "'");
      return 0;
    }
    try (RunDir run = RunDir.open(resume, "vimoe train --resume")) {
      RunConfig config = run.config();
      FewShotData few = Errors.input(() -> fewShot.load(config.model()));
      TrainingRun.Splits splits = Errors.input(() -> TrainingRun.splits(config));
      if (run.checkpoint().isEmpty()) {
        System.err.println(resume + " has no checkpoint yet: training from step 0");
      }
      return report(
          TrainingRun.run(config, splits, few, run, progress(), System.err, device.device()),
          resume);
    }
  }

  /**
   * Checks, reading only, that the run in --resume can be resumed with these options: only those
   * that do not change the run, no other process writing it, nothing damaged.
   */
  private RunConfig checkResumable() throws IOException {
    List<String> refused =
        spec.commandLine().getParseResult().matchedOptions().stream()
            .map(CommandLine.Model.OptionSpec::longestName)
            .filter(name -> !RESUME_OPTIONS.contains(name))
            .distinct()
            .toList();
    if (!refused.isEmpty()) {
      throw new IllegalArgumentException(
          String.join(", ", refused)
              + (refused.size() == 1 ? " is" : " are")
              + " not allowed with --resume: a resumed run keeps the configuration in "
              + resume.resolve(RunDir.CONFIG)
              + " (only --fewshot-dataset and --device may change); start a new run with --output instead");
    }
    RunLock.checkFree(resume); // a run being written: name the process, before reading its files
    return TrainingRun.checkResumable(resume); // a damaged run is refused before any repair
  }

  private static TrainingProgress progress() {
    return new TrainingProgress(System.err);
  }

  private static int report(RunResult result, Path dir) {
    System.out.printf("test accuracy %.4f", result.testAccuracy());
    if (result.fewshot(10) != null) {
      System.out.printf(", 10-shot accuracy %.4f", result.fewshot(10).mean());
    }
    Double ips = result.trainImagesPerSecond();
    System.out.printf(
        ", %s training images/s, %.0f s; results in %s%n",
        ips == null ? "-" : String.format("%.0f", ips),
        result.elapsedSeconds(),
        dir.resolve(RunDir.RESULT));
    return 0;
  }

  private static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  private static int or(Integer v, int d) {
    return v == null ? d : v;
  }

  private static double or(Double v, double d) {
    return v == null ? d : v;
  }
}
