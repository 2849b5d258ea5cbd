package vimoe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import vimoe.Mutations;
import vimoe.model.Pooling;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterSpec;
import vimoe.run.Checkpoint;

/**
 * Fuzzing of the checkpoint reader: damaged copies of a real checkpoint's {@code model.params},
 * {@code optimizer.bin} and {@code state.json}. Each either loads (damage confined to the numbers)
 * or is refused with an IOException whose one-line message names the damaged file; nothing else may
 * escape (no EOFException, out of memory, negative array size, native error).
 */
class CheckpointFuzzTest {
  private static final VitConfig CONFIG =
      new VitConfig(
          8, 1, 4, 16, 2, 2, 32, 3, Pooling.GAP, "last:1", RouterSpec.of("softmax-tc"), 2, 32, 1);
  private static Path pristine;

  @BeforeContainer
  static void writeCheckpoint() throws IOException {
    pristine = Files.createTempDirectory("checkpoint-fuzz");
    try (NDManager manager = NDManager.newBaseManager()) {
      VisionTransformer model = initialised(manager);
      AdamW optimizer = new AdamW(Trainer.parameters(model), 0.05, manager);
      Checkpoint.save(
          pristine, model, optimizer.encodeState(), new Checkpoint.State(1, 3, 0, 0, 0));
    }
  }

  @AfterContainer
  static void deleteCheckpoint() throws IOException {
    deleteAll(pristine);
  }

  @Property(tries = 300)
  void modelParametersLoadOrAreRefusedByName(@ForAll long seed) throws IOException {
    withDamaged(
        "model.params",
        seed,
        (run, manager) ->
            Checkpoint.loadParameters(
                run.resolve(Checkpoint.DIR), new VisionTransformer(CONFIG), manager));
  }

  @Property(tries = 400)
  void optimizerStateLoadsOrIsRefusedByName(@ForAll long seed) throws IOException {
    withDamaged(
        "optimizer.bin",
        seed,
        (run, manager) -> {
          VisionTransformer model = initialised(manager);
          AdamW optimizer = new AdamW(Trainer.parameters(model), 0.05, manager);
          Checkpoint.loadOptimizer(
              run, optimizer.stateLayout(), bytes -> optimizer.decodeState(bytes, manager));
        });
  }

  @Property(tries = 400)
  void trainerStateLoadsOrIsRefusedByName(@ForAll long seed) throws IOException {
    withDamaged("state.json", seed, (run, manager) -> Checkpoint.state(run));
  }

  @Property(tries = 20)
  void theUndamagedCheckpointLoads(@ForAll long seed) throws Exception {
    try (NDManager manager = NDManager.newBaseManager()) {
      Checkpoint.loadParameters(
          pristine.resolve(Checkpoint.DIR), new VisionTransformer(CONFIG), manager);
      AdamW optimizer = new AdamW(Trainer.parameters(initialised(manager)), 0.05, manager);
      Checkpoint.loadOptimizer(
          pristine, optimizer.stateLayout(), bytes -> optimizer.decodeState(bytes, manager));
      assertEquals(3, Checkpoint.state(pristine).step());
    }
  }

  /** A load of a run directory. */
  interface Load {
    void run(Path runDir, NDManager manager) throws Exception;
  }

  private static void withDamaged(String file, long seed, Load load) throws IOException {
    Path run = Files.createTempDirectory("checkpoint-damaged");
    try (NDManager manager = NDManager.newBaseManager()) {
      Path dir = Files.createDirectories(run.resolve(Checkpoint.DIR));
      try (Stream<Path> files = Files.list(pristine.resolve(Checkpoint.DIR))) {
        for (Path f : files.toList()) {
          byte[] bytes = Files.readAllBytes(f);
          boolean target = f.getFileName().toString().equals(file);
          Files.write(dir.resolve(f.getFileName()), target ? Mutations.mutate(bytes, seed) : bytes);
        }
      }
      try {
        load.run(run, manager);
      } catch (IOException e) {
        String m = e.getMessage();
        assertFalse(m == null || m.isBlank(), "a message");
        assertEquals(1, m.lines().count(), "one line: " + m);
        assertTrue(m.contains(file), "names " + file + ": " + m);
      } catch (Throwable t) {
        fail("only an IOException naming " + file + " may escape, got " + t, t);
      }
    } finally {
      deleteAll(run);
    }
  }

  private static VisionTransformer initialised(NDManager manager) {
    VisionTransformer model = new VisionTransformer(CONFIG);
    model.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 8, 8));
    return model;
  }

  private static void deleteAll(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
