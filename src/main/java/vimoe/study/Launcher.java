package vimoe.study;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;

/**
 * The command that runs one run of a study: this JVM's {@code java}, class path and {@code vimoe
 * study --output DIR --only NAME} with the study's options, from the current directory. {@code
 * study plan} prints it as a shell line; {@code study --jobs N} starts it as a child process.
 */
public final class Launcher {
  /** Set in a child: the parent's process id; the child stops when the parent is gone. */
  public static final String PARENT_ENV = "VIMOE_STUDY_PARENT";

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=,+@%^-]+");

  private Launcher() {}

  /**
   * The argument list of run {@code name}: java, its heap limit and system properties, the main
   * class and the study arguments.
   */
  public static List<String> command(Path dir, String name, List<String> studyArgs) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-Dai.djl.offline=true");
    for (String arg :
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      // the heap and every system property (-Dvimoe.devicePaths=true, the GPU kit's
      // -Djna.library.path), so that children run as this process does
      if ((arg.startsWith("-Xmx") || arg.startsWith("-D")) && !cmd.contains(arg)) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    List<String> cp = new ArrayList<>();
    // limit 0: a trailing separator adds no empty entry
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator, 0)) {
      cp.add(Path.of(entry).toAbsolutePath().toString());
    }
    cmd.add(String.join(File.pathSeparator, cp));
    cmd.add("vimoe.cli.Main");
    cmd.add("study");
    cmd.add("--output");
    cmd.add(dir.toAbsolutePath().normalize().toString());
    cmd.add("--only");
    cmd.add(name);
    cmd.addAll(studyArgs);
    return cmd;
  }

  /**
   * One self-contained shell line per run, for any scheduler: it changes to this directory (the
   * options may hold relative paths) and runs the run with PyTorch's threads sleeping when idle.
   */
  public static List<String> plan(StudySpec spec, Path dir, List<String> studyArgs) {
    String cd =
        "cd " + quote(Path.of("").toAbsolutePath().toString()) + " && OMP_WAIT_POLICY=PASSIVE ";
    return spec.runs().stream()
        .map(
            r ->
                cd
                    + String.join(
                        " ",
                        command(dir, r.name(), studyArgs).stream().map(Launcher::quote).toList()))
        .toList();
  }

  /** {@code s} as one shell word: as it is when it is safe, else in single quotes. */
  static String quote(String s) {
    return SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * Runs {@code todo} as child processes, {@code jobs} at a time, each with the processors divided
   * among the jobs as its OpenMP threads; a child's output goes to {@code logs/NAME.log}. Children
   * are stopped when this process exits (and stop themselves when it is killed).
   *
   * @throws IOException naming the runs that failed and their logs
   */
  static void runChildren(
      StudySpec spec,
      Path dir,
      List<StudyRun> todo,
      int jobs,
      List<String> studyArgs,
      PrintStream log)
      throws IOException, InterruptedException {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / jobs);
    log.printf(
        Locale.ROOT,
        "%d child processes at a time, each with %d of the %d processors as PyTorch's threads"
            + " (OMP_NUM_THREADS)%n",
        Math.min(jobs, todo.size()),
        threads,
        Runtime.getRuntime().availableProcessors());
    Path logs = Files.createDirectories(dir.resolve("logs"));
    ConcurrentLinkedQueue<StudyRun> queue = new ConcurrentLinkedQueue<>(todo);
    List<String> failed = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Process> live = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread stopper = new Thread(() -> live.forEach(Process::destroy));
    Runtime.getRuntime().addShutdownHook(stopper);
    int[] done = {0};
    List<Thread> workers = new ArrayList<>();
    for (int j = 0; j < Math.min(jobs, todo.size()); j++) {
      Thread t =
          new Thread(
              () -> {
                StudyRun run;
                while ((run = queue.poll()) != null) {
                  Path file = logs.resolve(run.name() + ".log");
                  ProcessBuilder pb =
                      new ProcessBuilder(command(dir, run.name(), studyArgs))
                          .redirectErrorStream(true)
                          .redirectOutput(file.toFile());
                  Map<String, String> env = pb.environment();
                  env.put("OMP_NUM_THREADS", Integer.toString(threads));
                  env.putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
                  env.put(PARENT_ENV, Long.toString(ProcessHandle.current().pid()));
                  try {
                    Process p = pb.start();
                    live.add(p);
                    int status = p.waitFor();
                    live.remove(p);
                    synchronized (done) {
                      done[0]++;
                      log.printf(
                          Locale.ROOT,
                          "[%d/%d] %s %s (log %s)%n",
                          done[0],
                          todo.size(),
                          run.name(),
                          status == 0 ? "finished" : "failed with status " + status,
                          file);
                    }
                    if (status != 0) {
                      failed.add(run.name());
                    }
                  } catch (IOException e) {
                    failed.add(run.name() + " (" + e.getMessage() + ")");
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  }
                }
              },
              "study-job-" + j);
      t.start();
      workers.add(t);
    }
    for (Thread t : workers) {
      t.join();
    }
    Runtime.getRuntime().removeShutdownHook(stopper);
    if (!failed.isEmpty()) {
      throw new IOException(
          failed.size()
              + " run(s) failed: "
              + String.join(", ", failed)
              + "; see "
              + logs
              + " and run the same command again to continue");
    }
  }

  /**
   * In a child started by {@link #runChildren}: a daemon thread that halts this process when the
   * parent study process is gone (killed), so that no orphan keeps training.
   */
  public static void watchParent() {
    String parent = System.getenv(PARENT_ENV);
    if (parent == null) {
      return;
    }
    long pid = Long.parseLong(parent);
    Thread t =
        new Thread(
            () -> {
              while (true) {
                if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                  Runtime.getRuntime().halt(143);
                }
                try {
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "study-parent-watch");
    t.setDaemon(true);
    t.start();
  }
}
