package vimoe.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayInputStream;
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
import vimoe.model.EncodedLayout;
import vimoe.model.VisionTransformer;

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
    private static final String OPTIMIZER = "optimizer.bin";
    private static final String STATE = "state.json";
    /** What to do about a damaged checkpoint. */
    private static final String REMEDY = "restore the checkpoint directory from a copy, or train again with "
            + "another --output";
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
            Files.write(tmp.resolve(OPTIMIZER), optimizer.encodeState());
        }
        JSON.writeValue(tmp.resolve(STATE).toFile(), state);
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

    /**
     * Loads the model parameters of the checkpoint directory {@code checkpointDir} into an uninitialised
     * block. A {@link VisionTransformer}'s file is first checked against the layout of its
     * configuration ({@link EncodedLayout}), so that a damaged file is refused by name.
     *
     * @throws IOException naming the file, what is wrong with it and what to do
     */
    public static void loadParameters(Path checkpointDir, Block model, NDManager manager) throws IOException {
        Path params = checkpointDir.resolve(PARAMS);
        if (!Files.isRegularFile(params)) {
            throw new IOException("no checkpoint in " + checkpointDir + " (expected " + params + ")");
        }
        byte[] bytes = readSmall(params);
        if (model instanceof VisionTransformer vit) {
            requireLayout(params, bytes, EncodedLayout.ofParameters(vit.config()), "the parameters of the model in "
                    + "its config.json");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            model.loadParameters(manager, in);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            throw new IOException("checkpoint " + params + " does not fit this model (" + why(e)
                    + "); it is damaged or was written by another configuration or version: " + REMEDY, e);
        }
    }

    /** Restores the optimizer state of the checkpoint in {@code runDir}, refusing a damaged file by name. */
    public static void loadOptimizer(Path runDir, AdamW optimizer, NDManager manager) throws IOException {
        Path file = runDir.resolve(DIR).resolve(OPTIMIZER);
        if (!Files.isRegularFile(file)) {
            throw new IOException("checkpoint " + runDir.resolve(DIR) + " has no " + OPTIMIZER + ", so the run cannot "
                    + "continue exactly: " + REMEDY);
        }
        byte[] bytes = readSmall(file);
        requireLayout(file, bytes, optimizer.stateLayout(), "the optimizer state of this model");
        try {
            optimizer.decodeState(bytes, manager);
        } catch (RuntimeException e) {
            throw new IOException("checkpoint file " + file + " is damaged (" + why(e) + "): " + REMEDY,
                    e);
        }
    }

    /**
     * The trainer state recorded with the checkpoint: a JSON object whose {@code epoch} and
     * {@code step} are integers >= 0.
     *
     * @throws IOException naming the file if it is missing, not JSON or lacks those fields
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> loadState(Path runDir) throws IOException {
        Path file = runDir.resolve(DIR).resolve(STATE);
        Map<String, Object> state;
        try {
            state = JSON.readValue(readSmall(file), Map.class);
        } catch (JsonProcessingException e) {
            throw new IOException("checkpoint file " + file + " is damaged (not a JSON object: "
                    + e.getOriginalMessage().lines().findFirst().orElse("") + "): " + REMEDY, e);
        }
        for (String field : new String[] {"epoch", "step"}) {
            Object v = state == null ? null : state.get(field);
            if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0
                    || ((Number) v).longValue() > Integer.MAX_VALUE) {
                throw new IOException("checkpoint file " + file + " is damaged (\"" + field + "\" is " + v
                        + ", not a count): " + REMEDY);
            }
        }
        return state;
    }

    /** The first line of an exception's message, or its class when it has none. */
    private static String why(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /** A checkpoint file's bytes; a file too large for one array is damaged by definition. */
    private static byte[] readSmall(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString());
        }
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException("checkpoint file " + file + " is damaged (" + size + " bytes, more than any "
                    + "checkpoint of this tool): " + REMEDY);
        }
        return Files.readAllBytes(file);
    }

    private static void requireLayout(Path file, byte[] bytes, EncodedLayout layout, String what) throws IOException {
        long at = layout.firstMismatch(bytes);
        if (at < 0) {
            return;
        }
        String problem = bytes.length != layout.length() && at == Math.min(bytes.length, layout.length())
                ? "it has " + bytes.length + " bytes where " + what + " take " + layout.length()
                        + (bytes.length < layout.length() ? " (truncated)" : "")
                : "byte " + at + " of " + bytes.length + " is not what " + what + " hold there";
        throw new IOException("checkpoint file " + file + " is damaged or from another configuration (" + problem
                + "): " + REMEDY);
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
