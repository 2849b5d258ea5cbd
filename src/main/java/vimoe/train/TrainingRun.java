package vimoe.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.Augmentation;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.ImageSet;
import vimoe.data.TrainTest;
import vimoe.eval.Evaluation;
import vimoe.eval.FewShotData;
import vimoe.model.Devices;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;
import vimoe.run.CrashHook;
import vimoe.run.EvalResult;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;
import vimoe.run.RunResult;
import vimoe.run.TrainConfig;

/**
 * A whole run: read the data, hold out the validation split, build and initialise the model, train
 * with checkpoints, then evaluate on the test split and write {@code result.json}. The run
 * directory ({@link RunDir}) holds {@code config.json}, {@code metrics.jsonl}, {@code checkpoint/}
 * and {@code result.json}.
 */
public final class TrainingRun {
  private TrainingRun() {}

  /**
   * More evaluation of the trained model while it is in memory, after {@code result.json}'s
   * evaluation and before that file is written (a caller that saves its own file first makes a run
   * whose {@code result.json} exists complete).
   */
  @FunctionalInterface
  public interface AfterEvaluation {
    /** Evaluates {@code model}, whose arrays live in {@code manager}; {@code result} is its own. */
    void accept(VisionTransformer model, NDManager manager, EvalResult result) throws IOException;
  }

  /** The data of a run: the training, validation and test splits. */
  public record Splits(ImageSet train, ImageSet validation, ImageSet test) {}

  /**
   * Reads the dataset of {@code config} and makes the splits (train limit, then validation
   * hold-out).
   */
  public static Splits splits(RunConfig config) throws IOException {
    var model = config.model();
    return splits(
        config,
        Datasets.load(
            DatasetSpec.parse(config.dataset()),
            config.dataDir() == null ? null : Path.of(config.dataDir()),
            model.channels(),
            model.imageSize(),
            model.imageSize()));
  }

  /** Makes the splits of {@code config} from data already read in the model's input format. */
  public static Splits splits(RunConfig config, TrainTest data) {
    ImageSet train = data.train();
    TrainConfig t = config.train();
    if (t.trainLimit() != null) {
      train = train.head(t.trainImages(train.size()));
    }
    checkValidationSize(t, train.size());
    ImageSet.Split split = train.split(t.validationSize(), t.seed());
    return new Splits(split.train(), split.validation(), data.test());
  }

  /**
   * Checks that the validation split of {@code config} leaves training images out of {@code
   * images}: the one home of that check.
   *
   * @throws IllegalArgumentException naming the options to change
   */
  public static void checkValidationSize(TrainConfig config, long images) {
    if (config.validationSize() >= images) {
      throw new IllegalArgumentException(
          "--validation-size "
              + config.validationSize()
              + " leaves no training images out of "
              + images
              + "; lower --validation-size or raise --train-limit");
    }
  }

  /**
   * Checks what only the data can tell (a batch larger than the training split, a batch that is not
   * a whole number of routing groups), before a run directory is created.
   *
   * @throws IllegalArgumentException naming the option to change
   */
  public static void check(RunConfig config, Splits data) {
    Trainer.check(config.model(), config.train(), data.train().size());
  }

  /**
   * Checks, reading only, that the run in {@code runDir} can be resumed: its {@code config.json}
   * and the checkpoint that opening the run would keep (state, parameters, optimizer state), so
   * that a damaged run is refused before its lock is taken or anything is repaired.
   *
   * @return the run's configuration
   * @throws IOException naming the damaged file and what to do
   */
  public static RunConfig checkResumable(Path runDir) throws IOException {
    RunConfig config = RunDir.readConfigOf(runDir);
    Path checkpoint = Checkpoint.readable(runDir);
    if (Checkpoint.holdsParameters(checkpoint)) {
      Checkpoint.stateOf(checkpoint);
      try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
        VisionTransformer model = build(config, manager);
        Checkpoint.loadParameters(checkpoint, model, manager);
        AdamW optimizer =
            new AdamW(Trainer.parameters(model), config.train().weightDecay(), manager);
        Checkpoint.loadOptimizerFrom(
            checkpoint, optimizer.stateLayout(), bytes -> optimizer.decodeState(bytes, manager));
      }
    }
    return config;
  }

  /**
   * Trains and evaluates in {@code runDir}, a new run (created there) or, with {@code resume}, the
   * run there continued from its checkpoint. Holds the directory's lock meanwhile.
   *
   * @return the result written to {@code result.json}
   */
  public static RunResult run(
      RunConfig config,
      Splits data,
      Path runDir,
      boolean resume,
      Trainer.Listener listener,
      PrintStream log)
      throws IOException {
    try (RunDir dir =
        resume
            ? RunDir.open(runDir, "vimoe train --resume")
            : RunDir.create(runDir, config, "vimoe train")) {
      return run(resume ? dir.config() : config, data, null, dir, listener, log);
    }
  }

  /**
   * Trains and evaluates the run of the open directory {@code dir}, whose {@code config.json} is
   * {@code config}: from its checkpoint when it has one, otherwise from step 0. The few-shot probe
   * runs on {@code fewShot} (null: on the training dataset).
   *
   * @return the result written to {@code result.json}
   */
  public static RunResult run(
      RunConfig config,
      Splits data,
      FewShotData fewShot,
      RunDir dir,
      Trainer.Listener listener,
      PrintStream log)
      throws IOException {
    return run(config, data, fewShot, dir, listener, log, Devices.defaultDevice());
  }

  /**
   * As {@link #run(RunConfig, Splits, FewShotData, RunDir, Trainer.Listener, PrintStream)}, on
   * {@code device}: the model, the optimizer and every step's arrays live there.
   */
  public static RunResult run(
      RunConfig config,
      Splits data,
      FewShotData fewShot,
      RunDir dir,
      Trainer.Listener listener,
      PrintStream log,
      Device device)
      throws IOException {
    return run(config, data, fewShot, dir, listener, log, device, null);
  }

  /**
   * As {@link #run(RunConfig, Splits, FewShotData, RunDir, Trainer.Listener, PrintStream, Device)},
   * with {@code after} (when not null) given the trained model before {@code result.json} is
   * written.
   */
  public static RunResult run(
      RunConfig config,
      Splits data,
      FewShotData fewShot,
      RunDir dir,
      Trainer.Listener listener,
      PrintStream log,
      Device device,
      AfterEvaluation after)
      throws IOException {
    long started = System.nanoTime();
    dir.repairs().forEach(r -> log.println("repaired " + dir.path() + ": " + r));
    Checkpoint.State from = dir.checkpoint().orElse(null);
    CrashHook.reached("started");
    try (Determinism mode = Determinism.enter(config.train().deterministic());
        NDManager manager = NDManager.newBaseManager(device)) {
      VisionTransformer model = build(config, manager);
      AdamW optimizer = new AdamW(Trainer.parameters(model), config.train().weightDecay(), manager);
      restore(dir, from, model, optimizer, manager, config.train().epochs(), log);
      Trainer trainer =
          new Trainer(
              model,
              config.train(),
              data.train(),
              data.validation(),
              config.mean(),
              config.std(),
              new Augmentation(config.train().pad(), config.train().flip()));
      long imagesPerEpoch = (long) trainer.stepsPerEpoch() * config.train().batchSize();
      List<Trainer.Listener> listeners =
          listeners(config, dir, from, model, optimizer, imagesPerEpoch, listener, manager);
      List<Trainer.EpochSummary> epochs = trainer.fit(manager, optimizer, from, listeners);
      double lastValidation =
          epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).validationAccuracy();
      EvalResult evaluation =
          Evaluation.evaluate(
              model,
              config,
              data.train(),
              data.validation(),
              data.test(),
              lastValidation,
              fewShot,
              manager,
              log);
      if (after != null) {
        after.accept(model, manager, evaluation);
      }
      CrashHook.reached("result-1");
      RunResult result =
          RunResult.of(
              config.model().router().router(),
              config.train().seed(),
              config.train().epochs(),
              evaluation,
              trainingRate(from, epochs, imagesPerEpoch),
              (from == null ? 0 : from.elapsedSeconds()) + (System.nanoTime() - started) / 1e9);
      dir.writeResult(result);
      return result;
    }
  }

  /**
   * The listeners of a run, in their order: the divergence guard first, so that neither the log nor
   * the checkpoint records a diverged epoch; the metrics log before the checkpoint, which resuming
   * truncates the log to; the caller's {@code listener} once the epoch is safe; test hooks last.
   */
  private static List<Trainer.Listener> listeners(
      RunConfig config,
      RunDir dir,
      Checkpoint.State from,
      VisionTransformer model,
      AdamW optimizer,
      long imagesPerEpoch,
      Trainer.Listener listener,
      NDManager manager) {
    List<Trainer.Listener> listeners = new ArrayList<>();
    listeners.add(new DivergenceGuard(model, config.train(), dir.path()));
    listeners.add(new MetricsLogger(dir.metrics(), model.moeBlockIndices()));
    listeners.add(new CheckpointSaver(dir.path(), model, optimizer, from, imagesPerEpoch));
    listeners.add(listener);
    TestHooks.ifActive(model, optimizer, manager).ifPresent(listeners::add);
    return listeners;
  }

  /**
   * Restores the model and optimizer from the checkpoint {@code from} (null: a new run, nothing to
   * restore) and keeps the metrics log up to its step.
   */
  private static void restore(
      RunDir dir,
      Checkpoint.State from,
      VisionTransformer model,
      AdamW optimizer,
      NDManager manager,
      int epochs,
      PrintStream log)
      throws IOException {
    if (from == null) {
      dir.metrics().truncateAfter(0);
      return;
    }
    Checkpoint.loadModel(dir.path(), model, manager);
    Trainer.parameters(model).forEach(p -> p.getArray().setRequiresGradient(true));
    Checkpoint.loadOptimizer(
        dir.path(), optimizer.stateLayout(), bytes -> optimizer.decodeState(bytes, manager));
    dir.metrics().truncateAfter(from.step());
    log.printf("resuming %s after epoch %d of %d%n", dir.path(), from.epoch(), epochs);
  }

  /**
   * Training images per second over all the run's epochs, those of earlier processes included; null
   * when no time was measured.
   */
  private static Double trainingRate(
      Checkpoint.State from, List<Trainer.EpochSummary> epochs, long imagesPerEpoch) {
    double seconds =
        (from == null ? 0 : from.trainSeconds())
            + epochs.stream().mapToDouble(Trainer.EpochSummary::seconds).sum();
    long images = (from == null ? 0 : from.trainImages()) + epochs.size() * imagesPerEpoch;
    return seconds > 0 ? images / seconds : null;
  }

  /**
   * Builds the model of a configuration and initialises it with the run's seed: every parameter is
   * drawn from its own stream, seeded from (seed, its name), so that two models of the same seed
   * that differ only in some blocks (a router, or dense against MoE) start with bit-identical
   * values in every parameter they share (patch embedding, position embedding, attention blocks,
   * norms, head), and runs paired by seed differ only by what the router changes.
   */
  public static VisionTransformer build(RunConfig config, NDManager manager) {
    var m = config.model();
    Engine.getInstance().setRandomSeed((int) Trainer.mix(config.train().seed(), 0));
    VisionTransformer model = new VisionTransformer(m);
    model.initialize(
        manager,
        DataType.FLOAT32,
        new Shape(m.groupImages(), m.channels(), m.imageSize(), m.imageSize()));
    long seed = config.train().seed();
    for (Pair<String, Parameter> p : model.getParameters()) {
      Parameter parameter = p.getValue();
      NDArray value = parameter.getArray();
      if (parameter.getInitializer() == null) {
        continue;
      }
      // String.hashCode is specified, so the stream of a name is the same in every JVM
      Engine.getInstance().setRandomSeed((int) Trainer.mix(seed, 0x5EEDL + p.getKey().hashCode()));
      try (NDArray fresh =
          parameter
              .getInitializer()
              .initialize(value.getManager(), value.getShape(), value.getDataType())) {
        // Not NDArray.set(buffer): DJL's PyTorch engine writes it under the deprecated
        // AutoNonVariableTypeMode guard, which warns of "silent wrong results". 0 * x + fresh is
        // fresh exactly (every initial value is finite); in place needs the gradient off.
        boolean gradient = value.hasGradient();
        value.setRequiresGradient(false);
        value.muli(0).addi(fresh);
        if (gradient) {
          value.setRequiresGradient(true);
        }
      }
    }
    return model;
  }
}
