package vimoe.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vimoe.train.Trainer;

/**
 * A study directory: {@code study.json} (the spec, the versions, the machine), {@code runs/<name>/}
 * (one ordinary run directory per run), {@code logs/}, and the results and report that {@link
 * StudyResults} and {@link StudyReport} write. Running a study again continues it: finished runs
 * are kept, an interrupted run resumes from its checkpoint.
 */
public final class Study {
  /** The study's definition in its directory. */
  public static final String SPEC_FILE = "study.json";

  /**
   * Test hook: when set to N, the process halts (as if killed) right after the N-th epoch
   * checkpoint of this process, so that tests can interrupt a study at a known point.
   */
  static final String HALT_ENV = "VIMOE_TEST_HALT_AFTER_EPOCHS";

  private static final java.util.concurrent.atomic.AtomicInteger EPOCHS =
      new java.util.concurrent.atomic.AtomicInteger();

  private Study() {}

  /**
   * The content of {@code study.json}.
   *
   * @param spec the grid
   * @param runs the names of its runs, in order
   * @param versions vimoe, Java, DJL and PyTorch versions
   * @param machine operating system, processors, memory and host of the machine that created it
   * @param created when it was created (UTC)
   * @param settings every value the runs use, resolved (null in a file written before they were
   *     recorded)
   */
  public record StudyFile(
      StudySpec spec,
      List<String> runs,
      Map<String, String> versions,
      Map<String, Object> machine,
      String created,
      StudySettings settings) {}

  /** The run directory of {@code run}. */
  public static Path runDir(Path dir, StudyRun run) {
    return dir.resolve("runs").resolve(run.name());
  }

  /**
   * Creates {@code dir/study.json} for {@code spec}, or checks that the one there holds the same
   * spec (a directory runs one study).
   *
   * @throws IllegalArgumentException when {@code dir} holds another study, naming what differs
   */
  public static void open(StudySpec spec, Path dir) throws IOException {
    Path file = dir.resolve(SPEC_FILE);
    if (Files.isRegularFile(file)) {
      check(spec, read(dir), file);
      return;
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "--output " + dir + " is a file, not a directory; choose another --output");
    }
    Files.createDirectories(dir);
    StudyFile f =
        new StudyFile(
            spec,
            spec.runs().stream().map(StudyRun::name).toList(),
            versions(),
            machine(),
            Instant.now().toString(),
            StudySettings.of(spec, StudyData.load(spec)));
    // Several `study --only` processes may start at once: each writes its own temporary file.
    Path tmp = Files.createTempFile(dir, ".study-", ".tmp");
    Files.write(tmp, RunFiles.JSON.writeValueAsBytes(f));
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Checks, writing nothing, that {@code dir} holds no other study than {@code spec} (it may hold
   * none yet).
   *
   * @throws IllegalArgumentException when it holds another study, naming what differs
   */
  public static void checkSame(StudySpec spec, Path dir) throws IOException {
    Path file = dir.resolve(SPEC_FILE);
    if (Files.isRegularFile(file)) {
      check(spec, read(dir), file);
    } else if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "--output " + dir + " is a file, not a directory; choose another --output");
    }
  }

  /** Reads {@code dir/study.json}. */
  public static StudyFile read(Path dir) throws IOException {
    Path file = dir.resolve(SPEC_FILE);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(
          dir
              + " is not a study directory (no "
              + SPEC_FILE
              + "); pass the --output of 'vimoe study'");
    }
    try {
      return RunFiles.JSON.readValue(file.toFile(), StudyFile.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file
              + " is not a study file written by this version of vimoe ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")");
    }
  }

  private static void check(StudySpec spec, StudyFile existing, Path file) {
    JsonNode want = RunFiles.JSON.valueToTree(spec),
        have = RunFiles.JSON.valueToTree(existing.spec());
    if (want.equals(have)) {
      return;
    }
    List<String> diffs = new ArrayList<>();
    for (Iterator<String> it = want.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!want.get(name).equals(have.get(name))) {
        diffs.add(name + " " + have.get(name) + " there, " + want.get(name) + " now");
      }
    }
    throw new IllegalArgumentException(
        file
            + " holds another study ("
            + String.join("; ", diffs)
            + "); run the same options to continue it, or choose another --output");
  }

  /**
   * Runs (or continues) every unfinished run, {@code jobs} at a time. With one job the runs train
   * in this process; with more, each run is a child process ({@link Launcher}) with an equal share
   * of the processors as OpenMP threads.
   *
   * @param childArgs the study options for the children (as on the command line, without {@code
   *     --output}, {@code --jobs} and {@code --only})
   */
  public static void runAll(
      StudySpec spec, Path dir, int jobs, List<String> childArgs, PrintStream log)
      throws IOException, InterruptedException {
    open(spec, dir);
    List<StudyRun> todo = new ArrayList<>();
    for (StudyRun run : spec.runs()) {
      if (RunFiles.finished(runDir(dir, run))) {
        log.println("kept finished run " + run.name());
      } else {
        todo.add(run);
      }
    }
    if (todo.isEmpty()) {
      return;
    }
    if (jobs <= 1) {
      StudyData data = StudyData.load(spec);
      int i = 0, n = todo.size();
      for (StudyRun run : todo) {
        i++;
        runOne(spec, dir, run, data, "[" + i + "/" + n + "] ", log);
      }
    } else {
      Launcher.runChildren(spec, dir, todo, jobs, childArgs, log);
    }
  }

  /** Runs (or continues) the run called {@code name} alone, as {@code study --only NAME} does. */
  public static void runOnly(StudySpec spec, Path dir, String name, PrintStream log)
      throws IOException {
    StudyRun run = spec.run(name);
    open(spec, dir);
    if (RunFiles.finished(runDir(dir, run))) {
      log.println("run " + name + " is finished already; nothing to do");
      return;
    }
    runOne(spec, dir, run, StudyData.load(spec), "", log);
  }

  /**
   * Checks, before anything is written, that every run of {@code spec} can be configured (its
   * model, router options and batch) on the study's data.
   */
  public static void validate(StudySpec spec) throws IOException {
    StudyData data = StudyData.load(spec);
    for (StudyRun run : spec.runs()) {
      try {
        data.model(run);
        data.prepare(run);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("run " + run.name() + ": " + e.getMessage(), e);
      }
    }
  }

  private static void runOne(
      StudySpec spec, Path dir, StudyRun run, StudyData data, String prefix, PrintStream log)
      throws IOException {
    Path runDir = runDir(dir, run);
    StudyData.Prepared p = data.prepare(run);
    if (!RunFiles.trained(runDir)) {
      long started = System.nanoTime();
      Files.createDirectories(runDir.getParent());
      boolean resumed =
          RunFiles.train(
              p.config(),
              p.splits(),
              runDir,
              new Trainer.Listener() {
                @Override
                public void onEpoch(Trainer.EpochSummary s) {
                  log.printf(
                      java.util.Locale.ROOT,
                      "%s%s: epoch %d/%d, validation accuracy %.2f%%, %.0f images/s%n",
                      prefix,
                      run.name(),
                      s.epoch(),
                      spec.epochs(),
                      100 * s.validationAccuracy(),
                      s.imagesPerSecond());
                  String halt = System.getenv(HALT_ENV);
                  if (halt != null && EPOCHS.incrementAndGet() == Integer.parseInt(halt)) {
                    log.flush();
                    Runtime.getRuntime().halt(137);
                  }
                }
              },
              new PrintStream(java.io.OutputStream.nullOutputStream()));
      log.printf(
          java.util.Locale.ROOT,
          "%s%s: trained%s in %.0f s%n",
          prefix,
          run.name(),
          resumed ? " (resumed from its checkpoint)" : "",
          (System.nanoTime() - started) / 1e9);
    }
    double test =
        RunFiles.JSON
            .readTree(runDir.resolve("result.json").toFile())
            .path("test_accuracy")
            .asDouble();
    RunExtras extras =
        StudyEval.evaluate(p.config(), p.splits(), runDir, spec.evalCapacityFactors(), test);
    RunFiles.writeExtras(runDir, extras);
    log.printf(
        java.util.Locale.ROOT,
        "%s%s: test accuracy %.2f%% (noise %.2f%%, rotation %.2f%%)%n",
        prefix,
        run.name(),
        100 * test,
        100 * extras.noiseAccuracy(),
        100 * extras.rotationAccuracy());
  }

  /** vimoe, Java, DJL and PyTorch versions. */
  static Map<String, String> versions() {
    Map<String, String> v = new LinkedHashMap<>();
    String own = Study.class.getPackage().getImplementationVersion();
    v.put("vimoe", own == null ? "development build" : own);
    v.put("java", System.getProperty("java.version"));
    v.put("djl", ai.djl.engine.Engine.getDjlVersion());
    v.put("pytorch", ai.djl.engine.Engine.getInstance().getVersion());
    return v;
  }

  /** The machine: operating system, processors, memory, host. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    m.put("processors", Runtime.getRuntime().availableProcessors());
    m.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      m.put("memory_bytes", os.getTotalMemorySize());
    }
    try {
      m.put("host", InetAddress.getLocalHost().getHostName());
    } catch (IOException e) {
      m.put("host", "unknown");
    }
    return m;
  }
}
