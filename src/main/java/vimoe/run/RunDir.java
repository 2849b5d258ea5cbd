package vimoe.run;

import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A run directory, opened by the one process that writes it: {@code config.json} (written before
 * training starts), {@code metrics.jsonl}, {@code checkpoint/} and, once the run has finished,
 * {@code result.json}; {@code .lock} records who holds it. {@link #create} starts a new run, {@link
 * #open} takes up an existing one and first repairs what a crash left ({@link #repairs()}). Both
 * hold the directory's {@link RunLock} until {@link #close()}. Readers that write nothing ({@code
 * report}, {@code predict}) use the static readers without the lock.
 */
public final class RunDir implements AutoCloseable {
  /** The run's configuration. */
  public static final String CONFIG = Checkpoint.CONFIG;

  /** The finished run's result. */
  public static final String RESULT = "result.json";

  /** The metrics log. */
  public static final String METRICS = "metrics.jsonl";

  private static final List<String> OWN_FILES = List.of(CONFIG, RESULT, METRICS, "eval.json");

  private final Path path;
  private final RunLock lock;
  private final List<String> repairs;

  private RunDir(Path path, RunLock lock, List<String> repairs) {
    this.path = path;
    this.lock = lock;
    this.repairs = List.copyOf(repairs);
  }

  /**
   * Checks, without touching anything, that a new run can be created in {@code dir}: it is not a
   * file, no other process holds it, it holds no run, and it or its nearest existing ancestor is a
   * writable directory.
   *
   * @throws IllegalArgumentException naming the problem and the remedy
   * @throws RunLockedException naming the process that holds the directory
   */
  public static void checkNew(Path dir) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "--output " + dir + " is a file, not a directory; choose a directory");
    }
    if (Files.isDirectory(dir)) {
      RunLock.checkFree(dir);
    }
    if (Files.exists(dir.resolve(CONFIG))) {
      throw new IllegalArgumentException(
          dir
              + " already holds a run; use --resume "
              + dir
              + " to continue it, or another --output");
    }
    Path existing = dir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new IllegalArgumentException(
          "cannot create --output "
              + dir
              + ": "
              + existing
              + " is not a writable directory; choose another --output");
    }
  }

  /**
   * Creates the directory of a new run, takes its lock and writes {@code config.json}. A directory
   * left by a run killed before its configuration was written is taken over.
   *
   * @param command what holds the lock, for a second process's message (e.g. {@code vimoe train})
   * @throws RunLockedException when another process holds the directory
   */
  public static RunDir create(Path dir, RunConfig config, String command) throws IOException {
    checkNew(dir);
    Files.createDirectories(dir);
    RunLock lock = RunLock.acquire(dir, command);
    try {
      if (Files.exists(dir.resolve(CONFIG))) { // another process created it just before us
        throw new IllegalArgumentException(
            dir
                + " already holds a run; use --resume "
                + dir
                + " to continue it, or another --output");
      }
      List<String> repairs = deleteTemporaries(dir);
      Files.deleteIfExists(dir.resolve(METRICS));
      AtomicFiles.write(dir.resolve(CONFIG), RunJson.CONFIG.writeValueAsBytes(config));
      return new RunDir(dir, lock, repairs);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * Opens an existing run directory, takes its lock and repairs what a crash left: an interrupted
   * checkpoint save is finished or undone ({@link Checkpoint#recover}) and temporary files are
   * deleted.
   *
   * @throws RunLockedException when another process holds the directory
   * @throws IOException when {@code dir} is not a run directory
   */
  public static RunDir open(Path dir, String command) throws IOException {
    requireRun(dir);
    RunLock lock = RunLock.acquire(dir, command);
    try {
      requireRun(dir);
      List<String> repairs = new ArrayList<>(finishConfigWrite(dir));
      repairs.addAll(Checkpoint.recover(dir));
      repairs.addAll(deleteTemporaries(dir));
      return new RunDir(dir, lock, repairs);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static void requireRun(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(CONFIG)) && interruptedConfig(dir).isEmpty()) {
      throw new IOException(
          dir.resolve(CONFIG)
              + " does not exist, so no run was started in "
              + dir
              + "; start one with 'vimoe train --output "
              + dir
              + "'");
    }
  }

  /**
   * The configuration of the run in {@code dir}: its {@code config.json} or, for a run killed
   * before it renamed its configuration into place, the complete temporary copy ({@link #open}
   * finishes the rename).
   *
   * @throws IOException naming what is missing or damaged and what to do
   */
  public static RunConfig readConfigOf(Path dir) throws IOException {
    Optional<RunConfig> interrupted = interruptedConfig(dir);
    return interrupted.isPresent() ? interrupted.get() : readConfig(dir.resolve(CONFIG));
  }

  /**
   * The configuration that a run killed at its first write left in {@code .config.json.tmp}, when
   * {@code config.json} is missing; empty otherwise.
   *
   * @throws IOException when that copy is incomplete: the run was killed while writing it
   */
  private static Optional<RunConfig> interruptedConfig(Path dir) throws IOException {
    Path config = dir.resolve(CONFIG);
    Path tmp = AtomicFiles.temporaryFor(config);
    if (Files.exists(config) || !Files.isRegularFile(tmp)) {
      return Optional.empty();
    }
    try {
      return Optional.of(RunJson.CONFIG.readValue(tmp.toFile(), RunConfig.class));
    } catch (JacksonException e) {
      throw new IOException(
          dir
              + " holds no run: it was killed while writing its configuration ("
              + tmp.getFileName()
              + " is incomplete), before training; start it again with 'vimoe train --output "
              + dir
              + "'",
          e);
    }
  }

  /** Renames the complete configuration of a run killed before renaming it into place. */
  private static List<String> finishConfigWrite(Path dir) throws IOException {
    if (interruptedConfig(dir).isEmpty()) {
      return List.of();
    }
    Path config = dir.resolve(CONFIG);
    AtomicFiles.move(AtomicFiles.temporaryFor(config), config);
    AtomicFiles.syncDirectory(dir);
    return List.of(
        "renamed "
            + AtomicFiles.temporaryFor(config).getFileName()
            + " to "
            + CONFIG
            + ", a complete configuration whose write was interrupted");
  }

  /**
   * Deletes the temporary files of this package's atomic writes ({@code .config.json.tmp}, ...).
   */
  private static List<String> deleteTemporaries(Path dir) throws IOException {
    List<String> repairs = new ArrayList<>();
    for (String name : OWN_FILES) {
      Path tmp = AtomicFiles.temporaryFor(dir.resolve(name));
      if (Files.deleteIfExists(tmp)) {
        repairs.add("deleted " + tmp.getFileName() + ", left by an interrupted write");
      }
    }
    return repairs;
  }

  /** The directory. */
  public Path path() {
    return path;
  }

  /** What opening the directory repaired, one line each (empty when nothing needed repair). */
  public List<String> repairs() {
    return repairs;
  }

  /** The run's configuration. */
  public RunConfig config() throws IOException {
    return readConfig(path.resolve(CONFIG));
  }

  /** Whether the run has finished: its {@code result.json} exists. */
  public boolean finished() {
    return Files.isRegularFile(path.resolve(RESULT));
  }

  /** The state of the run's checkpoint, or empty when none was written yet. */
  public Optional<Checkpoint.State> checkpoint() throws IOException {
    return Checkpoint.exists(path) ? Optional.of(Checkpoint.state(path)) : Optional.empty();
  }

  /** The run's metrics log. */
  public MetricsLog metrics() {
    return new MetricsLog(path.resolve(METRICS));
  }

  /** Writes {@code result.json} atomically. */
  public void writeResult(RunResult result) throws IOException {
    AtomicFiles.write(path.resolve(RESULT), RunJson.RESULTS.writeValueAsBytes(result));
  }

  /** Releases the lock. */
  @Override
  public void close() throws IOException {
    lock.close();
  }

  /**
   * Reads a {@code config.json} (of a run or of a checkpoint); a missing or damaged one is refused
   * by name.
   */
  public static RunConfig readConfig(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          file + " does not exist; give a run directory written by 'vimoe train'");
    }
    try {
      return RunJson.readConfig(RunJson.CONFIG.readTree(file.toFile()));
    } catch (JacksonException e) {
      throw new IOException(
          file
              + " is not a valid run configuration ("
              + e.getOriginalMessage().lines().findFirst().orElse("").strip()
              + "); restore it from the "
              + "checkpoint's copy (checkpoint/config.json) or train again",
          e);
    }
  }

  /**
   * Reads the {@code result.json} of the finished run in {@code dir} (no lock needed: it is written
   * once, atomically).
   *
   * @throws IOException naming the directory and what to do when the run has not finished or the
   *     file is damaged
   */
  public static RunResult readResult(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(
          dir + " is not a directory; pass run directories written by 'vimoe train'");
    }
    Path file = dir.resolve(RESULT);
    if (!Files.isRegularFile(file)) {
      throw new IOException(
          dir
              + " has no result.json: the run has not finished; finish it with "
              + "'vimoe train --resume "
              + dir
              + "'");
    }
    com.fasterxml.jackson.databind.JsonNode tree;
    try {
      tree = RunJson.RESULTS.readTree(file.toFile());
    } catch (JacksonException e) {
      throw new IOException(
          file
              + " is not valid JSON ("
              + e.getOriginalMessage()
              + "); was it cut short? "
              + "Evaluate the run again with 'vimoe eval "
              + dir
              + "'",
          e);
    }
    for (String field : List.of("router", "test_accuracy", "parameters", "flops_per_image")) {
      if (tree == null || !tree.hasNonNull(field)) {
        throw new IOException(file + " lacks \"" + field + "\"; was it written by 'vimoe train'?");
      }
    }
    RunResult r;
    try {
      r = RunJson.RESULTS.treeToValue(tree, RunResult.class);
    } catch (JacksonException e) {
      throw new IOException(
          file
              + " is not a vimoe result ("
              + e.getOriginalMessage()
              + "); was it written "
              + "by 'vimoe train'?",
          e);
    }
    return r;
  }
}
