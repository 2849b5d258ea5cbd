package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train, eval, predict and info from the command line, on a tiny IDX dataset of 8 x 8 textures. */
class TrainCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void trainThenEvalPredictAndInfo(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("textures");
    writeIdx(data, "train", 320, 1);
    writeIdx(data, "t10k", 64, 2);
    Path run = tmp.resolve("run");
    CliRunner.Result trained =
        CliRunner.run(
            "",
            "train",
            "--dataset",
            "idx:" + data,
            "--router",
            "softmax-tc",
            "--epochs",
            "2",
            "--batch-size",
            "32",
            "--validation-size",
            "32",
            "--experts",
            "4",
            "--output",
            run.toString());
    assertEquals(0, trained.status(), trained.err());
    assertTrue(trained.out().startsWith("test accuracy "), trained.out());
    JsonNode result = JSON.readTree(run.resolve("result.json").toFile());
    for (String field :
        List.of(
            "test_accuracy",
            "validation_accuracy",
            "fewshot",
            "train_images_per_second",
            "parameters",
            "flops_per_image",
            "routing",
            "router",
            "seed",
            "elapsed_seconds")) {
      assertTrue(result.has(field), "result.json lacks " + field);
    }
    assertEquals("softmax-tc", result.get("router").asText());
    assertEquals(2, result.get("routing").size()); // the last two blocks are MoE layers
    assertTrue(result.get("routing").get("block4").has("dropped_fraction"));
    assertTrue(
        result.get("parameters").get("total").asLong()
            > result.get("parameters").get("active").asLong());

    CliRunner.Result again =
        CliRunner.run("", "train", "--dataset", "idx:" + data, "--output", run.toString());
    assertEquals(2, again.status());
    assertTrue(again.err().contains("already holds a run"), again.err());

    CliRunner.Result eval = CliRunner.run("", "eval", run.toString());
    assertEquals(0, eval.status(), eval.err());
    JsonNode evaluated = JSON.readTree(run.resolve("eval.json").toFile());
    assertEquals(
        result.get("test_accuracy").asDouble(), evaluated.get("test_accuracy").asDouble(), 1e-12);
    JsonNode ten = evaluated.get("fewshot").get("10");
    assertTrue(
        eval.out()
            .contains(
                ten == null
                    ? "10-shot accuracy - "
                    : String.format("10-shot accuracy %.4f;", ten.get("mean").asDouble())),
        eval.out());

    // A checkpoint directory evaluates the same model: the run's checkpoint/, and a copy of it
    // elsewhere.
    CliRunner.Result fromCheckpoint =
        CliRunner.run(
            "",
            "eval",
            run.resolve("checkpoint").toString(),
            "--output",
            tmp.resolve("from-checkpoint.json").toString());
    assertEquals(0, fromCheckpoint.status(), fromCheckpoint.err());
    Path copy = Files.createDirectories(tmp.resolve("elsewhere"));
    try (var files = Files.list(run.resolve("checkpoint"))) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    CliRunner.Result fromCopy = CliRunner.run("", "eval", copy.toString());
    assertEquals(0, fromCopy.status(), fromCopy.err());
    for (Path file : List.of(tmp.resolve("from-checkpoint.json"), copy.resolve("eval.json"))) {
      assertEquals(
          result.get("test_accuracy").asDouble(),
          JSON.readTree(file.toFile()).get("test_accuracy").asDouble(),
          1e-12,
          file.toString());
    }
    Files.delete(copy.resolve("config.json"));
    CliRunner.Result noConfig = CliRunner.run("", "eval", copy.toString());
    assertEquals(2, noConfig.status());
    assertTrue(noConfig.err().contains("no config.json"), noConfig.err());

    // The few-shot probe on another dataset: 3 of the texture classes as PNG files, 6 training
    // images per class, so only the 1- and 5-shot probes can be drawn.
    Path folder = tmp.resolve("folder");
    writeTextureFolder(folder.resolve("train"), 6, 3);
    writeTextureFolder(folder.resolve("test"), 10, 4);
    Path fewFile = tmp.resolve("few.json");
    CliRunner.Result few =
        CliRunner.run(
            "",
            "eval",
            run.toString(),
            "--fewshot-dataset",
            "folder:" + folder,
            "--output",
            fewFile.toString());
    assertEquals(0, few.status(), few.err());
    JsonNode fewResult = JSON.readTree(fewFile.toFile());
    assertEquals("folder:" + folder, fewResult.get("fewshot_dataset").asText());
    assertEquals(List.of("1", "5"), iterable(fewResult.get("fewshot").fieldNames()));
    double fiveShot = fewResult.get("fewshot").get("5").get("mean").asDouble();
    assertTrue(fiveShot >= 0.8, "5-shot accuracy on three distinct textures: " + fiveShot);
    assertEquals(
        "idx:" + data,
        evaluated.get("fewshot_dataset").asText()); // by default, the training dataset
    CliRunner.Result noFolder =
        CliRunner.run(
            "", "eval", run.toString(), "--fewshot-dataset", "folder:" + tmp.resolve("nowhere"));
    assertEquals(2, noFolder.status());
    assertTrue(noFolder.err().contains("is not a directory"), noFolder.err());

    Path png = tmp.resolve("stripes.png");
    BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        image.getRaster().setSample(x, y, 0, y % 2 == 0 ? 200 : 40);
      }
    }
    ImageIO.write(image, "png", png.toFile());
    CliRunner.Result predicted =
        CliRunner.run("", "predict", "--run", run.toString(), "--json", png.toString());
    assertEquals(0, predicted.status(), predicted.err());
    JsonNode top5 = JSON.readTree(predicted.out()).get(0).get("top5");
    assertEquals(4, top5.size()); // only 4 classes
    double total = 0;
    for (JsonNode t : top5) {
      total += t.get("probability").asDouble();
    }
    assertEquals(1.0, total, 1e-4);

    CliRunner.Result missing =
        CliRunner.run("", "predict", "--run", tmp.resolve("nothing").toString(), png.toString());
    assertEquals(2, missing.status());
    assertTrue(missing.err().contains("not a run directory"), missing.err());
  }

  @Test
  void infoCountsParametersAndFlops() throws Exception {
    CliRunner.Result dense = CliRunner.run("", "info", "--router", "dense", "--json");
    CliRunner.Result moe = CliRunner.run("", "info", "--router", "softmax-ec", "--json");
    assertEquals(0, dense.status(), dense.err());
    JsonNode d = JSON.readTree(dense.out()), m = JSON.readTree(moe.out());
    assertEquals(d.get("parameters_total").asLong(), d.get("parameters_active_per_token").asLong());
    assertTrue(m.get("parameters_total").asLong() > 2 * d.get("parameters_total").asLong());
    assertEquals(49, m.get("tokens_per_image").asInt());
    assertTrue(m.get("flops_per_image").asLong() > d.get("flops_per_image").asLong());
  }

  @Test
  void badOptionsGetOneClearLine() {
    CliRunner.Result router = CliRunner.run("", "train", "--router", "top3");
    assertEquals(2, router.status());
    assertTrue(router.err().contains("unknown router \"top3\""), router.err());
    assertEquals(1, router.err().lines().count(), router.err());
    CliRunner.Result dataset = CliRunner.run("", "train", "--dataset", "mnist:/nowhere");
    assertEquals(2, dataset.status());
    assertTrue(
        dataset.err().contains("fashion-mnist, idx:DIR, cifar10:DIR, folder:DIR"), dataset.err());
    CliRunner.Result epochs =
        CliRunner.run("", "train", "--epochs", "0", "--dataset", "idx:/nowhere");
    assertEquals(2, epochs.status());
    assertTrue(epochs.err().contains("epochs must be >= 1, got 0"), epochs.err());
    CliRunner.Result typo = CliRunner.run("", "train", "--epoch", "3");
    assertEquals(2, typo.status()); // a usage error
    assertFalse(typo.err().isBlank());
  }

  /**
   * Writes n PNG images per class of horizontal stripes, vertical stripes and checkerboards, with
   * noise.
   */
  static void writeTextureFolder(Path dir, int n, long seed) throws Exception {
    Random r = new Random(seed);
    String[] names = {"horizontal", "vertical", "checker"};
    for (int c = 0; c < names.length; c++) {
      Files.createDirectories(dir.resolve(names[c]));
      for (int i = 0; i < n; i++) {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
          for (int x = 0; x < 8; x++) {
            boolean on = c == 0 ? y % 2 == 0 : c == 1 ? x % 2 == 0 : (x + y) % 2 == 0;
            image.getRaster().setSample(x, y, 0, (on ? 200 : 40) + r.nextInt(30) - 15);
          }
        }
        ImageIO.write(image, "png", dir.resolve(names[c]).resolve(i + ".png").toFile());
      }
    }
  }

  private static List<String> iterable(java.util.Iterator<String> names) {
    List<String> out = new java.util.ArrayList<>();
    names.forEachRemaining(out::add);
    return out;
  }

  /**
   * Writes images and labels in IDX format: class 0 horizontal stripes, 1 vertical, 2 checkerboard,
   * 3 flat.
   */
  static void writeIdx(Path dir, String prefix, int n, long seed) throws Exception {
    Files.createDirectories(dir);
    Random r = new Random(seed);
    ByteArrayOutputStream images = new ByteArrayOutputStream(),
        labels = new ByteArrayOutputStream();
    DataOutputStream im = new DataOutputStream(images), lb = new DataOutputStream(labels);
    im.writeInt(0x803);
    im.writeInt(n);
    im.writeInt(8);
    im.writeInt(8);
    lb.writeInt(0x801);
    lb.writeInt(n);
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(4);
      lb.writeByte(c);
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          boolean on = c == 0 ? y % 2 == 0 : c == 1 ? x % 2 == 0 : c == 2 && (x + y) % 2 == 0;
          im.writeByte((c == 3 ? 128 : on ? 200 : 40) + r.nextInt(30) - 15);
        }
      }
    }
    Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), images.toByteArray());
    Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), labels.toByteArray());
    Files.writeString(dir.resolve("classes.txt"), "horizontal\nvertical\nchecker\nflat\n");
  }
}
