package vimoe.study;

import ai.djl.Device;
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
 * are kept, an interrupted run resumes from its checkpoint; with more seeds, routers or sweep
 * values it grows, reusing every finished run.
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
   * spec or one that {@code spec} grows (more seeds, more routers or variants, more values of the
   * same sweeps, other declared comparisons; see {@link #grows}), and then rewrites it with {@code
   * spec}: every finished run keeps its name and meaning, and is reused. A variant keeps its
   * definition.
   *
   * @throws IllegalArgumentException when {@code dir} holds another study, naming what differs
   */
  public static void open(StudySpec spec, Path dir) throws IOException {
    Path file = dir.resolve(SPEC_FILE);
    StudyFile f;
    if (Files.isRegularFile(file)) {
      StudyFile existing = read(dir);
      if (!check(spec, existing, file)) {
        return;
      }
      // the study grows: its runs so far keep their names and meaning
      f =
          new StudyFile(
              spec,
              spec.runs().stream().map(StudyRun::name).toList(),
              existing.versions(),
              existing.machine(),
              existing.created(),
              StudySettings.of(spec, StudyData.load(spec)));
    } else {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new IllegalArgumentException(
            "--output " + dir + " is a file, not a directory; choose another --output");
      }
      Files.createDirectories(dir);
      f =
          new StudyFile(
              spec,
              spec.runs().stream().map(StudyRun::name).toList(),
              versions(),
              machine(),
              Instant.now().toString(),
              StudySettings.of(spec, StudyData.load(spec)));
    }
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
   * Checks, writing nothing, that {@code dir} holds no other study than {@code spec} or one that
   * {@code spec} grows (it may hold none yet).
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

  /**
   * The fields of a spec that a study may grow by (variants: new ones; comparisons change no run);
   * every other field fixes what a run means.
   */
  private static final List<String> GROWABLE =
      List.of("routers", "seeds", "sweeps", "variants", "comparisons");

  /**
   * Whether {@code spec} is the study in {@code file} ({@code false}) or grows it ({@code true}).
   *
   * @throws IllegalArgumentException when it is neither, naming what differs
   */
  private static boolean check(StudySpec spec, StudyFile existing, Path file) {
    JsonNode want = RunFiles.JSON.valueToTree(spec),
        have = RunFiles.JSON.valueToTree(existing.spec());
    if (want.equals(have)) {
      return false;
    }
    List<String> diffs = new ArrayList<>();
    for (Iterator<String> it = want.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!GROWABLE.contains(name) && !want.get(name).equals(have.get(name))) {
        diffs.add(name + " " + have.get(name) + " there, " + want.get(name) + " now");
      }
    }
    if (diffs.isEmpty()) {
      for (RouterVariant had : existing.spec().variants()) {
        RouterVariant now = spec.variant(had.name());
        if (now != null && !now.equals(had)) {
          throw new IllegalArgumentException(
              file
                  + " holds variant "
                  + had.text()
                  + ", now --variant "
                  + now.text()
                  + ": its finished runs were trained with the first definition; give the new one"
                  + " another name, or choose another --output");
        }
      }
      String shrinks = grows(existing.spec(), spec);
      if (shrinks == null) {
        return true;
      }
      diffs.add(shrinks);
    }
    throw new IllegalArgumentException(
        file
            + " holds another study ("
            + String.join("; ", diffs)
            + "); a study grows only by more --seeds, --routers, --variant or --sweep values,"
            + " with every other option as before: run those options, or choose another --output");
  }

  /**
   * Null when {@code bigger} holds every run of {@code smaller} (at least its seeds, its routers
   * and variants, the same swept options with at least their values), else what {@code bigger}
   * lacks.
   */
  static String grows(StudySpec smaller, StudySpec bigger) {
    if (bigger.seeds() < smaller.seeds()) {
      return "seeds " + smaller.seeds() + " there, " + bigger.seeds() + " now (fewer)";
    }
    for (RouterVariant v : smaller.variants()) {
      if (bigger.variant(v.name()) == null) {
        return "variant " + v.text() + " there, not now";
      }
    }
    List<String> lost =
        smaller.routers().stream().filter(r -> !bigger.routers().contains(r)).toList();
    if (!lost.isEmpty()) {
      return "routers " + String.join(", ", lost) + " there, not now";
    }
    if (!smaller.sweeps().keySet().equals(bigger.sweeps().keySet())) {
      return "swept options "
          + smaller.sweeps().keySet()
          + " there, "
          + bigger.sweeps().keySet()
          + " now";
    }
    for (Map.Entry<String, List<Double>> e : smaller.sweeps().entrySet()) {
      if (!bigger.sweeps().get(e.getKey()).containsAll(e.getValue())) {
        return "sweep "
            + e.getKey()
            + " "
            + e.getValue()
            + " there, "
            + bigger.sweeps().get(e.getKey())
            + " now (values missing)";
      }
    }
    return null;
  }

  /**
   * Runs (or continues) every unfinished run, {@code jobs} at a time. With one job the runs train
   * in this process; with more, each run is a child process ({@link Launcher}) with an equal share
   * of the processors as OpenMP threads. Every run's model lives on {@code device} (the children
   * get it through {@code childArgs}).
   *
   * @param childArgs the study options for the children (as on the command line, without {@code
   *     --output}, {@code --jobs} and {@code --only})
   */
  public static void runAll(
      StudySpec spec, Path dir, int jobs, List<String> childArgs, PrintStream log, Device device)
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
        runOne(spec, dir, run, data, "[" + i + "/" + n + "] ", log, device);
      }
    } else {
      Launcher.runChildren(spec, dir, todo, jobs, childArgs, log);
    }
  }

  /** Runs (or continues) the run called {@code name} alone, as {@code study --only NAME} does. */
  public static void runOnly(StudySpec spec, Path dir, String name, PrintStream log, Device device)
      throws IOException {
    StudyRun run = spec.run(name);
    open(spec, dir);
    if (RunFiles.finished(runDir(dir, run))) {
      log.println("run " + name + " is finished already; nothing to do");
      return;
    }
    runOne(spec, dir, run, StudyData.load(spec), "", log, device);
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
      StudySpec spec,
      Path dir,
      StudyRun run,
      StudyData data,
      String prefix,
      PrintStream log,
      Device device)
      throws IOException {
    Path runDir = runDir(dir, run);
    StudyData.Prepared p = data.prepare(run);
    PrintStream progress = prefixed(log, prefix + run.name() + ": ");
    long started = System.nanoTime();
    long[] trained = {0};
    RunExtras[] extras = {null};
    if (!RunFiles.trained(runDir)) {
      Files.createDirectories(runDir.getParent());
      boolean resuming = Files.isRegularFile(runDir.resolve("config.json"));
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
              if (s.epoch() == spec.epochs()) {
                trained[0] = System.nanoTime();
                log.printf(
                    java.util.Locale.ROOT,
                    "%s%s: trained%s in %.0f s%n",
                    prefix,
                    run.name(),
                    resuming ? " (resumed from its checkpoint)" : "",
                    (trained[0] - started) / 1e9);
              }
            }
          },
          progress,
          device,
          (model, manager, evaluation) -> {
            extras[0] =
                StudyEval.evaluate(
                    model,
                    manager,
                    p.config(),
                    p.splits(),
                    spec.evalCapacityFactors(),
                    evaluation.testAccuracy(),
                    progress);
            RunFiles.writeExtras(runDir, extras[0]);
          });
    }
    double test =
        RunFiles.JSON
            .readTree(runDir.resolve("result.json").toFile())
            .path("test_accuracy")
            .asDouble();
    if (extras[0] == null) { // trained by a process stopped before the study's evaluation
      trained[0] = System.nanoTime();
      extras[0] =
          StudyEval.evaluateCheckpoint(
              p.config(), p.splits(), runDir, spec.evalCapacityFactors(), test, device, progress);
      RunFiles.writeExtras(runDir, extras[0]);
    }
    long now = System.nanoTime();
    log.printf(
        java.util.Locale.ROOT,
        "%s%s: test accuracy %.2f%% (noise %.2f%%, rotation %.2f%%); evaluated in %.0f s on %s%n",
        prefix,
        run.name(),
        100 * test,
        100 * extras[0].noiseAccuracy(),
        100 * extras[0].rotationAccuracy(),
        (now - Math.max(trained[0], started)) / 1e9,
        device);
  }

  /** Lines written to the result go to {@code log} each with {@code prefix} in front. */
  private static PrintStream prefixed(PrintStream log, String prefix) {
    java.io.OutputStream lines =
        new java.io.OutputStream() {
          private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

          @Override
          public synchronized void write(int b) {
            if (b == '\n') {
              log.println(prefix + line.toString(java.nio.charset.StandardCharsets.UTF_8));
              line.reset();
            } else {
              line.write(b);
            }
          }
        };
    return new PrintStream(lines, true, java.nio.charset.StandardCharsets.UTF_8);
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
