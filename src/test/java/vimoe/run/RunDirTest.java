package vimoe.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.moe.routing.RoutingMetrics;

/**
 * The run directory: atomic files, the lock, checkpoint recovery, the metrics log and the typed
 * result.
 */
class RunDirTest {

  /**
   * Writes a checkpoint directory by hand; {@code complete} decides whether its state.json (written
   * last) exists.
   */
  private static void checkpoint(Path dir, int epoch, boolean complete) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve(Checkpoint.PARAMS), new byte[] {(byte) epoch});
    Files.write(dir.resolve(Checkpoint.OPTIMIZER), new byte[] {1});
    if (complete) {
      Files.write(
          dir.resolve(Checkpoint.STATE),
          RunJson.RESULTS.writeValueAsBytes(
              new Checkpoint.State(epoch, 10 * epoch, epoch, epoch, 320L * epoch)));
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static int epochOf(Path run) throws IOException {
    return Checkpoint.state(run).epoch();
  }

  @Test
  void aCompleteNewCheckpointReplacesTheOldOne(@TempDir Path run) throws IOException {
    // killed after step 5 of the save after epoch 2: the new directory is complete
    checkpoint(run.resolve(Checkpoint.DIR), 1, true);
    checkpoint(run.resolve(Checkpoint.NEW), 2, true);
    List<String> repairs = Checkpoint.recover(run);
    assertEquals(2, epochOf(run));
    assertEquals(List.of(Checkpoint.DIR), names(run));
    assertEquals(1, repairs.size(), repairs.toString());
    assertTrue(repairs.get(0).contains("epoch 2"), repairs.toString());
  }

  @Test
  void aHalfWrittenCheckpointIsDeletedAndTheOldOneKept(@TempDir Path run) throws IOException {
    checkpoint(run.resolve(Checkpoint.DIR), 1, true);
    checkpoint(run.resolve(Checkpoint.NEW), 2, false);
    Checkpoint.recover(run);
    assertEquals(1, epochOf(run));
    assertEquals(List.of(Checkpoint.DIR), names(run));
  }

  @Test
  void theOldCheckpointGoesBackWhenNothingNewerIsComplete(@TempDir Path run) throws IOException {
    // killed between the two renames, with a damaged new directory (its state.json cut short)
    checkpoint(run.resolve(Checkpoint.OLD), 1, true);
    checkpoint(run.resolve(Checkpoint.NEW), 2, false);
    Files.writeString(run.resolve(Checkpoint.NEW).resolve(Checkpoint.STATE), "{\"epoch\": 2, \"st");
    Checkpoint.recover(run);
    assertEquals(1, epochOf(run));
    assertEquals(List.of(Checkpoint.DIR), names(run));
  }

  @Test
  void anEarlierVersionsInterruptedSaveIsFinished(@TempDir Path run) throws IOException {
    // what the issue found: .checkpoint-old and .checkpoint-<n>, both complete, and no checkpoint/
    checkpoint(run.resolve(Checkpoint.OLD), 1, true);
    checkpoint(run.resolve(".checkpoint-8731"), 2, true);
    Checkpoint.recover(run);
    assertEquals(2, epochOf(run));
    assertEquals(List.of(Checkpoint.DIR), names(run));
  }

  @Test
  void aStaleTemporaryOlderThanTheCheckpointIsDeleted(@TempDir Path run) throws IOException {
    checkpoint(run.resolve(Checkpoint.DIR), 3, true);
    checkpoint(run.resolve(".checkpoint-12"), 2, true);
    checkpoint(run.resolve(Checkpoint.OLD), 2, true);
    assertEquals(2, Checkpoint.recover(run).size());
    assertEquals(3, epochOf(run));
    assertEquals(List.of(Checkpoint.DIR), names(run));
    assertEquals(List.of(), Checkpoint.recover(run)); // nothing left to repair
  }

  @Test
  void atomicWritesLeaveNoTemporaryAndReplaceTheOldContent(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("result.json");
    AtomicFiles.write(file, "old".getBytes(StandardCharsets.UTF_8));
    AtomicFiles.write(file, "new".getBytes(StandardCharsets.UTF_8));
    assertEquals("new", Files.readString(file));
    assertEquals(List.of("result.json"), names(dir));
  }

  @Test
  void aSecondWriterIsRefusedAndNamesTheFirst(@TempDir Path dir) throws IOException {
    try (RunLock first = RunLock.acquire(dir, "vimoe train")) {
      RunLockedException e =
          assertThrows(RunLockedException.class, () -> RunLock.acquire(dir, "vimoe eval"));
      assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
      assertTrue(e.getMessage().contains("vimoe train"), e.getMessage());
      assertTrue(first.isValid());
    }
    try (RunLock again = RunLock.acquire(dir, "vimoe eval")) { // released: free again
      assertTrue(again.isValid());
    }
  }

  @Test
  void openingARunRepairsItAndDeletesTemporaries(@TempDir Path run) throws IOException {
    Files.writeString(run.resolve(RunDir.CONFIG), "{}");
    Files.writeString(run.resolve(".result.json.tmp"), "{\"router\": ");
    checkpoint(run.resolve(Checkpoint.NEW), 1, true);
    try (RunDir dir = RunDir.open(run, "test")) {
      assertEquals(2, dir.repairs().size(), dir.repairs().toString());
      assertEquals(1, dir.checkpoint().orElseThrow().epoch());
      assertFalse(dir.finished());
    }
    assertEquals(List.of(RunLock.FILE, Checkpoint.DIR, RunDir.CONFIG), names(run));
    Path empty = Files.createDirectories(run.resolve("empty"));
    IOException e = assertThrows(IOException.class, () -> RunDir.open(empty, "test"));
    assertTrue(e.getMessage().contains("config.json does not exist"), e.getMessage());
  }

  @Test
  void metricsResumeFromTheCheckpointsStepWithoutATornLine(@TempDir Path dir) throws IOException {
    MetricsLog log = new MetricsLog(dir.resolve(RunDir.METRICS));
    log.append(Map.of("step", 50, "loss", 1.0));
    log.append(Map.of("epoch", 1, "step", 90), true);
    log.append(Map.of("step", 100, "loss", 0.9));
    Files.writeString(log.file(), "{\"epoch\": 2, \"st", java.nio.file.StandardOpenOption.APPEND);
    log.truncateAfter(90);
    assertEquals(
        List.of(Map.of("step", 50, "loss", 1.0), Map.of("epoch", 1, "step", 90)), log.read());
    log.truncateAfter(0);
    assertEquals(List.of(), log.read());
  }

  @Test
  void theResultIsATypedRecordWithTheJsonNamesOfReadme(@TempDir Path dir) throws IOException {
    RoutingMetrics routing =
        new RoutingMetrics(0.25, 0.5, new double[] {3, 1}, 1, 2, 3, 0.5, 0.75, 1, 1, 1, 0.6, 0.01);
    EvalResult eval =
        new EvalResult(
            0.875,
            null,
            List.of("a", "b"),
            new double[] {1, 0.75},
            new int[][] {{4, 0}, {1, 3}},
            "idx:data",
            Map.of("10", new EvalResult.FewShot(0.8, 0.02)),
            new EvalResult.Parameters(1000, 400),
            12345,
            99.5,
            Map.of("block4", routing));
    RunResult result = RunResult.of("softmax-tc", 3, 2, eval, 250.0, 12.5);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(RunDir.CONFIG), "{}");
    try (RunDir run = RunDir.open(dir, "test")) {
      run.writeResult(result);
      assertTrue(run.finished());
    }
    JsonNode json = RunJson.RESULTS.readTree(dir.resolve(RunDir.RESULT).toFile());
    assertEquals(0.875, json.get("test_accuracy").asDouble());
    assertTrue(json.get("validation_accuracy").isNull());
    assertEquals(0.8, json.get("fewshot").get("10").get("mean").asDouble());
    assertEquals(400, json.get("parameters").get("active").asLong());
    assertEquals(0.25, json.get("routing").get("block4").get("dropped_fraction").asDouble());
    assertEquals(0.5, json.get("routing").get("block4").get("under_k_fraction").asDouble());
    assertEquals(250.0, json.get("train_images_per_second").asDouble());
    RunResult back = RunDir.readResult(dir);
    assertEquals(0.8, back.fewshot(10).mean());
    assertNull(back.fewshot(5));
    assertEquals(3, back.routing().get("block4").tokensPerExpert()[0]);
    assertEquals(3, back.confusionMatrix()[1][1]);
    assertEquals(eval.fewshotDataset(), back.evaluation().fewshotDataset());
    assertEquals(12.5, back.elapsedSeconds());
  }

  @Test
  void checkpointsOfNonFiniteParametersAreNeitherWrittenNorRead(@TempDir Path run)
      throws IOException {
    try (NDManager manager = NDManager.newBaseManager()) {
      Linear layer = Linear.builder().setUnits(3).build();
      layer.initialize(manager, DataType.FLOAT32, new Shape(1, 2));
      Checkpoint.save(run, layer, null, new Checkpoint.State(1, 5, 1, 1, 10));
      assertNull(Checkpoint.firstNonFinite(layer));
      layer
          .getParameters()
          .valueAt(0)
          .getArray()
          .set(new ai.djl.ndarray.index.NDIndex("0, 1"), Float.NaN);
      String bad = Checkpoint.firstNonFinite(layer);
      assertEquals("weight", bad);
      assertThrows(
          IllegalStateException.class,
          () -> Checkpoint.save(run, layer, null, new Checkpoint.State(2, 10, 2, 2, 20)));
      assertEquals(1, Checkpoint.state(run).epoch()); // the finite checkpoint stays

      // a checkpoint holding a NaN, as an earlier version could write: loading refuses it
      Path damaged = Files.createDirectories(run.resolve("nan"));
      try (var out =
          new java.io.DataOutputStream(Files.newOutputStream(damaged.resolve(Checkpoint.PARAMS)))) {
        layer.saveParameters(out);
      }
      Linear fresh = Linear.builder().setUnits(3).build();
      IOException e =
          assertThrows(IOException.class, () -> Checkpoint.loadParameters(damaged, fresh, manager));
      assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
      Linear intact = Linear.builder().setUnits(3).build();
      Checkpoint.loadParameters(run.resolve(Checkpoint.DIR), intact, manager);
    }
  }
}
