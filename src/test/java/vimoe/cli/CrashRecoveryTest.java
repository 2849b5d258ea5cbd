package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.run.CrashHook;

/**
 * Real training processes (separate JVMs on the test classpath) killed at 22 points: just after the
 * run directory is open, inside the first epoch (no checkpoint yet), after each of the 8 steps of a
 * checkpoint save, steps 1-5 both in the first save and in one that replaces a checkpoint (by
 * {@link CrashHook}, which halts the JVM as {@code kill -9} would), at 4 random instants ({@link
 * Process#destroyForcibly}, SIGKILL: two during start-up and repair, two while training or saving),
 * and after the final evaluation. Each crash is followed by {@code train --resume}, which repairs
 * what it finds and goes on until the next crash; the last one finishes. The parameters must equal,
 * bit for bit, those of an uninterrupted run (both {@code --deterministic}), the metrics log must
 * hold every epoch once, with the same numbers, and no temporary file may be left. The
 * uninterrupted run is started twice at once on one directory: exactly one may run.
 */
class CrashRecoveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int EPOCHS = 10;
  private static final Set<String> RUN_FILES =
      Set.of(".lock", "config.json", "metrics.jsonl", "checkpoint", "result.json", "eval.json");
  private static final Set<String> CHECKPOINT_FILES =
      Set.of("model.params", "optimizer.bin", "config.json", "state.json");

  private static List<String> train(Path data, Path output) {
    return List.of(
        "train",
        "--dataset",
        "idx:" + data,
        "--router",
        "softmax-tc",
        "--experts",
        "4",
        "--width",
        "16",
        "--depth",
        "2",
        "--heads",
        "2",
        "--epochs",
        Integer.toString(EPOCHS),
        "--batch-size",
        "32",
        "--seed",
        "3",
        "--deterministic",
        "--output",
        output.toString());
  }

  /** Starts {@code vimoe} in a new JVM; its stderr goes to {@code log}. */
  private static Process start(Path log, String crashAt, List<String> args) throws IOException {
    return start(log, crashAt, 0, args);
  }

  /** As {@link #start(Path, String, List)}, pausing {@code pauseMs} after every training step. */
  private static Process start(Path log, String crashAt, long pauseMs, List<String> args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "-Dai.djl.offline=true"));
    if (crashAt != null) {
      command.add("-D" + CrashHook.PROPERTY + "=" + crashAt);
    }
    if (pauseMs > 0) {
      command.add("-D" + CrashHook.PAUSE_PROPERTY + "=" + pauseMs);
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectError(log.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
    return pb.start();
  }

  private static int await(Process p) throws InterruptedException {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "a training process hung");
    return p.exitValue();
  }

  @Test
  void killedRunsResumeToTheParametersOfAnUninterruptedOne(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);

    // Two processes on one --output: exactly one trains; the other exits 2 naming it.
    Path reference = tmp.resolve("reference");
    Process a = start(tmp.resolve("a.log"), null, train(data, reference));
    Process b = start(tmp.resolve("b.log"), null, train(data, reference));
    int statusA = await(a), statusB = await(b);
    String errA = Files.readString(tmp.resolve("a.log")),
        errB = Files.readString(tmp.resolve("b.log"));
    assertEquals(
        Set.of(0, 2),
        Set.of(statusA, statusB),
        "exit statuses " + statusA + ", " + statusB + "\n" + errA + "\n" + errB);
    Process winner = statusA == 0 ? a : b;
    String loserErr = statusA == 0 ? errB : errA;
    // one error line, after whatever progress lines came before the lock was tried
    List<String> errors = loserErr.lines().filter(l -> l.startsWith("vimoe")).toList();
    assertEquals(1, errors.size(), loserErr);
    assertTrue(
        errors.get(0).contains("is in use by another process (pid " + winner.pid() + " on "),
        loserErr);
    assertFalse(loserErr.contains("\tat "), loserErr);
    assertEquals(EPOCHS, epochLines(reference).size());

    // The same run, killed again and again.
    Path run = tmp.resolve("crashed");
    // Steps 1-4 of a save leave an incomplete new checkpoint: the resumed run redoes the epoch and
    // reaches the next step of the same save. From step 5 on the new checkpoint is complete and the
    // resumed run finishes the save, so steps 6-8 are reached in the saves of later epochs.
    List<String> points = new ArrayList<>(List.of("started", "step-4"));
    for (int epoch = 1; epoch <= 2; epoch++) {
      for (int step = 1; step <= 5; step++) {
        points.add("save-" + epoch + "-" + step);
      }
    }
    points.addAll(
        List.of(
            "save-3-6",
            "save-4-7",
            "save-5-8",
            "save-6-3",
            "save-6-6",
            "random-start",
            "random-training",
            "random-start",
            "random-training",
            "result-1"));
    Random random = new Random(11);
    int crashes = 0;
    for (String point : points) {
      List<String> args =
          crashes == 0 ? train(data, run) : List.of("train", "--resume", run.toString());
      Path log = tmp.resolve("crash-" + crashes + ".log");
      if (point.startsWith("random")) {
        // Paced steps keep training going longer than the largest random delay on a fast machine.
        Process p = start(log, null, 50, args);
        long delay;
        if (point.equals("random-start")) { // in start-up, reading data, or repairing the run
          delay = 200L + random.nextInt(1000);
        } else { // while training or saving a checkpoint
          long deadline = System.nanoTime() + 60_000_000_000L;
          while (!Files.readString(log).contains("resuming")
              && p.isAlive()
              && System.nanoTime() < deadline) {
            Thread.sleep(10);
          }
          delay = random.nextInt(400);
        }
        if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
        }
        int status = await(p);
        assertNotEquals(
            0,
            status,
            "the run finished before the kill at " + delay + " ms; " + Files.readString(log));
      } else {
        int status = await(start(log, point, args));
        assertEquals(CrashHook.STATUS, status, point + ": " + Files.readString(log));
      }
      crashes++;
    }
    assertTrue(crashes >= 20);
    Process last =
        start(tmp.resolve("last.log"), null, List.of("train", "--resume", run.toString()));
    assertEquals(0, await(last), Files.readString(tmp.resolve("last.log")));

    // Bit-identical parameters and optimizer state; the same metrics, every epoch once.
    for (String file : List.of("model.params", "optimizer.bin")) {
      assertArrayEquals(
          Files.readAllBytes(reference.resolve("checkpoint").resolve(file)),
          Files.readAllBytes(run.resolve("checkpoint").resolve(file)),
          file);
    }
    assertEquals(withoutTimes(metrics(reference)), withoutTimes(metrics(run)));
    JsonNode expected = JSON.readTree(reference.resolve("result.json").toFile());
    JsonNode result = JSON.readTree(run.resolve("result.json").toFile());
    assertEquals(expected.get("test_accuracy"), result.get("test_accuracy"));
    assertTrue(result.get("train_images_per_second").asDouble() > 0, result.toString());
    assertNoTemporaries(run);

    // eval works on the recovered run; a finished run is left as it is, and --resume keeps its
    // configuration.
    CliRunner.Result eval = CliRunner.run("", "eval", run.toString());
    assertEquals(0, eval.status(), eval.err());
    assertEquals(
        expected.get("test_accuracy").asDouble(),
        JSON.readTree(run.resolve("eval.json").toFile()).get("test_accuracy").asDouble());
    byte[] before = Files.readAllBytes(run.resolve("result.json"));
    CliRunner.Result again = CliRunner.run("", "train", "--resume", run.toString());
    assertEquals(0, again.status(), again.err());
    assertTrue(again.err().contains("is finished"), again.err());
    assertArrayEquals(before, Files.readAllBytes(run.resolve("result.json")));
    CliRunner.Result changed =
        CliRunner.run("", "train", "--resume", run.toString(), "--epochs", "9", "--lr", "1e-3");
    assertEquals(2, changed.status(), changed.err());
    assertTrue(
        changed.err().contains("--epochs, --lr are not allowed with --resume"), changed.err());
    assertNoTemporaries(run);
  }

  @Test
  void aDivergedRunKeepsAFiniteCheckpointAndNonFiniteModelsAreRefused(@TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    Path run = tmp.resolve("diverged");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-Dai.djl.offline=true",
                "-D" + CrashHook.DIVERGE_PROPERTY + "=12",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    command.addAll(train(data, run));
    Path log = tmp.resolve("diverged.log");
    Process p =
        new ProcessBuilder(command)
            .redirectError(log.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertEquals(1, await(p));
    String err = Files.readString(log);
    // step 12 is in epoch 2 (9 steps per epoch); the loss is read at the end of the epoch
    assertTrue(
        err.contains(
            "vimoe train: the run diverged: the training loss became NaN by step 18 (epoch 2); "
                + "the checkpoint after epoch 1 in "
                + run.resolve("checkpoint")
                + " is kept (finite); train again "
                + "with a lower --lr (now 0.002) or a lower --clip-norm (now 1.0)"),
        err);
    assertEquals(
        1, JSON.readTree(run.resolve("checkpoint/state.json").toFile()).get("epoch").asInt());
    assertNoTemporaries(run);

    Path png = tmp.resolve("stripes.png");
    java.awt.image.BufferedImage image =
        new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    javax.imageio.ImageIO.write(image, "png", png.toFile());
    CliRunner.Result predicted =
        CliRunner.run("", "predict", "--run", run.toString(), "--json", png.toString());
    assertEquals(0, predicted.status(), predicted.err());
    double total = 0;
    for (JsonNode t : JSON.readTree(predicted.out()).get(0).get("top5")) {
      assertTrue(Double.isFinite(t.get("probability").asDouble()), predicted.out());
      total += t.get("probability").asDouble();
    }
    assertEquals(1.0, total, 1e-4);

    // A checkpoint holding a NaN (as earlier versions wrote on divergence): eval and predict refuse
    // it.
    Path poisoned = Files.createDirectories(tmp.resolve("poisoned"));
    for (String f : CHECKPOINT_FILES) {
      Files.copy(run.resolve("checkpoint").resolve(f), poisoned.resolve(f));
    }
    poisonLastWeight(poisoned.resolve("model.params"));
    CliRunner.Result eval = CliRunner.run("", "eval", poisoned.toString());
    CliRunner.Result predict =
        CliRunner.run("", "predict", "--run", poisoned.toString(), png.toString());
    for (CliRunner.Result r : List.of(eval, predict)) {
      assertNotEquals(0, r.status());
      assertTrue(r.err().contains("holds non-finite parameters"), r.err());
      assertEquals(1, r.err().strip().lines().count(), r.err());
    }
  }

  /**
   * Overwrites the last float of model.params, the end of the last array's data, with a NaN (all
   * bits set).
   */
  private static void poisonLastWeight(Path params) throws IOException {
    byte[] bytes = Files.readAllBytes(params);
    java.util.Arrays.fill(bytes, bytes.length - 4, bytes.length, (byte) 0xff);
    Files.write(params, bytes);
  }

  private static List<JsonNode> metrics(Path run) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  private static List<JsonNode> epochLines(Path run) throws IOException {
    return metrics(run).stream().filter(n -> n.has("epoch")).toList();
  }

  /** The metrics without the wall-clock numbers, which differ from run to run. */
  private static List<JsonNode> withoutTimes(List<JsonNode> lines) {
    return lines.stream()
        .map(
            n ->
                (JsonNode)
                    ((ObjectNode) n.deepCopy())
                        .without(List.of("train_images_per_second", "epoch_seconds")))
        .toList();
  }

  private static void assertNoTemporaries(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run)) {
      for (Path p : s.toList()) {
        assertTrue(RUN_FILES.contains(p.getFileName().toString()), "left behind: " + p);
      }
    }
    if (Files.exists(run.resolve("checkpoint"))) {
      try (Stream<Path> s = Files.list(run.resolve("checkpoint"))) {
        for (Path p : s.toList()) {
          assertTrue(CHECKPOINT_FILES.contains(p.getFileName().toString()), "left behind: " + p);
        }
      }
    }
    assertFalse(Files.exists(run.resolve(".checkpoint-new")));
  }

  /**
   * A run killed at its very first write leaves only {@code .lock} and {@code .config.json.tmp};
   * {@code --resume} finishes the write and trains from step 0, to the result of a run never
   * killed. An incomplete {@code .config.json.tmp} is refused in one line that says to start again.
   */
  @Test
  void aRunKilledAtItsFirstWriteResumesFromStepZero(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    TrainCommandTest.writeIdx(data, "train", 96, 1);
    TrainCommandTest.writeIdx(data, "t10k", 32, 2);
    Path whole = tmp.resolve("whole");
    CliRunner.Result reference =
        CliRunner.run("", ErrorsTest.tinyRun(data, whole).toArray(String[]::new));
    assertEquals(0, reference.status(), reference.err());

    Path killed = Files.createDirectories(tmp.resolve("killed"));
    Files.copy(whole.resolve(".lock"), killed.resolve(".lock"));
    Files.copy(whole.resolve("config.json"), killed.resolve(".config.json.tmp"));
    CliRunner.Result resumed = CliRunner.run("", "train", "--resume", killed.toString());
    assertEquals(0, resumed.status(), resumed.err());
    assertTrue(resumed.err().contains("renamed .config.json.tmp to config.json"), resumed.err());
    assertTrue(resumed.err().contains("no checkpoint yet: training from step 0"), resumed.err());
    assertEquals(
        Files.readString(whole.resolve("config.json")),
        Files.readString(killed.resolve("config.json")));
    assertFalse(Files.exists(killed.resolve(".config.json.tmp")));
    assertEquals(
        TrainCommandTest.JSON.readTree(whole.resolve("result.json").toFile()).get("test_accuracy"),
        TrainCommandTest.JSON
            .readTree(killed.resolve("result.json").toFile())
            .get("test_accuracy"));

    Path torn = Files.createDirectories(tmp.resolve("torn"));
    Files.copy(whole.resolve(".lock"), torn.resolve(".lock"));
    String config = Files.readString(whole.resolve("config.json"));
    Files.writeString(torn.resolve(".config.json.tmp"), config.substring(0, config.length() / 2));
    CliRunner.Result refused = CliRunner.run("", "train", "--resume", torn.toString());
    assertEquals(2, refused.status(), refused.err());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(refused.err().contains("killed while writing its configuration"), refused.err());
    assertTrue(refused.err().contains("vimoe train --output " + torn), refused.err());
    assertTrue(Files.exists(torn.resolve(".config.json.tmp")), "nothing repaired or deleted");
  }
}
