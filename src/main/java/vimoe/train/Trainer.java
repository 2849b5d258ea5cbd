package vimoe.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import vimoe.data.Augmentation;
import vimoe.data.ImageSet;
import vimoe.eval.Evaluator;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.run.Checkpoint;
import vimoe.run.TrainConfig;

/**
 * The training loop, in the shape of DJL's {@code EasyTrain.fit}: per step, a batch built from the
 * data (shuffled per epoch by the seed), the forward pass in training mode, label-smoothed
 * cross-entropy plus the MoE layers' auxiliary loss, backward, global gradient clipping, and an
 * AdamW step on a warm-up-then-cosine schedule; after each epoch, the validation accuracy.
 * Everything else a run does as it trains is a {@link Listener}, as DJL's {@code TrainingListener}s
 * are: the divergence guard ({@link DivergenceGuard}), {@code metrics.jsonl} ({@link
 * MetricsLogger}), checkpoints ({@link CheckpointSaver}) and progress. Every step's tensors live in
 * an {@link NDScope} closed at the end of the step, so native memory stays flat. The router noise
 * of step t is seeded from (seed, t), so a run resumed from a checkpoint takes exactly the steps an
 * uninterrupted run would ({@link Determinism} makes them bit-identical).
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

  /**
   * What the loop reports as it goes, in the shape of DJL's {@code TrainingListener}: the start,
   * every step, every epoch. {@link #fit} calls its listeners in the order given; one that throws
   * stops training there.
   */
  public interface Listener {
    /** Before the first step; {@code firstStep} > 0 when resuming. */
    default void onTrainingBegin(int totalSteps, int firstStep) {}

    /** After every step. */
    default void onTrainingBatch(Step step) {}

    /** After every epoch, with its summary. */
    default void onEpoch(EpochSummary summary) {}
  }

  /**
   * One training step, as the host sees it.
   *
   * @param epoch 1-based epoch number
   * @param step global steps done, this one included
   * @param read whether loss, accuracy and routing metrics were read from the device at this step:
   *     every {@link #LOG_EVERY} steps and at the end of each epoch, the loop's only reads, so that
   *     the step never waits for the device otherwise
   * @param loss mean training loss over the steps since the previous read; between reads the last
   *     read value (NaN only before a process's first read)
   * @param accuracy mean training accuracy, read as {@code loss} is
   * @param imagesPerSecond training throughput of the epoch so far
   * @param learningRate the step's learning rate
   */
  public record Step(
      int epoch,
      int step,
      boolean read,
      double loss,
      double accuracy,
      double imagesPerSecond,
      double learningRate) {}

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
   * @param routingState per MoE layer, the state a router adapts as it trains ({@link
   *     MoeLayer#adaptiveState()}: ReLU routing's L1 weight and positive gates per token), empty
   *     maps for the other routers
   */
  public record EpochSummary(
      int epoch,
      int step,
      double trainLoss,
      double trainAccuracy,
      double validationAccuracy,
      double imagesPerSecond,
      double seconds,
      List<RoutingMetrics> routing,
      List<java.util.Map<String, Double>> routingState) {}

  /**
   * Creates a trainer.
   *
   * @param model an initialised model
   * @param mean per-channel normalisation mean
   * @param std per-channel normalisation standard deviation
   * @throws IllegalArgumentException when the batch does not suit the model or the data ({@link
   *     #check})
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
    check(model.config(), config, train.size());
  }

  /**
   * Checks that {@code config} can train {@code model} on {@code trainImages} images: a batch fills
   * whole routing groups ({@link VitConfig#checkWholeGroups}) and the images fill at least one
   * batch. The one home of the batch-size checks.
   *
   * @throws IllegalArgumentException naming the options to change
   */
  public static void check(VitConfig model, TrainConfig config, long trainImages) {
    VitConfig.checkWholeGroups(config.batchSize(), model.groupImages());
    if (trainImages < config.batchSize()) {
      throw new IllegalArgumentException(
          "--batch-size "
              + config.batchSize()
              + " is more than the "
              + trainImages
              + " training images left after the validation split; lower --batch-size or "
              + "--validation-size, or raise --train-limit");
    }
  }

  /** Steps per epoch: whole batches only (the shuffled remainder of each epoch is skipped). */
  public int stepsPerEpoch() {
    return train.size() / config.batchSize();
  }

  /**
   * Trains from the checkpoint state {@code from} (null: from step 0) to the configured number of
   * epochs, telling {@code listeners}, in their order, of the start, of every step and of every
   * epoch.
   *
   * @param optimizer the optimizer (restored from the checkpoint when resuming)
   * @return the summaries of the epochs run now
   * @throws IOException when a listener cannot write its file
   */
  public List<EpochSummary> fit(
      NDManager manager, AdamW optimizer, Checkpoint.State from, List<? extends Listener> listeners)
      throws IOException {
    Listener all = new All(listeners);
    int perEpoch = stepsPerEpoch();
    int startEpoch = from == null ? 0 : from.epoch();
    LearningRateSchedule schedule =
        LearningRateSchedule.of(
            config.learningRate(), config.epochs() * perEpoch, config.warmupFraction());
    StepMeter meter = new StepMeter(config.batchSize(), model.moeLayers());
    List<EpochSummary> summaries = new ArrayList<>();
    try {
      all.onTrainingBegin(config.epochs() * perEpoch, startEpoch * perEpoch);
      for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
        EpochSummary summary =
            trainEpoch(manager, optimizer, schedule, meter, epoch, startEpoch * perEpoch, all);
        summaries.add(summary);
        all.onEpoch(summary);
      }
    } catch (UncheckedIOException e) { // a listener's file
      throw e.getCause();
    }
    return summaries;
  }

  /** The steps of epoch {@code epoch} (0-based), then its validation accuracy and summary. */
  private EpochSummary trainEpoch(
      NDManager manager,
      AdamW optimizer,
      LearningRateSchedule schedule,
      StepMeter meter,
      int epoch,
      int firstStep,
      Listener listener) {
    int perEpoch = stepsPerEpoch(), batch = config.batchSize();
    int[] order = permutation(train.size(), config.seed(), epoch);
    long start = System.nanoTime();
    meter.beginEpoch(manager);
    try {
      for (int i = 0; i < perEpoch; i++) {
        int step = epoch * perEpoch + i;
        double lr = schedule.at(step);
        step(
            manager,
            optimizer,
            Arrays.copyOfRange(order, i * batch, (i + 1) * batch),
            epoch,
            step,
            lr,
            meter);
        // Log steps are fixed by the step number alone, so what is logged does not depend on where
        // a resumed process started; the first step of a process is read only to show a loss at
        // once.
        boolean read = (step + 1) % LOG_EVERY == 0 || i == perEpoch - 1;
        if (read) {
          meter.read(i);
        } else if (step == firstStep) {
          meter.peek();
        }
        double imagesPerSecond = (i + 1) * batch / ((System.nanoTime() - start) / 1e9);
        listener.onTrainingBatch(meter.step(epoch + 1, step + 1, read, imagesPerSecond, lr));
      }
      return summary(epoch, meter, (System.nanoTime() - start) / 1e9, manager);
    } finally {
      meter.endEpoch();
    }
  }

  /** The summary of epoch {@code epoch} (0-based), its steps trained in {@code seconds}. */
  private EpochSummary summary(int epoch, StepMeter meter, double seconds, NDManager manager) {
    int perEpoch = stepsPerEpoch(), batch = config.batchSize();
    return new EpochSummary(
        epoch + 1,
        (epoch + 1) * perEpoch,
        meter.epochLoss() / perEpoch,
        (double) meter.epochCorrect() / ((long) perEpoch * batch),
        validationAccuracy(manager),
        perEpoch * batch / seconds,
        seconds,
        meter.epochRouting(),
        model.moeLayers().stream().map(MoeLayer::adaptiveState).toList());
  }

  private double validationAccuracy(NDManager manager) {
    return validation == null || validation.size() == 0
        ? Double.NaN
        : Evaluator.run(model, validation, mean, std, 256, manager, false, false).accuracy();
  }

  /** Listeners called in their order, as one. */
  private record All(List<? extends Listener> listeners) implements Listener {
    @Override
    public void onTrainingBegin(int totalSteps, int firstStep) {
      listeners.forEach(l -> l.onTrainingBegin(totalSteps, firstStep));
    }

    @Override
    public void onTrainingBatch(Step step) {
      listeners.forEach(l -> l.onTrainingBatch(step));
    }

    @Override
    public void onEpoch(EpochSummary summary) {
      listeners.forEach(l -> l.onEpoch(summary));
    }
  }

  /**
   * One optimisation step of the run on the images {@code batch}; adds its loss and correct
   * predictions to the meter's device totals.
   */
  private void step(
      NDManager manager,
      AdamW optimizer,
      int[] batch,
      int epoch,
      int step,
      double lr,
      StepMeter meter) {
    try (NDScope scope = new NDScope();
        NDManager sub = manager.newSubManager()) {
      NDList data = train.batch(sub, batch, augmentation, config.seed(), epoch, mean, std);
      Engine.getInstance()
          .setRandomSeed((int) mix(config.seed(), step)); // router noise of this step
      meter.add(
          step(
              model,
              optimizer,
              sub,
              data.get(0),
              data.get(1),
              config.labelSmoothing(),
              config.clipNorm(),
              lr));
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
    model.moeLayers().forEach(MoeLayer::updateL1Weight);
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
}
