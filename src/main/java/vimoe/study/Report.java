package vimoe.study;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import vimoe.study.report.Charts;

/**
 * A head-to-head report of runs ({@code vimoe report}): a Markdown table and a PNG plot of
 * validation accuracy per epoch, of run directories or of the finished runs of a study.
 */
public final class Report {
  private Report() {}

  /**
   * The Markdown table of the runs, in the order given: router, epochs, test accuracy, 10-shot
   * accuracy (mean ± std), wall time, training images/s, parameters (total / active), FLOPs per
   * image.
   */
  public static String markdown(List<RunSummary> runs) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| run | router | epochs | test accuracy | 10-shot accuracy | wall time | training images/s "
            + "| parameters (total / active) | FLOPs per image |\n");
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (RunSummary r : runs) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | `%s` | %d | %s | %s | %s | %s | %,d / %,d | %.1f M |%n",
              r.name(),
              r.router(),
              r.epochs(),
              percent(r.testAccuracy()),
              Double.isNaN(r.tenShotMean())
                  ? "-"
                  : percent(r.tenShotMean())
                      + String.format(Locale.ROOT, " ± %.2f", 100 * r.tenShotStd()),
              duration(r.elapsedSeconds()),
              Double.isNaN(r.imagesPerSecond())
                  ? "-"
                  : String.format(Locale.ROOT, "%.0f", r.imagesPerSecond()),
              r.parametersTotal(),
              r.parametersActive(),
              r.flopsPerImage() / 1e6));
    }
    return out.toString();
  }

  /**
   * The run directories that {@code paths} name: a run directory stands for itself; a study
   * directory (one holding {@code study.json}) for the runs its results are made of ({@link
   * StudyResults#finished}), in the study's order, so that a report of a study shows the same
   * records as {@code study report}.
   *
   * @throws IOException naming a study directory without a finished run
   */
  public static List<Path> runDirs(List<Path> paths) throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path p : paths) {
      if (!Files.isRegularFile(p.resolve(Study.SPEC_FILE))) {
        out.add(p);
        continue;
      }
      List<String> finished = StudyResults.read(p).finished();
      if (finished.isEmpty()) {
        throw new IOException(
            p + " is a study with no finished run yet; continue it with 'vimoe study' first");
      }
      for (String name : finished) {
        out.add(p.resolve("runs").resolve(name));
      }
    }
    return out;
  }

  /** An accuracy in [0, 1] as a percentage with two decimals, e.g. {@code 88.08%}. */
  static String percent(double accuracy) {
    return Double.isNaN(accuracy) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * accuracy);
  }

  /** Seconds as {@code 23 min 46 s} (or {@code 42 s}). */
  static String duration(double seconds) {
    if (Double.isNaN(seconds)) {
      return "-";
    }
    long s = Math.round(seconds);
    return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
  }

  /**
   * A PNG line plot of validation accuracy (y, percent) against epoch (x), one line and legend
   * entry per run, in the order given (a repeated name gets a number); epochs without a validation
   * accuracy are left out.
   */
  public static byte[] plot(List<RunSummary> runs) {
    LinkedHashMap<String, double[][]> series = new LinkedHashMap<>();
    for (RunSummary r : runs) {
      List<Double> curve = r.validationCurve();
      double[] epochs = new double[curve.size()], accuracy = new double[curve.size()];
      for (int e = 0; e < curve.size(); e++) {
        epochs[e] = e + 1;
        accuracy[e] = 100 * curve.get(e);
      }
      String name = r.name();
      for (int copy = 2; series.containsKey(name); copy++) {
        name = r.name() + " (" + copy + ")"; // runs of the same name from different folders
      }
      series.put(name, new double[][] {epochs, accuracy});
    }
    return Charts.lines(
        "Validation accuracy per epoch", "epoch", "validation accuracy (%)", series);
  }
}
