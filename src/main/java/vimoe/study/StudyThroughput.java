package vimoe.study;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vimoe.bench.TrainingThroughput;
import vimoe.model.VitConfig;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;

/**
 * The training speed of a study's routers measured side by side ({@code throughput.json}): each
 * router's model (as the study trained it) takes full training steps on random images of the
 * study's batch shape in one process, the routers alternating in rounds ({@link
 * TrainingThroughput}, what {@code vimoe bench} does), so a shared or drifting machine favours
 * none. Unlike the images/s recorded while the runs trained one after another, these numbers can be
 * compared.
 *
 * @param device the device measured on
 * @param batch images per step (the study's batch size)
 * @param warmup untimed steps per router first
 * @param steps timed steps per router per round
 * @param rounds rounds (every other one in reverse order)
 * @param rows per router and grid point, dense first
 */
public record StudyThroughput(
    String device, int batch, int warmup, int steps, int rounds, List<Row> rows) {

  /** The file in the study directory. */
  public static final String FILE = "throughput.json";

  /**
   * One router at one grid point.
   *
   * @param router the router, or dense
   * @param point the grid point's label (empty for dense and without a sweep)
   * @param imagesPerSecond median over rounds
   * @param ratioToDense median over rounds of its images/s over dense's in the same round
   */
  public record Row(String router, String point, double imagesPerSecond, double ratioToDense) {}

  /**
   * Measures every router result of {@code results} (dense first, added when the study has none),
   * with the model, image shape and batch size of the study's first finished run.
   *
   * @param warmup untimed steps per router before the rounds
   * @param steps timed steps per router per round
   * @param rounds rounds
   */
  public static StudyThroughput measure(
      StudyResults results,
      Path dir,
      int warmup,
      int steps,
      int rounds,
      Device device,
      PrintStream log)
      throws IOException {
    if (results.finished().isEmpty()) {
      throw new IllegalArgumentException(dir + " has no finished run to take the model shape from");
    }
    RunConfig run =
        RunDir.readConfigOf(Study.runDir(dir, results.spec().run(results.finished().get(0))));
    VitConfig shape = run.model();
    List<VitConfig> configs = new ArrayList<>();
    List<String[]> labels = new ArrayList<>();
    GridPoint first = results.spec().points().get(0);
    configs.add(config(results, "dense", first, shape));
    labels.add(new String[] {"dense", ""});
    for (RouterResult r : results.results()) {
      if (r.router().equals("dense")) {
        continue;
      }
      GridPoint point =
          results.spec().points().stream()
              .filter(p -> p.label().equals(r.point()))
              .findFirst()
              .orElse(first);
      configs.add(config(results, r.router(), point, shape));
      labels.add(new String[] {r.router(), r.point()});
    }
    int batch = run.train().batchSize();
    log.printf(
        java.util.Locale.ROOT,
        "timing training steps of %d models side by side: batch %d, %d steps x %d rounds each...%n",
        configs.size(),
        batch,
        steps,
        rounds);
    List<TrainingThroughput.Row> measured =
        TrainingThroughput.measure(configs, batch, warmup, steps, rounds, device, log);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < measured.size(); i++) {
      rows.add(
          new Row(
              labels.get(i)[0],
              labels.get(i)[1],
              measured.get(i).imagesPerSecond(),
              measured.get(i).ratioToDense()));
    }
    return new StudyThroughput(device.toString(), batch, warmup, steps, rounds, rows);
  }

  private static VitConfig config(
      StudyResults results, String router, GridPoint point, VitConfig shape) {
    return results
        .spec()
        .config(router, point, shape.imageSize(), shape.channels(), shape.numClasses());
  }

  /** Writes {@link #FILE} into {@code dir}, atomically. */
  public void write(Path dir) throws IOException {
    RunFiles.writeAtomically(dir.resolve(FILE), RunFiles.JSON.writeValueAsBytes(this));
  }

  /** The measurement saved in {@code dir}, or null when there is none. */
  public static StudyThroughput read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    return Files.isRegularFile(file)
        ? RunFiles.JSON.readValue(file.toFile(), StudyThroughput.class)
        : null;
  }

  /** The row of {@code router} at {@code point}, or null. */
  Row row(String router, String point) {
    return rows.stream()
        .filter(r -> r.router().equals(router) && r.point().equals(point))
        .findFirst()
        .orElse(null);
  }
}
