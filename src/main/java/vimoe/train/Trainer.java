package vimoe.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import vimoe.data.Augmentation;
import vimoe.data.ImageSet;
import vimoe.eval.Evaluator;
import vimoe.model.VisionTransformer;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.run.Checkpoint;
import vimoe.run.CrashHook;
import vimoe.run.MetricsLog;
import vimoe.run.TrainConfig;

/**
 * The training loop: per step, a batch built from the data (shuffled per epoch by the seed), the
 * forward pass in training mode, label-smoothed cross-entropy plus the MoE layers' auxiliary loss,
 * backward, global gradient clipping, and an AdamW step on a warm-up-then-cosine schedule. Every
 * step's tensors live in an {@link NDScope} closed at the end of the step, so native memory stays
 * flat. The router noise of step t is seeded from (seed, t), so a run resumed from a checkpoint
 * takes exactly the steps an uninterrupted run would ({@link Determinism} makes them
 * bit-identical).
 */
public final class Trainer {
  private final VisionTransformer model;
  private final TrainConfig config;
  private final ImageSet train;
  private final ImageSet validation;
  private final float[] mean;
  private final float[] std;
  private final Augmentation augmentation;

  /** Steps between reads of the loss, accuracy and routing metrics (and lines of metrics.jsonl). */
  public static final int LOG_EVERY = 50;

  /** What the loop reports as it goes. */
  public interface Listener {
    /** Before the first step; {@code firstStep} > 0 when resuming. */
    default void onStart(int totalSteps, int firstStep) {}

    /**
     * After every step; {@code loss} and {@code accuracy} are the means over the steps since the
     * previous read, read every {@link #LOG_EVERY} steps, at the first step and at the end of each
     * epoch, so that the step never waits for the device; between reads the last read values (NaN
     * only before a process's first read).
     */
    default void onStep(
        int step, double loss, double accuracy, double imagesPerSecond, double learningRate) {}

    /** After every epoch, with its summary. */
    default void onEpoch(EpochSummary summary) {}
  }

  /**
   * One epoch's numbers.
   *
   * @param epoch 1-based epoch number
   * @param step global steps done after this epoch
   * @param trainLoss mean training loss (cross-entropy plus auxiliary loss)
   * @param trainAccuracy training accuracy on the augmented batches
   * @param validationAccuracy accuracy on the validation split (NaN without one)
   * @param imagesPerSecond training throughput of this epoch
   * @param seconds wall time of this epoch's training steps
   * @param routing per MoE layer, its training metrics averaged over the epoch's log steps
   */
  public record EpochSummary(
      int epoch,
      int step,
      double trainLoss,
      double trainAccuracy,
      double validationAccuracy,
      double imagesPerSecond,
      double seconds,
      List<RoutingMetrics> routing) {}

  /**
   * Creates a trainer.
   *
   * @param model an initialised model
   * @param mean per-channel normalisation mean
   * @param std per-channel normalisation standard deviation
   */
  public Trainer(
      VisionTransformer model,
      TrainConfig config,
      ImageSet train,
      ImageSet validation,
      float[] mean,
      float[] std,
      Augmentation augmentation) {
    this.model = model;
    this.config = config;
    this.train = train;
    this.validation = validation;
    this.mean = mean;
    this.std = std;
    this.augmentation = augmentation;
    check(model.config().groupImages(), config, train.size());
  }

  /**
   * Checks that {@code config} can train on {@code trainImages} images with routing groups of
   * {@code groupImages} images.
   *
   * @throws IllegalArgumentException naming the option to change
   */
  public static void check(int groupImages, TrainConfig config, int trainImages) {
    if (config.batchSize() % groupImages != 0) {
      throw new IllegalArgumentException(
          "batch_size "
              + config.batchSize()
              + " must be a multiple of the images per routing group ("
              + groupImages
              + "); change --batch-size "
              + "or --group-images");
    }
    if (trainImages < config.batchSize()) {
      throw new IllegalArgumentException(
          "the training split has "
              + trainImages
              + " images, fewer than one batch of "
              + config.batchSize()
              + "; lower --batch-size");
    }
  }

  /** Steps per epoch: whole batches only (the shuffled remainder of each epoch is skipped). */
  public int stepsPerEpoch() {
    return train.size() / config.batchSize();
  }

  /**
   * Trains from epoch {@code startEpoch} (0 for a new run) to the configured number of epochs,
   * writing a checkpoint after every epoch when {@code runDir} is given.
   *
   * @param optimizer the optimizer (restored from a checkpoint when resuming)
   * @return the summaries of the epochs run now
   */
  public List<EpochSummary> fit(
      NDManager manager,
      AdamW optimizer,
      int startEpoch,
      Path runDir,
      Listener listener,
      MetricsLog log)
      throws IOException {
    Checkpoint.State from =
        startEpoch == 0
            ? null
            : new Checkpoint.State(startEpoch, startEpoch * stepsPerEpoch(), 0, 0, 0);
    return fit(manager, optimizer, from, runDir, listener, log);
  }

  /**
   * Trains from the checkpoint state {@code from} (null: from step 0) to the configured number of
   * epochs. After every epoch the parameters are checked finite, the epoch's line is appended to
   * {@code log} and forced to disk, then the checkpoint is saved into {@code runDir} (when given)
   * with the run's totals, so a resumed run reports the wall time and throughput of all its epochs.
   *
   * @param optimizer the optimizer (restored from the checkpoint when resuming)
   * @return the summaries of the epochs run now
   * @throws IllegalStateException when the loss or a parameter stops being finite; the last
   *     checkpoint, written before, stays
   */
  public List<EpochSummary> fit(
      NDManager manager,
      AdamW optimizer,
      Checkpoint.State from,
      Path runDir,
      Listener listener,
      MetricsLog log)
      throws IOException {
    long fitStart = System.nanoTime();
    int startEpoch = from == null ? 0 : from.epoch();
    double previousSeconds = from == null ? 0 : from.elapsedSeconds();
    double trainSeconds = from == null ? 0 : from.trainSeconds();
    long trainImages = from == null ? 0 : from.trainImages();
    int perEpoch = stepsPerEpoch();
    LearningRateSchedule schedule =
        LearningRateSchedule.of(
            config.learningRate(), config.epochs() * perEpoch, config.warmupFraction());
    List<EpochSummary> summaries = new ArrayList<>();
    listener.onStart(config.epochs() * perEpoch, startEpoch * perEpoch);
    List<MoeLayer> layers = model.moeLayers();
    // the last read carries over into the next epoch until that epoch's first read
    double lastLoss = Double.NaN, lastAccuracy = Double.NaN;
    for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
      int[] order = permutation(train.size(), config.seed(), epoch);
      List<List<RoutingMetrics>> routing = new ArrayList<>();
      layers.forEach(l -> routing.add(new ArrayList<>()));
      double lossSum;
      long correct;
      long start = System.nanoTime();
      // the epoch's loss and correct predictions add up on the device; the host reads them only at
      // log steps
      try (NDManager epochManager = manager.newSubManager()) {
        NDArray lossTotal = epochManager.zeros(new Shape(), DataType.FLOAT32);
        NDArray correctTotal = epochManager.zeros(new Shape(), DataType.INT64);
        double lossAtLastLog = 0;
        long correctAtLastLog = 0;
        int lastLogged = -1;
        for (int i = 0; i < perEpoch; i++) {
          int step = epoch * perEpoch + i;
          int[] batch =
              java.util.Arrays.copyOfRange(
                  order, i * config.batchSize(), (i + 1) * config.batchSize());
          double lr = schedule.at(step);
          step(manager, optimizer, batch, epoch, step, lr, lossTotal, correctTotal);
          // Log steps are fixed by the step number alone, so what is logged does not depend on
          // where a
          // resumed process started; the first step of a process is read only to show a loss at
          // once.
          boolean logNow = (step + 1) % LOG_EVERY == 0 || i == perEpoch - 1;
          if (!logNow && step == startEpoch * perEpoch) {
            lastLoss = lossTotal.getFloat();
            lastAccuracy = (double) correctTotal.getLong() / config.batchSize();
          }
          if (logNow) { // the only device-to-host reads of the loop: loss, accuracy, routing
            // metrics
            double lossNow = lossTotal.getFloat();
            long correctNow = correctTotal.getLong();
            int steps = i - lastLogged;
            lastLoss = (lossNow - lossAtLastLog) / steps;
            lastAccuracy =
                (double) (correctNow - correctAtLastLog) / ((long) steps * config.batchSize());
            lossAtLastLog = lossNow;
            correctAtLastLog = correctNow;
            lastLogged = i;
            if (!Double.isFinite(lastLoss)) {
              throw diverged(
                  "the training loss became "
                      + lastLoss
                      + " by step "
                      + (step + 1)
                      + " (epoch "
                      + (epoch + 1)
                      + ")",
                  epoch,
                  runDir);
            }
            for (int l = 0; l < layers.size(); l++) {
              routing.get(l).add(layers.get(l).lastMetrics());
            }
            if (log != null && (step + 1) % LOG_EVERY == 0) {
              log.append(Map.of("step", step + 1, "loss", lastLoss, "learning_rate", lr));
            }
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          listener.onStep(
              step + 1, lastLoss, lastAccuracy, (i + 1) * config.batchSize() / seconds, lr);
          if (CrashHook.divergeAt(step + 1)) {
            poison();
          }
          CrashHook.reached("step-" + (step + 1));
        }
        lossSum = lossAtLastLog;
        correct = correctAtLastLog;
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      trainSeconds += seconds;
      trainImages += (long) perEpoch * config.batchSize();
      String bad = Checkpoint.firstNonFinite(model);
      if (bad != null) {
        throw diverged(
            "parameter " + bad + " is not finite after epoch " + (epoch + 1), epoch, runDir);
      }
      double validationAccuracy =
          validation == null || validation.size() == 0
              ? Double.NaN
              : Evaluator.run(model, validation, mean, std, 256, manager, false, false).accuracy();
      EpochSummary summary =
          new EpochSummary(
              epoch + 1,
              (epoch + 1) * perEpoch,
              lossSum / perEpoch,
              (double) correct / ((long) perEpoch * config.batchSize()),
              validationAccuracy,
              perEpoch * config.batchSize() / seconds,
              seconds,
              routing.stream().map(RoutingMetrics::mean).toList());
      summaries.add(summary);
      if (log != null) {
        log.append(
            epochRecord(summary), true); // before the checkpoint: resuming truncates to its step
      }
      if (runDir != null) {
        Checkpoint.save(
            runDir,
            model,
            optimizer.encodeState(),
            new Checkpoint.State(
                epoch + 1,
                summary.step(),
                previousSeconds + (System.nanoTime() - fitStart) / 1e9,
                trainSeconds,
                trainImages));
      }
      listener.onEpoch(summary);
    }
    return summaries;
  }

  /**
   * The error of a diverged run: what went wrong, which checkpoint is kept, what to try. Both
   * remedies shrink the update: a lower peak learning rate, or a tighter gradient-norm clip.
   */
  private IllegalStateException diverged(String what, int epoch, Path runDir) {
    String kept =
        runDir == null
            ? ""
            : epoch > 0
                ? "; the checkpoint after epoch "
                    + epoch
                    + " in "
                    + runDir.resolve(Checkpoint.DIR)
                    + " is kept (finite)"
                : "; no checkpoint was written";
    String clip =
        config.clipNorm() > 0
            ? "a lower --clip-norm (now " + config.clipNorm() + ")"
            : "--clip-norm 1 (now off)";
    return new IllegalStateException(
        "the run diverged: "
            + what
            + kept
            + "; train again with a lower --lr (now "
            + config.learningRate()
            + ") or "
            + clip);
  }

  /**
   * Test hook ({@link CrashHook#divergeAt}): makes a parameter NaN, as a diverging update would.
   */
  private void poison() {
    model.getParameters().valueAt(0).getArray().muli(Float.NaN);
  }

  /**
   * One optimisation step of the run on the images {@code batch}; adds its loss and correct
   * predictions to the totals.
   */
  private void step(
      NDManager manager,
      AdamW optimizer,
      int[] batch,
      int epoch,
      int step,
      double lr,
      NDArray lossTotal,
      NDArray correctTotal) {
    try (NDScope scope = new NDScope();
        NDManager sub = manager.newSubManager()) {
      NDList data = train.batch(sub, batch, augmentation, config.seed(), epoch, mean, std);
      Engine.getInstance()
          .setRandomSeed((int) mix(config.seed(), step)); // router noise of this step
      NDList lossAndCorrect =
          step(
              model,
              optimizer,
              sub,
              data.get(0),
              data.get(1),
              config.labelSmoothing(),
              config.clipNorm(),
              lr);
      lossTotal.addi(lossAndCorrect.get(0));
      correctTotal.addi(lossAndCorrect.get(1));
    }
  }

  /**
   * One optimisation step on a given batch: forward in training mode, label-smoothed cross-entropy
   * plus the auxiliary loss, backward, global gradient clipping, AdamW. Nothing is copied to the
   * host, so on a GPU the step only queues work. The caller owns the scope of the step's
   * temporaries ({@code manager} should be a per-step sub-manager).
   *
   * @param images (B, Ch, H, W), normalised
   * @param labels (B), integer classes
   * @return [loss (scalar, float32), correct predictions (scalar, int64)], in {@code manager}, on
   *     the model's device
   */
  public static NDList step(
      VisionTransformer model,
      AdamW optimizer,
      NDManager manager,
      NDArray images,
      NDArray labels,
      double labelSmoothing,
      double clipNorm,
      double lr) {
    NDArray total;
    NDArray correct;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDList out = model.forward(optimizer.trainingStore(manager), new NDList(images), true);
      NDArray logits = out.get(0);
      total = Losses.smoothedCrossEntropy(logits, labels, labelSmoothing).add(out.get(1));
      gc.backward(total);
      correct = logits.argMax(1).eq(labels).sum();
    }
    optimizer.step(lr, clipNorm, manager);
    model.moeLayers().forEach(MoeLayer::updateSelectionBias);
    return new NDList(total.stopGradient(), correct);
  }

  /** The trainable parameters of a model, in a fixed order. */
  public static List<Parameter> parameters(VisionTransformer model) {
    return model.getParameters().values().stream().filter(Parameter::requiresGradient).toList();
  }

  /** A seeded Fisher-Yates permutation of 0..n-1 for one epoch. */
  static int[] permutation(int n, long seed, int epoch) {
    SplittableRandom random = new SplittableRandom(mix(seed, 1_000_003L + epoch));
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Mixes two numbers into a well-spread seed (SplitMix64's finaliser). */
  static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & 0x7fffffffL;
  }

  private static Map<String, Object> epochRecord(EpochSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epoch", s.epoch());
    m.put("step", s.step());
    m.put("train_loss", s.trainLoss());
    m.put("train_accuracy", s.trainAccuracy());
    m.put(
        "validation_accuracy",
        Double.isNaN(s.validationAccuracy()) ? null : s.validationAccuracy());
    m.put("images_per_second", s.imagesPerSecond());
    m.put("epoch_seconds", s.seconds());
    m.put("routing", s.routing().stream().map(RoutingMetrics::toMap).toList());
    return m;
  }
}
