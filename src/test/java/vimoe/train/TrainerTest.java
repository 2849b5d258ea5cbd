package vimoe.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.data.ImageSet;
import vimoe.model.Pooling;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterSpec;
import vimoe.run.Checkpoint;
import vimoe.run.RunConfig;
import vimoe.run.TrainConfig;

/** The training loop: learning, exact resume, and flat native memory. */
class TrainerTest {
  static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

  /**
   * A learnable synthetic set of 8 x 8 textures: class 0 horizontal stripes, 1 vertical stripes, 2
   * a checkerboard, 3 flat grey; every pixel plus uniform noise. Every patch shows its class, so an
   * average-pooled ViT can learn it.
   */
  static ImageSet synthetic(int n, long seed) {
    Random r = new Random(seed);
    byte[] pixels = new byte[n * 64];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(4);
      labels[i] = c;
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          boolean on =
              switch (c) {
                case 0 -> y % 2 == 0;
                case 1 -> x % 2 == 0;
                case 2 -> (x + y) % 2 == 0;
                default -> false;
              };
          int base = c == 3 ? 128 : on ? 200 : 40;
          pixels[i * 64 + y * 8 + x] = (byte) (base + r.nextInt(40) - 20);
        }
      }
    }
    return new ImageSet("synthetic", 1, 8, 8, pixels, labels, List.of("a", "b", "c", "d"));
  }

  static RunConfig config(String router, int epochs, int batch) {
    return config(router, epochs, batch, false);
  }

  static RunConfig config(String router, int epochs, int batch, boolean deterministic) {
    VitConfig vit =
        new VitConfig(
            8, 1, 4, 16, 2, 2, 32, 4, Pooling.GAP, "last:1", RouterSpec.of(router), 4, 32, 1);
    TrainConfig t =
        new TrainConfig(
            epochs, batch, 3e-3, 0.05, 0.1, 0.1, 1.0, 7, 32, null, 1, false, deterministic);
    return new RunConfig(
        "synthetic",
        null,
        "test",
        vit,
        t,
        new float[] {0.3f},
        new float[] {0.3f},
        List.of("a", "b", "c", "d"));
  }

  static TrainingRun.Splits splits() {
    ImageSet.Split split = synthetic(288, 1).split(32, 7);
    return new TrainingRun.Splits(split.train(), split.validation(), synthetic(64, 2));
  }

  @Test
  void learnsTheSyntheticTask(@TempDir Path dir) throws Exception {
    List<String> notFinite = new java.util.ArrayList<>();
    var result =
        TrainingRun.run(
            config("softmax-tc", 10, 32),
            splits(),
            dir,
            false,
            new Trainer.Listener() {
              @Override
              public void onTrainingBatch(Trainer.Step s) {
                if (!Double.isFinite(s.loss()) || !Double.isFinite(s.accuracy())) {
                  notFinite.add(
                      "step " + s.step() + ": loss " + s.loss() + ", accuracy " + s.accuracy());
                }
              }
            },
            QUIET);
    assertTrue(result.testAccuracy() > 0.9, "test accuracy " + result.testAccuracy());
    assertEquals(
        List.of(),
        notFinite,
        "progress shows the last read values, never NaN (epochs start without a read)");
    for (String file :
        List.of("config.json", "metrics.jsonl", "result.json", "checkpoint/model.params")) {
      assertTrue(Files.isRegularFile(dir.resolve(file)), file);
    }
    assertEquals(
        10,
        Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
            .filter(l -> l.contains("\"epoch\""))
            .count());
  }

  @Test
  void aResumedRunReachesTheSameParametersAsAnUninterruptedOne(@TempDir Path dir) throws Exception {
    // softmax-tc: its router noise must be reproduced after the resume as well.
    RunConfig three = config("softmax-tc", 3, 32, true);
    TrainingRun.run(three, splits(), dir.resolve("whole"), false, new Trainer.Listener() {}, QUIET);

    // The same run stopped after its first epoch: train 3 epochs but stop the listener's run after
    // epoch 1.
    Path split = dir.resolve("split");
    try {
      TrainingRun.run(
          three,
          splits(),
          split,
          false,
          new Trainer.Listener() {
            @Override
            public void onEpoch(Trainer.EpochSummary s) {
              throw new StopHere();
            }
          },
          QUIET);
    } catch (StopHere expected) {
      // the checkpoint of epoch 1 is on disk
    }
    TrainingRun.run(three, splits(), split, true, new Trainer.Listener() {}, QUIET);
    float[] whole = parameters(three, dir.resolve("whole")), resumed = parameters(three, split);
    // Bit for bit, in the deterministic mode (one intra-op thread).
    assertTrue(
        java.util.Arrays.equals(whole, resumed),
        "resumed parameters differ from the uninterrupted run's");
  }

  static final class StopHere extends RuntimeException {}

  private static float[] parameters(RunConfig config, Path runDir) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      VisionTransformer model = new VisionTransformer(config.model());
      Checkpoint.loadModel(runDir, model, m);
      List<Float> all = new ArrayList<>();
      model
          .getParameters()
          .forEach(
              p -> {
                for (float v : p.getValue().getArray().toFloatArray()) {
                  all.add(v);
                }
              });
      float[] out = new float[all.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = all.get(i);
      }
      return out;
    }
  }

  @Test
  void nativeMemoryStaysFlatOver300Steps() throws Exception {
    RunConfig config = config("soft", 1, 16);
    ImageSet train = synthetic(16 * 300, 3);
    List<Long> rss = new ArrayList<>();
    try (NDManager m = NDManager.newBaseManager()) {
      VisionTransformer model = TrainingRun.build(config, m);
      AdamW optimizer = new AdamW(Trainer.parameters(model), 0.05, m);
      Trainer trainer =
          new Trainer(
              model,
              config.train(),
              train,
              null,
              config.mean(),
              config.std(),
              vimoe.data.Augmentation.NONE);
      trainer.fit(
          m,
          optimizer,
          null,
          List.of(
              new Trainer.Listener() {
                @Override
                public void onTrainingBatch(Trainer.Step s) {
                  if (s.step() % 25 == 0) {
                    rss.add(nativeBytes());
                  }
                }
              }));
    }
    long warm = rss.get(3); // after 100 steps
    long last = rss.get(rss.size() - 1);
    System.out.printf(
        "native memory after 100 steps %.1f MB, after 300 steps %.1f MB%n", warm / 1e6, last / 1e6);
    assertTrue(
        last < warm * 1.10,
        "native memory grew from " + warm / 1e6 + " MB to " + last / 1e6 + " MB");
  }

  /** Resident memory outside the JVM's own heap and metaspace: the engine's native memory. */
  private static long nativeBytes() {
    System.gc();
    var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
    long jvm =
        memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
    return residentBytes() - jvm;
  }

  private static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException("no VmRSS");
  }

  @Test
  void scheduleWarmsUpThenDecaysToZero() {
    LearningRateSchedule s = LearningRateSchedule.of(1e-3, 100, 0.05);
    assertEquals(5, s.warmupSteps());
    assertEquals(2e-4, s.at(0), 1e-12);
    assertEquals(1e-3, s.at(4), 1e-12);
    assertEquals(1e-3, s.at(5), 1e-12);
    assertEquals(0.5e-3, s.at(5 + 95 / 2), 2e-5);
    assertTrue(s.at(99) < 1e-5);
  }
}
