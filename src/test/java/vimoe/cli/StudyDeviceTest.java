package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device} of {@code study} and {@code study plan} reaches every run, and the device code
 * paths (forced on a CPU with {@code -Dvimoe.devicePaths=true}) reach every child process; the
 * study's evaluation of the model in memory equals the evaluation of its checkpoint.
 */
class StudyDeviceTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private List<String> grid(Path data) {
    return CliRunner.tinyStudy(data, "softmax-ec", 1, 1);
  }

  private Path data() throws Exception {
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 192, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    return data;
  }

  @Test
  void planPassesTheDeviceToEveryRunAndChecksOnlyItsForm() throws Exception {
    Path data = data();
    List<String> a = new ArrayList<>(List.of("study", "plan", "--output", tmp.resolve("s") + ""));
    a.addAll(grid(data));
    a.addAll(List.of("--device", "gpu:3")); // a login node plans for GPU nodes it does not have
    CliRunner.Result plan = CliRunner.run("", a.toArray(String[]::new));
    assertEquals(0, plan.status(), plan.err());
    List<String> lines = plan.out().lines().toList();
    assertEquals(2, lines.size(), plan.out()); // dense-s0, softmax-ec-s0
    for (String line : lines) {
      assertTrue(line.contains(" --device gpu:3"), line);
    }
    a.set(a.size() - 1, "tpu");
    CliRunner.Result bad = CliRunner.run("", a.toArray(String[]::new));
    assertEquals(2, bad.status(), bad.err());
    assertTrue(bad.err().contains("--device must be cpu, gpu or gpu:N, got 'tpu'"), bad.err());

    // `study` itself runs here: a GPU this machine's engine does not see is refused, nothing
    // written
    List<String> run = new ArrayList<>(List.of("study", "--output", tmp.resolve("r") + ""));
    run.addAll(grid(data));
    run.addAll(List.of("--device", "gpu:63"));
    CliRunner.Result refused = CliRunner.run("", run.toArray(String[]::new));
    assertEquals(2, refused.status(), refused.err());
    assertEquals(1, refused.err().strip().lines().count(), refused.err());
    assertTrue(refused.err().contains("--device gpu:63: the engine sees"), refused.err());
    assertTrue(Files.notExists(tmp.resolve("r")));
  }

  @Test
  void childrenRunOnTheDeviceWithTheDevicePathsAndTheCheckpointEvaluatesAlike() throws Exception {
    Path data = data();
    Path dir = tmp.resolve("study");
    List<String> args =
        new ArrayList<>(
            List.of("study", "--output", dir.toString(), "--jobs", "2", "--device", "cpu"));
    args.addAll(grid(data));
    String out = studyWithDevicePaths(args, tmp.resolve("study.log"));
    int cores = Runtime.getRuntime().availableProcessors();
    assertTrue(out.contains("2 processes sharing cpu()"), out);
    assertTrue(
        out.contains("each with " + Math.max(1, cores / 2) + " of the " + cores + " processors"),
        out);
    for (String run : List.of("dense-s0", "softmax-ec-s0")) {
      Path runDir = dir.resolve("runs").resolve(run);
      JsonNode extras = JSON.readTree(runDir.resolve("study-eval.json").toFile());
      assertEquals("cpu()", extras.get("device").asText(), run);
      assertEquals("device", extras.get("routing_paths").asText(), run);
      String childLog = Files.readString(dir.resolve("logs").resolve(run + ".log"));
      // a progress line for each evaluation phase, in the child's log
      for (String phase :
          List.of(
              run + ": evaluating on 64 test images...",
              run + ": few-shot linear probe",
              run + ": test set under Gaussian noise (64 images)...",
              run + ": test set under rotation (64 images)...",
              run + ": test accuracy")) {
        assertTrue(childLog.contains(phase), phase + " in " + childLog);
      }
    }
    String ec = Files.readString(dir.resolve("logs/softmax-ec-s0.log"));
    assertTrue(ec.contains("test set under capacity factor 2 (64 images)..."), ec);

    // The checkpoint, evaluated again (the path of a run stopped between training and the study's
    // evaluation), gives the numbers the model in memory gave.
    Path ecDir = dir.resolve("runs/softmax-ec-s0");
    JsonNode inMemory = JSON.readTree(ecDir.resolve("study-eval.json").toFile());
    Files.delete(ecDir.resolve("study-eval.json"));
    args.subList(3, 7).clear(); // without --jobs and --device: in this process, the default device
    String again = studyWithDevicePaths(args, tmp.resolve("again.log"));
    assertTrue(again.contains("kept finished run dense-s0"), again);
    assertTrue(again.contains("softmax-ec-s0: test set under Gaussian noise"), again);
    JsonNode fromCheckpoint = JSON.readTree(ecDir.resolve("study-eval.json").toFile());
    for (String f : List.of("noise_accuracy", "rotation_accuracy", "capacity", "dominant_expert")) {
      assertEquals(inMemory.get(f), fromCheckpoint.get(f), f);
    }
  }

  /** Runs vimoe with {@code args} in a JVM that forces the device paths; returns its output. */
  private static String studyWithDevicePaths(List<String> args, Path log) throws Exception {
    List<String> cmd = new ArrayList<>(StudyCommandTest.javaCommand());
    cmd.add(1, "-Dvimoe.devicePaths=true"); // the GPU's tensor programs, on this CPU
    cmd.addAll(args);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the study did not finish");
    String out = Files.readString(log);
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}
