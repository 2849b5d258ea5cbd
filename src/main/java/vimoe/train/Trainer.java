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
import ai.djl.training.ParameterStore;
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

/**
 * The training loop: per step, a batch built from the data (shuffled per epoch by the seed), the
 * forward pass in training mode, label-smoothed cross-entropy plus the MoE layers' auxiliary loss,
 * backward, global gradient clipping, and an AdamW step on a warm-up-then-cosine schedule. Every
 * step's tensors live in an {@link NDScope} closed at the end of the step, so native memory stays
 * flat. The router noise of step t is seeded from (seed, t), so a run resumed from a checkpoint
 * takes exactly the steps an uninterrupted run would.
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
         * previous read, read every {@link #LOG_EVERY} steps, at the first step and at the end of
         * each epoch (NaN before the first read), so that the step never waits for the device.
         */
        default void onStep(int step, double loss, double accuracy, double imagesPerSecond, double learningRate) {}

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
    public record EpochSummary(int epoch, int step, double trainLoss, double trainAccuracy, double validationAccuracy,
            double imagesPerSecond, double seconds, List<RoutingMetrics> routing) {}

    /**
     * Creates a trainer.
     *
     * @param model an initialised model
     * @param mean per-channel normalisation mean
     * @param std per-channel normalisation standard deviation
     */
    public Trainer(VisionTransformer model, TrainConfig config, ImageSet train, ImageSet validation, float[] mean,
            float[] std, Augmentation augmentation) {
        this.model = model;
        this.config = config;
        this.train = train;
        this.validation = validation;
        this.mean = mean;
        this.std = std;
        this.augmentation = augmentation;
        int group = model.config().groupImages();
        if (config.batchSize() % group != 0) {
            throw new IllegalArgumentException("batch_size " + config.batchSize()
                    + " must be a multiple of the images per routing group (" + group + ")");
        }
        if (train.size() < config.batchSize()) {
            throw new IllegalArgumentException("the training split has " + train.size()
                    + " images, fewer than one batch of " + config.batchSize() + "; lower --batch-size");
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
    public List<EpochSummary> fit(NDManager manager, AdamW optimizer, int startEpoch, Path runDir, Listener listener,
            MetricsLog log) throws IOException {
        return fit(manager, optimizer, startEpoch, 0, runDir, listener, log);
    }

    /**
     * As {@link #fit(NDManager, AdamW, int, Path, Listener, MetricsLog)}, for a run that already
     * spent {@code previousSeconds} before its checkpoint; checkpoints record the total as
     * {@code elapsed_seconds}.
     */
    public List<EpochSummary> fit(NDManager manager, AdamW optimizer, int startEpoch, double previousSeconds,
            Path runDir, Listener listener, MetricsLog log) throws IOException {
        long fitStart = System.nanoTime();
        int perEpoch = stepsPerEpoch();
        LearningRateSchedule schedule = LearningRateSchedule.of(config.learningRate(), config.epochs() * perEpoch,
                config.warmupFraction());
        List<EpochSummary> summaries = new ArrayList<>();
        listener.onStart(config.epochs() * perEpoch, startEpoch * perEpoch);
        List<MoeLayer> layers = model.moeLayers();
        for (int epoch = startEpoch; epoch < config.epochs(); epoch++) {
            int[] order = permutation(train.size(), config.seed(), epoch);
            List<List<RoutingMetrics>> routing = new ArrayList<>();
            layers.forEach(l -> routing.add(new ArrayList<>()));
            double lossSum;
            long correct;
            long start = System.nanoTime();
            // the epoch's loss and correct predictions add up on the device; the host reads them only at log steps
            try (NDManager epochManager = manager.newSubManager()) {
                NDArray lossTotal = epochManager.zeros(new Shape(), DataType.FLOAT32);
                NDArray correctTotal = epochManager.zeros(new Shape(), DataType.INT64);
                double lastLoss = Double.NaN, lastAccuracy = Double.NaN, lossAtLastLog = 0;
                long correctAtLastLog = 0;
                int lastLogged = -1;
                for (int i = 0; i < perEpoch; i++) {
                    int step = epoch * perEpoch + i;
                    int[] batch = java.util.Arrays.copyOfRange(order, i * config.batchSize(), (i + 1) * config.batchSize());
                    double lr = schedule.at(step);
                    step(manager, optimizer, batch, epoch, step, lr, lossTotal, correctTotal);
                    boolean logNow = (step + 1) % LOG_EVERY == 0 || i == perEpoch - 1 || step == startEpoch * perEpoch;
                    if (logNow) { // the only device-to-host reads of the loop: loss, accuracy, routing metrics
                        double lossNow = lossTotal.getFloat();
                        long correctNow = correctTotal.getLong();
                        int steps = i - lastLogged;
                        lastLoss = (lossNow - lossAtLastLog) / steps;
                        lastAccuracy = (double) (correctNow - correctAtLastLog) / ((long) steps * config.batchSize());
                        lossAtLastLog = lossNow;
                        correctAtLastLog = correctNow;
                        lastLogged = i;
                        if (!Double.isFinite(lastLoss)) {
                            throw new IllegalStateException("the training loss became " + lastLoss + " by step "
                                    + (step + 1) + "; lower --lr or raise --clip-norm");
                        }
                        for (int l = 0; l < layers.size(); l++) {
                            routing.get(l).add(layers.get(l).lastMetrics());
                        }
                        if (log != null && (step + 1) % LOG_EVERY == 0) {
                            log.append(Map.of("step", step + 1, "loss", lastLoss, "learning_rate", lr));
                        }
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    listener.onStep(step + 1, lastLoss, lastAccuracy, (i + 1) * config.batchSize() / seconds, lr);
                }
                lossSum = lossAtLastLog;
                correct = correctAtLastLog;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double validationAccuracy = validation == null || validation.size() == 0 ? Double.NaN
                    : Evaluator.run(model, validation, mean, std, 256, manager, false, false).accuracy();
            EpochSummary summary = new EpochSummary(epoch + 1, (epoch + 1) * perEpoch, lossSum / perEpoch,
                    (double) correct / ((long) perEpoch * config.batchSize()), validationAccuracy,
                    perEpoch * config.batchSize() / seconds, seconds,
                    routing.stream().map(RoutingMetrics::mean).toList());
            summaries.add(summary);
            if (runDir != null) {
                Checkpoint.save(runDir, model, optimizer, Map.of("epoch", epoch + 1, "step", summary.step(),
                        "elapsed_seconds", previousSeconds + (System.nanoTime() - fitStart) / 1e9));
            }
            if (log != null) {
                log.append(epochRecord(summary));
            }
            listener.onEpoch(summary);
        }
        return summaries;
    }

    /** One optimisation step of the run on the images {@code batch}; adds its loss and correct predictions to the totals. */
    private void step(NDManager manager, AdamW optimizer, int[] batch, int epoch, int step, double lr,
            NDArray lossTotal, NDArray correctTotal) {
        try (NDScope scope = new NDScope(); NDManager sub = manager.newSubManager()) {
            NDList data = train.batch(sub, batch, augmentation, config.seed(), epoch, mean, std);
            Engine.getInstance().setRandomSeed((int) mix(config.seed(), step)); // router noise of this step
            NDList lossAndCorrect = step(model, optimizer, sub, data.get(0), data.get(1), config.labelSmoothing(),
                    config.clipNorm(), lr);
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
     * @return [loss (scalar, float32), correct predictions (scalar, int64)], in {@code manager}, on the model's device
     */
    public static NDList step(VisionTransformer model, AdamW optimizer, NDManager manager, NDArray images,
            NDArray labels, double labelSmoothing, double clipNorm, double lr) {
        NDArray total;
        NDArray correct;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList out = model.forward(new ParameterStore(manager, false), new NDList(images), true);
            NDArray logits = out.get(0);
            total = Losses.smoothedCrossEntropy(logits, labels, labelSmoothing).add(out.get(1));
            gc.backward(total);
            correct = logits.argMax(1).eq(labels).sum();
        }
        optimizer.step(lr, clipNorm, manager);
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
        m.put("validation_accuracy", Double.isNaN(s.validationAccuracy()) ? null : s.validationAccuracy());
        m.put("images_per_second", s.imagesPerSecond());
        m.put("epoch_seconds", s.seconds());
        m.put("routing", s.routing().stream().map(RoutingMetrics::toMap).toList());
        return m;
    }
}
