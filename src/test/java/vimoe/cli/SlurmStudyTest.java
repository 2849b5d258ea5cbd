package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/study-slurm.sh} under a real Slurm: a tiny {@code study plan} submitted as an
 * array job to a one-node cluster ({@code scripts/slurm-one-node.sh}, started by {@code .ci/run}),
 * then {@code study report}. Skips with its reason where Slurm is absent, except in CI ({@code
 * CI=true}), where it fails instead.
 */
class SlurmStudyTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The whole test, cluster start included, must stay under this. */
  static final int LIMIT_SECONDS = 170;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aPlanRunsAsAnArrayJobAndTheReportNamesEveryRun() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LIMIT_SECONDS);
    requireCluster();
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 192, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    Path dir = tmp.resolve("study");
    List<String> grid = CliRunner.tinyStudy(data, "softmax-ec", 2, 1);
    grid.addAll(List.of("--device", "cpu"));
    List<String> args = new ArrayList<>(List.of("study", "plan", "--output", dir.toString()));
    args.addAll(grid);
    CliRunner.Result plan = CliRunner.run("", args.toArray(String[]::new));
    assertEquals(0, plan.status(), plan.err());
    List<String> lines = plan.out().lines().toList();
    List<String> names = new ArrayList<>();
    Matcher only = Pattern.compile(" --only (\\S+)").matcher(plan.out());
    while (only.find()) {
      names.add(only.group(1));
    }
    assertEquals(List.of("dense-s0", "dense-s1", "softmax-ec-s0", "softmax-ec-s1"), names);
    Path planFile = tmp.resolve("plan.txt");
    Files.writeString(planFile, plan.out());

    // The script's own requests (4 CPUs, 8G) do not fit a small CI machine: overridden here.
    Path script = Path.of("examples/study-slurm.sh").toAbsolutePath();
    String logs = tmp.resolve("slurm-%A_%a.log").toString();
    String job =
        run(
                List.of(
                    "sbatch",
                    "--parsable",
                    "--array=1-" + lines.size(),
                    "--cpus-per-task=1",
                    "--mem=0",
                    "--time=5",
                    "--output=" + logs,
                    script.toString(),
                    planFile.toString()),
                30)
            .strip();
    assertTrue(job.matches("[0-9]+"), "sbatch answered " + job);
    try {
      while (!run(List.of("squeue", "-h", "-j", job), 30).isBlank()) {
        if (System.nanoTime() > deadline) {
          fail("the array job " + job + " did not finish in " + LIMIT_SECONDS + " s");
        }
        Thread.sleep(1000);
      }
    } finally {
      run(List.of("scancel", job), 30); // nothing to cancel when it finished
    }
    for (int task = 1; task <= lines.size(); task++) {
      Path log = tmp.resolve("slurm-" + job + "_" + task + ".log");
      String name = names.get(task - 1);
      assertTrue(Files.isRegularFile(log), "no log of array task " + task);
      assertTrue(
          Files.readString(log).contains(name + ": test accuracy"),
          "array task " + task + " did not finish " + name + ": " + Files.readString(log));
    }

    CliRunner.Result report = CliRunner.run("", "study", "report", dir.toString());
    assertEquals(0, report.status(), report.err());
    JsonNode results = JSON.readTree(dir.resolve("results.json").toFile());
    List<String> finished = new ArrayList<>();
    results.get("finished").forEach(n -> finished.add(n.asText()));
    assertEquals(names, finished);
    assertEquals(0, results.get("unfinished").size(), results.toString());
    for (String name : names) {
      assertTrue(Files.isRegularFile(dir.resolve("runs").resolve(name).resolve("study-eval.json")));
    }
    assertTrue(Files.isRegularFile(dir.resolve("report.html")));
  }

  /**
   * Makes sure a one-node cluster answers: starts it with {@code scripts/slurm-one-node.sh} when
   * this process is root; otherwise skips (fails in CI).
   */
  private static void requireCluster() throws Exception {
    if (!onPath("sbatch") || !onPath("slurmctld") || !onPath("munged")) {
      unavailable("Slurm is not installed (apt-get install slurm-wlm munge)");
    }
    if (answers()) {
      return;
    }
    if (!"root".equals(System.getProperty("user.name"))) {
      unavailable(
          "no Slurm cluster answers and starting one needs root: sudo scripts/slurm-one-node.sh");
    }
    Process p =
        new ProcessBuilder("scripts/slurm-one-node.sh")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "scripts/slurm-one-node.sh did not finish");
    assertEquals(0, p.exitValue(), "scripts/slurm-one-node.sh: " + out);
    assertTrue(answers(), "the cluster started but sinfo shows no usable node: " + out);
  }

  private static boolean answers() throws Exception {
    Process p =
        new ProcessBuilder("sinfo", "-h", "-o", "%T")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor(30, TimeUnit.SECONDS)
        && p.exitValue() == 0
        && out.lines().anyMatch(s -> s.matches("idle|mixed|allocated"));
  }

  private static void unavailable(String reason) {
    if ("true".equals(System.getenv("CI"))) {
      fail("CI must run the Slurm test (.ci/run installs and starts Slurm): " + reason);
    }
    System.err.println("SlurmStudyTest skipped: " + reason);
    Assumptions.assumeTrue(false, reason);
  }

  private static boolean onPath(String program) {
    // limit 0: a trailing separator adds no empty entry
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator, 0)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", program));
  }

  /** Runs a command; its standard output, or a failure naming it with its output. */
  private static String run(List<String> cmd, int seconds) throws Exception {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
    if (p.exitValue() != 0 && !cmd.get(0).equals("scancel")) {
      fail(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }
}
