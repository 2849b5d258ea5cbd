package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.cli.Main;
import vimoe.study.report.Charts;

/**
 * Run summaries, the Markdown table and the PNG plot of {@code vimoe report}, on hand-written run
 * directories.
 */
class ReportTest {

  /**
   * Writes a finished run: result.json and metrics.jsonl with step lines and one line per epoch.
   */
  static Path writeRun(Path dir, String router, double test, double... validation)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("result.json"),
        """
                {"router": "%s", "seed": 0, "epochs": %d, "test_accuracy": %s, "validation_accuracy": %s,
                 "fewshot": {"1": {"mean": 0.5, "std": 0.1}, "10": {"mean": 0.8653, "std": 0.0019}},
                 "images_per_second": 406.03, "elapsed_seconds": 1425.9,
                 "parameters": {"total": 304906, "active": 304906}, "flops_per_image": 32690944}
                """
            .formatted(router, validation.length, test, validation[validation.length - 1]));
    StringBuilder metrics = new StringBuilder();
    for (int e = 1; e <= validation.length; e++) {
      metrics
          .append("{\"step\": ")
          .append(50 * e)
          .append(", \"loss\": 1.0, \"learning_rate\": 0.001}\n");
      metrics
          .append("{\"epoch\": ")
          .append(e)
          .append(", \"step\": ")
          .append(100 * e)
          .append(", \"validation_accuracy\": ")
          .append(validation[e - 1])
          .append("}\n");
    }
    Files.writeString(dir.resolve("metrics.jsonl"), metrics);
    return dir;
  }

  @Test
  void summaryReadsResultAndValidationCurve(@TempDir Path tmp) throws IOException {
    RunSummary s =
        RunSummary.read(writeRun(tmp.resolve("dense-e3"), "dense", 0.8808, 0.70, 0.80, 0.85));
    assertEquals("dense-e3", s.name());
    assertEquals("dense", s.router());
    assertEquals(3, s.epochs());
    assertEquals(0.8808, s.testAccuracy());
    assertEquals(0.85, s.validationAccuracy());
    assertEquals(0.8653, s.tenShotMean());
    assertEquals(List.of(0.70, 0.80, 0.85), s.validationCurve());
  }

  @Test
  void tableHasOneRowPerRunInOrder(@TempDir Path tmp) throws IOException {
    RunSummary a = RunSummary.read(writeRun(tmp.resolve("b-run"), "dense", 0.8808, 0.7, 0.8));
    RunSummary b =
        RunSummary.read(writeRun(tmp.resolve("a-run"), "softmax-ec", 0.8883, 0.75, 0.85));
    List<String> lines = Report.markdown(List.of(a, b)).lines().toList();
    assertEquals(4, lines.size());
    assertTrue(
        lines
            .get(2)
            .startsWith(
                "| b-run | `dense` | 2 | 88.08% | 86.53% ± 0.19 | 23 min 46 s | 406 "
                    + "| 304,906 / 304,906 | 32.7 M |"),
        lines.get(2));
    assertTrue(lines.get(3).startsWith("| a-run | `softmax-ec` | 2 | 88.83% |"), lines.get(3));
    assertEquals("42 s", Report.duration(42.4));
    assertEquals("60 min 00 s", Report.duration(3600));
  }

  @Test
  void plotDrawsOneLinePerRunHigherAccuracyHigher(@TempDir Path tmp) throws Exception {
    RunSummary a = RunSummary.read(writeRun(tmp.resolve("a"), "dense", 0.88, 0.70, 0.80, 0.86));
    RunSummary b = RunSummary.read(writeRun(tmp.resolve("b"), "soft", 0.87, 0.72, 0.78));
    BufferedImage png = ImageIO.read(new ByteArrayInputStream(Report.plot(List.of(a, b))));
    assertEquals(800, png.getWidth());
    assertEquals(450, png.getHeight());
    int[] first = extent(png, Charts.seriesColor(0)), second = extent(png, Charts.seriesColor(1));
    assertTrue(first[2] - first[0] > 500, "run a's line spans its three epochs");
    assertTrue(
        second[2] - second[0] > 200 && second[2] < first[2] - 200, "run b's line stops at epoch 2");
    // above the legend: the last epoch of run a (86%) is drawn higher than its first (70%)
    assertTrue(first[1] > first[3] + 100, "higher accuracy is drawn higher");
  }

  /**
   * Leftmost x, its y, rightmost x, its y of the pixels of {@code colour} above the bottom 60 (the
   * legend).
   */
  private static int[] extent(BufferedImage png, Color colour) {
    int[] e = {Integer.MAX_VALUE, -1, -1, -1};
    for (int y = 0; y < png.getHeight() - 60; y++) {
      for (int x = 0; x < png.getWidth(); x++) {
        if ((png.getRGB(x, y) & 0xffffff) == (colour.getRGB() & 0xffffff)) {
          if (x < e[0]) {
            e[0] = x;
            e[1] = y;
          }
          if (x > e[2]) {
            e[2] = x;
            e[3] = y;
          }
        }
      }
    }
    return e;
  }

  @Test
  void unfinishedOrCorruptRunsGetClearErrors(@TempDir Path tmp) throws IOException {
    Path unfinished = Files.createDirectories(tmp.resolve("unfinished"));
    IOException e = assertThrows(IOException.class, () -> RunSummary.read(unfinished));
    assertTrue(
        e.getMessage().contains("has no result.json") && e.getMessage().contains("--resume"),
        e.getMessage());
    Path corrupt = writeRun(tmp.resolve("corrupt"), "dense", 0.5, 0.5);
    Files.writeString(corrupt.resolve("result.json"), "{\"router\": \"dense\", \"test_acc");
    e = assertThrows(IOException.class, () -> RunSummary.read(corrupt));
    assertTrue(e.getMessage().contains("result.json is not valid JSON"), e.getMessage());
    Path foreign = writeRun(tmp.resolve("foreign"), "dense", 0.5, 0.5);
    Files.writeString(foreign.resolve("result.json"), "{\"router\": \"dense\"}");
    e = assertThrows(IOException.class, () -> RunSummary.read(foreign));
    assertTrue(e.getMessage().contains("lacks \"test_accuracy\""), e.getMessage());
  }

  @Test
  void commandWritesNothingWhenOneRunIsBad(@TempDir Path tmp) throws IOException {
    Path good = writeRun(tmp.resolve("good"), "dense", 0.88, 0.8);
    Path table = tmp.resolve("table.md"), plot = tmp.resolve("plot.png");
    assertEquals(
        2,
        Main.run(
            "report",
            good.toString(),
            tmp.resolve("missing").toString(),
            "--output",
            table.toString(),
            "--plot",
            plot.toString()));
    assertFalse(Files.exists(table) || Files.exists(plot));
    assertEquals(
        0,
        Main.run(
            "report", good.toString(), "--output", table.toString(), "--plot", plot.toString()));
    assertTrue(Files.readString(table).contains("| good | `dense` | 1 | 88.00% |"));
    assertEquals(800, ImageIO.read(plot.toFile()).getWidth());
    Path svg = tmp.resolve("plot.svg");
    assertEquals(
        2, Main.run("report", good.toString(), "--plot", svg.toString()), "the plot is a PNG only");
    assertFalse(Files.exists(svg));
  }
}
