package vimoe.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vimoe.data.Augmentation;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.ImageSet;
import vimoe.data.TrainTest;
import vimoe.eval.Evaluation;
import vimoe.eval.FewShotData;
import vimoe.model.Devices;
import vimoe.model.VisionTransformer;

/**
 * A whole run: read the data, hold out the validation split, build and initialise the model,
 * train with checkpoints, then evaluate on the test split and write {@code result.json}. The run
 * directory holds {@code config.json}, {@code metrics.jsonl}, {@code checkpoint/} and {@code result.json}.
 */
public final class TrainingRun {
    /** The JSON writer of run files. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainingRun() {}

    /** The data of a run: the training, validation and test splits. */
    public record Splits(ImageSet train, ImageSet validation, ImageSet test) {}

    /** Reads the dataset of {@code config} and makes the splits (train limit, then validation hold-out). */
    public static Splits splits(RunConfig config) throws IOException {
        var model = config.model();
        return splits(config, Datasets.load(DatasetSpec.parse(config.dataset()),
                config.dataDir() == null ? null : Path.of(config.dataDir()), model.channels(), model.imageSize(),
                model.imageSize()));
    }

    /** Makes the splits of {@code config} from data already read in the model's input format. */
    public static Splits splits(RunConfig config, TrainTest data) {
        ImageSet train = data.train();
        TrainConfig t = config.train();
        if (t.trainLimit() > 0) {
            train = train.head(Math.min(t.trainLimit(), train.size()));
        }
        if (t.validationSize() >= train.size()) {
            throw new IllegalArgumentException("validation_size " + t.validationSize() + " leaves no training images out of "
                    + train.size() + "; lower --validation-size or raise --train-limit");
        }
        ImageSet.Split split = train.split(t.validationSize(), t.seed());
        return new Splits(split.train(), split.validation(), data.test());
    }

    /**
     * Trains and evaluates. With {@code resume}, continues the run in {@code runDir} from its last
     * checkpoint with the configuration saved there.
     *
     * @return the result written to {@code result.json}
     */
    public static Map<String, Object> run(RunConfig config, Splits data, Path runDir, boolean resume,
            Trainer.Listener listener, PrintStream log) throws IOException {
        return run(config, data, null, runDir, resume, listener, log);
    }

    /**
     * As {@link #run(RunConfig, Splits, Path, boolean, Trainer.Listener, PrintStream)}, with the
     * few-shot probe on {@code fewShot} (null: on the training dataset).
     */
    public static Map<String, Object> run(RunConfig config, Splits data, FewShotData fewShot, Path runDir,
            boolean resume, Trainer.Listener listener, PrintStream log) throws IOException {
        return run(config, data, fewShot, runDir, resume, listener, log, Devices.defaultDevice());
    }

    /**
     * As {@link #run(RunConfig, Splits, FewShotData, Path, boolean, Trainer.Listener, PrintStream)},
     * on {@code device}: the model, the optimizer and every step's arrays live there.
     */
    public static Map<String, Object> run(RunConfig config, Splits data, FewShotData fewShot, Path runDir,
            boolean resume, Trainer.Listener listener, PrintStream log, Device device) throws IOException {
        Files.createDirectories(runDir);
        long started = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            VisionTransformer model = build(config, manager);
            AdamW optimizer = new AdamW(Trainer.parameters(model), config.train().weightDecay(), manager);
            MetricsLog metrics = new MetricsLog(runDir.resolve("metrics.jsonl"));
            int startEpoch = 0;
            double previousSeconds = 0;
            if (resume) {
                Checkpoint.loadModel(runDir, model, manager);
                Trainer.parameters(model).forEach(p -> p.getArray().setRequiresGradient(true));
                Checkpoint.loadOptimizer(runDir, optimizer, manager);
                Map<String, Object> state = Checkpoint.loadState(runDir);
                startEpoch = ((Number) state.get("epoch")).intValue();
                previousSeconds = ((Number) state.getOrDefault("elapsed_seconds", 0)).doubleValue();
                metrics.truncateAfter(((Number) state.get("step")).intValue());
                log.printf("resuming %s after epoch %d of %d%n", runDir, startEpoch, config.train().epochs());
            } else {
                writeAtomically(runDir.resolve("config.json"), JSON.writeValueAsBytes(config));
                Files.deleteIfExists(runDir.resolve("metrics.jsonl"));
            }
            Augmentation augmentation = new Augmentation(config.train().pad(), config.train().flip());
            Trainer trainer = new Trainer(model, config.train(), data.train(), data.validation(), config.mean(),
                    config.std(), augmentation);
            List<Trainer.EpochSummary> epochs = trainer.fit(manager, optimizer, startEpoch, previousSeconds, runDir,
                    listener, metrics);
            double trainSeconds = epochs.stream().mapToDouble(Trainer.EpochSummary::seconds).sum();
            long trainImages = (long) epochs.size() * trainer.stepsPerEpoch() * config.train().batchSize();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("router", config.model().router().router());
            result.put("seed", config.train().seed());
            result.put("epochs", config.train().epochs());
            double lastValidation = epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).validationAccuracy();
            result.putAll(Evaluation.evaluate(model, config, data.train(), data.validation(), data.test(),
                    lastValidation, fewShot, manager, log));
            result.put("images_per_second", trainSeconds > 0 ? trainImages / trainSeconds : null);
            result.put("elapsed_seconds", previousSeconds + (System.nanoTime() - started) / 1e9);
            writeAtomically(runDir.resolve("result.json"), JSON.writeValueAsBytes(result));
            return result;
        }
    }

    /** Builds the model of a configuration and initialises it with the run's seed. */
    public static VisionTransformer build(RunConfig config, NDManager manager) {
        var m = config.model();
        Engine.getInstance().setRandomSeed((int) Trainer.mix(config.train().seed(), 0));
        VisionTransformer model = new VisionTransformer(m);
        model.initialize(manager, DataType.FLOAT32,
                new Shape(m.groupImages(), m.channels(), m.imageSize(), m.imageSize()));
        return model;
    }

    /** Writes {@code bytes} to a temporary sibling and renames it over {@code file}. */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
