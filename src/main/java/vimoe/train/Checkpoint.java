package vimoe.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A checkpoint directory {@code checkpoint/} inside a run directory: {@code model.params} (the
 * block's parameters), {@code optimizer.bin} (AdamW state), {@code state.json} (epoch, step and
 * anything else the trainer records) and a copy of the run's {@code config.json}, so that a
 * checkpoint copied elsewhere still says which model it holds. It is written to a temporary
 * directory and renamed into place, so a crash never leaves a half-written checkpoint.
 */
public final class Checkpoint {
    /** The sub-directory of a run directory that holds the checkpoint. */
    public static final String DIR = "checkpoint";
    /** The run configuration's file name, in a run directory and in its checkpoint. */
    public static final String CONFIG = "config.json";
    private static final String PARAMS = "model.params";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoint() {}

    /** Writes the checkpoint atomically into {@code runDir/checkpoint}. */
    public static void save(Path runDir, Block model, AdamW optimizer, Map<String, Object> state) throws IOException {
        Path tmp = Files.createTempDirectory(runDir, ".checkpoint-");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(tmp.resolve(PARAMS))))) {
            model.saveParameters(out);
        }
        if (optimizer != null) {
            Files.write(tmp.resolve("optimizer.bin"), optimizer.encodeState());
        }
        JSON.writeValue(tmp.resolve("state.json").toFile(), state);
        Path config = runDir.resolve(CONFIG);
        if (Files.isRegularFile(config)) {
            Files.copy(config, tmp.resolve(CONFIG));
        }
        Path target = runDir.resolve(DIR);
        Path old = runDir.resolve(".checkpoint-old");
        deleteRecursively(old);
        if (Files.exists(target)) {
            Files.move(target, old);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        deleteRecursively(old);
    }

    /** Whether {@code runDir} holds a checkpoint. */
    public static boolean exists(Path runDir) {
        return holdsParameters(runDir.resolve(DIR));
    }

    /** Whether {@code checkpointDir} is a checkpoint directory (it holds model parameters). */
    public static boolean holdsParameters(Path checkpointDir) {
        return Files.isRegularFile(checkpointDir.resolve(PARAMS));
    }

    /** Loads the model parameters of the checkpoint in {@code runDir} into an uninitialised block. */
    public static void loadModel(Path runDir, Block model, NDManager manager) throws IOException {
        loadParameters(runDir.resolve(DIR), model, manager);
    }

    /** Loads the model parameters of the checkpoint directory {@code checkpointDir} into an uninitialised block. */
    public static void loadParameters(Path checkpointDir, Block model, NDManager manager) throws IOException {
        Path params = checkpointDir.resolve(PARAMS);
        if (!Files.isRegularFile(params)) {
            throw new IOException("no checkpoint in " + checkpointDir + " (expected " + params + ")");
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(params)))) {
            model.loadParameters(manager, in);
        } catch (MalformedModelException | RuntimeException e) {
            throw new IOException("checkpoint " + params + " does not fit this model (" + e.getMessage()
                    + "); was it written by another configuration or version?", e);
        }
    }

    /** Restores the optimizer state of the checkpoint in {@code runDir}. */
    public static void loadOptimizer(Path runDir, AdamW optimizer, NDManager manager) throws IOException {
        optimizer.decodeState(Files.readAllBytes(runDir.resolve(DIR).resolve("optimizer.bin")), manager);
    }

    /** The trainer state recorded with the checkpoint. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> loadState(Path runDir) throws IOException {
        return JSON.readValue(runDir.resolve(DIR).resolve("state.json").toFile(), Map.class);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
