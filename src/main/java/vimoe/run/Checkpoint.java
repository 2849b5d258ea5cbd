package vimoe.run;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.fasterxml.jackson.core.JacksonException;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import vimoe.model.EncodedLayout;
import vimoe.model.VisionTransformer;

/**
 * A checkpoint directory {@code checkpoint/} inside a run directory: {@code model.params} (the
 * block's parameters), {@code optimizer.bin} (the optimizer's state), a copy of the run's {@code
 * config.json}, so that a checkpoint copied elsewhere still says which model it holds, and {@code
 * state.json} (epoch, step, time), written last: a directory with a readable {@code state.json} is
 * complete.
 *
 * <p>The save protocol ({@link #save}) and {@link #recover} together make a kill at any instant
 * lose at most the epoch being saved: the new checkpoint is written and forced to disk under {@code
 * .checkpoint-new}, the old one renamed to {@code .checkpoint-old}, the new one renamed to {@code
 * checkpoint}, the old one deleted. Recovery finishes an interrupted save whose new directory is
 * complete, deletes a half-written one, and puts {@code .checkpoint-old} back when nothing newer is
 * complete.
 */
public final class Checkpoint {
  /** The sub-directory of a run directory that holds the checkpoint. */
  public static final String DIR = "checkpoint";

  /** The run configuration's file name, in a run directory and in its checkpoint. */
  public static final String CONFIG = "config.json";

  static final String PARAMS = "model.params";
  static final String OPTIMIZER = "optimizer.bin";
  static final String STATE = "state.json";
  static final String NEW = ".checkpoint-new";
  static final String OLD = ".checkpoint-old";

  /** Prefix of every checkpoint temporary (earlier versions wrote {@code .checkpoint-<random>}). */
  static final String TEMPORARY_PREFIX = ".checkpoint-";

  /** What to do about a damaged checkpoint. */
  private static final String REMEDY =
      "restore the checkpoint directory from a copy, or train again with " + "another --output";

  private Checkpoint() {}

  /**
   * Where a run stands at a checkpoint.
   *
   * @param epoch epochs done
   * @param step optimisation steps done
   * @param elapsedSeconds wall time of the run so far, over all its processes
   * @param trainSeconds time spent in training steps so far
   * @param trainImages images trained on so far (for the throughput of a resumed run)
   */
  public record State(
      int epoch, int step, double elapsedSeconds, double trainSeconds, long trainImages) {}

  /**
   * Saves a checkpoint into {@code runDir/checkpoint} by the protocol in the class comment. Crash
   * points for tests: {@code save-E-1} .. {@code save-E-8} after each of its steps.
   *
   * @param optimizerState the optimizer's encoded state, or null
   * @throws IllegalStateException when a parameter is not finite; nothing is written then
   */
  public static void save(Path runDir, Block model, byte[] optimizerState, State state)
      throws IOException {
    String bad = firstNonFinite(model);
    if (bad != null) {
      throw new IllegalStateException(
          "parameter "
              + bad
              + " is not finite after epoch "
              + state.epoch()
              + "; the checkpoint was not written");
    }
    String crash = "save-" + state.epoch() + "-";
    Path tmp = runDir.resolve(NEW);
    AtomicFiles.deleteRecursively(tmp);
    Files.createDirectory(tmp);
    CrashHook.reached(crash + 1);
    AtomicFiles.writeDurably(
        tmp.resolve(PARAMS),
        out -> {
          DataOutputStream data = new DataOutputStream(out);
          model.saveParameters(data);
          data.flush();
        });
    CrashHook.reached(crash + 2);
    if (optimizerState != null) {
      AtomicFiles.writeDurably(tmp.resolve(OPTIMIZER), optimizerState);
    }
    CrashHook.reached(crash + 3);
    Path config = runDir.resolve(CONFIG);
    if (Files.isRegularFile(config)) {
      AtomicFiles.writeDurably(tmp.resolve(CONFIG), Files.readAllBytes(config));
    }
    CrashHook.reached(crash + 4);
    AtomicFiles.writeDurably(tmp.resolve(STATE), RunJson.RESULTS.writeValueAsBytes(state));
    AtomicFiles.syncDirectory(tmp);
    CrashHook.reached(crash + 5);
    promote(runDir, tmp, crash);
  }

  /**
   * Steps 6 to 8 of a save: old checkpoint aside, the complete new one into place, old one deleted.
   */
  private static void promote(Path runDir, Path complete, String crash) throws IOException {
    Path target = runDir.resolve(DIR);
    Path old = runDir.resolve(OLD);
    AtomicFiles.deleteRecursively(old);
    if (Files.exists(target)) {
      Files.move(target, old);
    }
    CrashHook.reached(crash + 6);
    AtomicFiles.move(complete, target);
    AtomicFiles.syncDirectory(runDir);
    CrashHook.reached(crash + 7);
    AtomicFiles.deleteRecursively(old);
    AtomicFiles.syncDirectory(runDir);
    CrashHook.reached(crash + 8);
  }

  /**
   * Repairs what an interrupted save left in {@code runDir}: a complete {@code .checkpoint-new} (or
   * an earlier version's {@code .checkpoint-<random>}) newer than {@code checkpoint/} replaces it,
   * a half-written one is deleted, {@code .checkpoint-old} goes back into place when there is no
   * checkpoint, and is deleted otherwise. Call it only while holding the run's lock.
   *
   * @return one line per repair, for the log (empty when nothing needed repair)
   */
  public static List<String> recover(Path runDir) throws IOException {
    List<String> repairs = new ArrayList<>();
    Path target = runDir.resolve(DIR);
    Path old = runDir.resolve(OLD);
    List<Path> pending;
    try (Stream<Path> entries = Files.list(runDir)) {
      pending =
          entries
              .filter(
                  p ->
                      p.getFileName().toString().startsWith(TEMPORARY_PREFIX)
                          && !p.getFileName().toString().equals(OLD))
              .sorted()
              .toList();
    }
    Path newest = null;
    State newestState = null;
    for (Path p : pending) {
      State s = completeState(p);
      if (s != null && (newestState == null || s.step() > newestState.step())) {
        newest = p;
        newestState = s;
      }
    }
    State current = completeState(target);
    if (newest != null && current != null && current.step() >= newestState.step()) {
      newest = null; // a leftover older than the checkpoint in place
    }
    for (Path p : pending) {
      if (!p.equals(newest)) {
        AtomicFiles.deleteRecursively(p);
        repairs.add("deleted " + p.getFileName() + ", a checkpoint whose save was interrupted");
      }
    }
    if (newest != null) {
      Path staged = runDir.resolve(NEW);
      if (!newest.equals(staged)) {
        AtomicFiles.deleteRecursively(staged);
        Files.move(newest, staged);
      }
      promote(runDir, staged, "recover-");
      repairs.add(
          "finished the interrupted save of the checkpoint after epoch " + newestState.epoch());
    } else if (current == null && completeState(old) != null) {
      AtomicFiles.deleteRecursively(target);
      Files.move(old, target);
      AtomicFiles.syncDirectory(runDir);
      repairs.add(
          "put back the checkpoint after epoch " + completeState(target).epoch() + " from " + OLD);
    } else if (Files.exists(old)) {
      AtomicFiles.deleteRecursively(old);
      repairs.add("deleted " + OLD + ", left by an interrupted save");
    }
    return repairs;
  }

  /** The state of a complete checkpoint directory, or null when it is missing or incomplete. */
  private static State completeState(Path dir) {
    if (!Files.isRegularFile(dir.resolve(PARAMS)) || !Files.isRegularFile(dir.resolve(STATE))) {
      return null;
    }
    try {
      return RunJson.RESULTS.readValue(dir.resolve(STATE).toFile(), State.class);
    } catch (IOException e) {
      return null; // cut short while it was written: the directory is incomplete
    }
  }

  /** Whether {@code runDir} holds a checkpoint. */
  public static boolean exists(Path runDir) {
    return holdsParameters(runDir.resolve(DIR));
  }

  /** Whether {@code checkpointDir} is a checkpoint directory (it holds model parameters). */
  public static boolean holdsParameters(Path checkpointDir) {
    return Files.isRegularFile(checkpointDir.resolve(PARAMS));
  }

  /**
   * The checkpoint directory to read a run's model from without its lock (and without repairing
   * anything): the one {@link #recover} would keep, so that a run interrupted in the middle of a
   * save can be evaluated as it will be resumed.
   */
  public static Path readable(Path runDir) {
    Path best = runDir.resolve(DIR);
    State bestState = completeState(best);
    if (bestState == null && completeState(runDir.resolve(OLD)) != null) {
      best = runDir.resolve(OLD);
      bestState = completeState(best);
    }
    try (Stream<Path> entries = Files.list(runDir)) {
      for (Path p :
          entries
              .filter(
                  p ->
                      p.getFileName().toString().startsWith(TEMPORARY_PREFIX)
                          && !p.getFileName().toString().equals(OLD))
              .sorted()
              .toList()) {
        State s = completeState(p);
        if (s != null && (bestState == null || s.step() > bestState.step())) {
          best = p;
          bestState = s;
        }
      }
    } catch (IOException e) {
      // unreadable directory: the caller's read of checkpoint/ reports it
    }
    return best;
  }

  /** Loads the model parameters of the checkpoint in {@code runDir} into an uninitialised block. */
  public static void loadModel(Path runDir, Block model, NDManager manager) throws IOException {
    loadParameters(runDir.resolve(DIR), model, manager);
  }

  /**
   * Loads the parameters of the checkpoint directory {@code checkpointDir} into an uninitialised
   * block. A {@link VisionTransformer}'s file is first checked against the layout of its
   * configuration ({@link EncodedLayout}), so that a damaged file is refused by name; parameters
   * that are not finite (a diverged model) are refused too.
   *
   * @throws IOException naming the file, what is wrong with it and what to do
   */
  public static void loadParameters(Path checkpointDir, Block model, NDManager manager)
      throws IOException {
    Path params = checkpointDir.resolve(PARAMS);
    if (!Files.isRegularFile(params)) {
      throw new IOException("no checkpoint in " + checkpointDir + " (expected " + params + ")");
    }
    byte[] bytes = readSmall(params);
    if (model instanceof VisionTransformer vit) {
      requireLayout(
          params,
          bytes,
          EncodedLayout.ofParameters(vit.config()),
          "the parameters of the model in " + "its config.json");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      model.loadParameters(manager, in);
    } catch (MalformedModelException | IOException | RuntimeException e) {
      throw new IOException(
          "checkpoint "
              + params
              + " does not fit this model ("
              + why(e)
              + "); it is damaged or was written by another configuration or version: "
              + REMEDY,
          e);
    }
    String bad = firstNonFinite(model);
    if (bad != null) {
      throw new IOException(
          params
              + " holds non-finite parameters ("
              + bad
              + " is NaN or infinite): the run "
              + "diverged; train again with a lower --lr or --clip-norm");
    }
  }

  /**
   * Reads the optimizer state of the checkpoint in {@code runDir}, checks it against {@code layout}
   * (the optimizer's {@link EncodedLayout}) and hands it to {@code decode}; a missing or damaged
   * file is refused by name.
   */
  public static void loadOptimizer(Path runDir, EncodedLayout layout, Consumer<byte[]> decode)
      throws IOException {
    loadOptimizerFrom(runDir.resolve(DIR), layout, decode);
  }

  /** As {@link #loadOptimizer}, from the checkpoint directory {@code checkpointDir}. */
  public static void loadOptimizerFrom(
      Path checkpointDir, EncodedLayout layout, Consumer<byte[]> decode) throws IOException {
    Path file = checkpointDir.resolve(OPTIMIZER);
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          "checkpoint "
              + checkpointDir
              + " has no "
              + OPTIMIZER
              + ", so the run cannot "
              + "continue exactly: "
              + REMEDY);
    }
    byte[] bytes = readSmall(file);
    requireLayout(file, bytes, layout, "the optimizer state of this model");
    try {
      decode.accept(bytes);
    } catch (RuntimeException e) {
      throw new IOException(
          "checkpoint file " + file + " is damaged (" + why(e) + "): " + REMEDY, e);
    }
  }

  /**
   * The trainer state recorded with the checkpoint of {@code runDir}.
   *
   * @throws IOException naming the file if it is missing, not JSON or holds no epoch and step
   *     counts
   */
  public static State state(Path runDir) throws IOException {
    return stateOf(runDir.resolve(DIR));
  }

  /** As {@link #state}, of the checkpoint directory {@code checkpointDir}. */
  public static State stateOf(Path checkpointDir) throws IOException {
    Path file = checkpointDir.resolve(STATE);
    State state;
    try {
      state = RunJson.RESULTS.readValue(readSmall(file), State.class);
    } catch (JacksonException e) {
      throw new IOException(
          "checkpoint file "
              + file
              + " is damaged (not a state: "
              + e.getOriginalMessage().lines().findFirst().orElse("")
              + "): "
              + REMEDY,
          e);
    } catch (
        IOException e) { // the bytes are in memory: any failure is in them (an invalid encoding)
      throw new IOException(
          "checkpoint file " + file + " is damaged (" + why(e) + "): " + REMEDY, e);
    }
    if (state == null || state.epoch() < 0 || state.step() < 0) {
      throw new IOException(
          "checkpoint file " + file + " is damaged (no epoch and step counts): " + REMEDY);
    }
    return state;
  }

  /** The first line of an exception's message, or its class when it has none. */
  private static String why(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank()
        ? e.getClass().getSimpleName()
        : m.lines().findFirst().orElse(m);
  }

  /** A checkpoint file's bytes; a file too large for one array is damaged by definition. */
  private static byte[] readSmall(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.nio.file.NoSuchFileException(file.toString());
    }
    long size = Files.size(file);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IOException(
          "checkpoint file "
              + file
              + " is damaged ("
              + size
              + " bytes, more than any "
              + "checkpoint of this tool): "
              + REMEDY);
    }
    return Files.readAllBytes(file);
  }

  private static void requireLayout(Path file, byte[] bytes, EncodedLayout layout, String what)
      throws IOException {
    long at = layout.firstMismatch(bytes);
    if (at < 0) {
      return;
    }
    String problem =
        bytes.length != layout.length() && at == Math.min(bytes.length, layout.length())
            ? "it has "
                + bytes.length
                + " bytes where "
                + what
                + " take "
                + layout.length()
                + (bytes.length < layout.length() ? " (truncated)" : "")
            : "byte " + at + " of " + bytes.length + " is not what " + what + " hold there";
    throw new IOException(
        "checkpoint file "
            + file
            + " is damaged or from another configuration ("
            + problem
            + "): "
            + REMEDY);
  }

  /**
   * The name of the first parameter of {@code model} holding a NaN or an infinity, or null when all
   * are finite.
   */
  public static String firstNonFinite(Block model) {
    for (Pair<String, Parameter> p : model.getParameters()) {
      NDArray a = p.getValue().getArray();
      if (a.size() == 0) {
        continue;
      }
      try (NDScope scope = new NDScope()) {
        // max |a| is finite exactly when every element is: NaN propagates through max.
        float m = a.abs().max().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat();
        if (!Float.isFinite(m)) {
          return p.getKey();
        }
      }
    }
    return null;
  }
}
