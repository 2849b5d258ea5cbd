package vimoe.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.study.Findings;
import vimoe.study.StudyReport;
import vimoe.study.StudyResults;
import vimoe.study.StudyThroughput;

/** {@code vimoe study report DIR}: results and report from the finished runs of a study. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Build results.json, results.csv, report.md, report.html and figures/ from the finished runs "
            + "of the study in DIR; unfinished runs are listed.")
final class StudyReportCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "DIR",
      description = "A study directory (the --output of 'vimoe study').")
  Path dir;

  @Option(
      names = "--throughput",
      description =
          "Time every router's training step side by side first (alternating rounds in this "
              + "process, as 'vimoe bench'), save throughput.json and show it in the report.")
  boolean throughput;

  @Mixin DeviceOptions device = new DeviceOptions();

  @Override
  public Integer call() throws Exception {
    StudyResults results;
    try {
      results = StudyResults.read(dir);
    } catch (IllegalArgumentException e) {
      System.err.println("vimoe study report: " + Errors.oneLine(e));
      return 2;
    }
    results.write(dir);
    if (throughput) {
      try {
        measureThroughput(results, dir, device.device());
      } catch (IllegalArgumentException e) {
        System.err.println("vimoe study report: " + Errors.oneLine(e));
        return 2;
      }
    }
    StudyReport.write(results, dir);
    summary(results, dir);
    return 0;
  }

  /**
   * Untimed steps per router, timed steps per router per round, and rounds of the side-by-side
   * measurement: enough warm-up that the first round is not slower than the others on small models.
   */
  static final int THROUGHPUT_WARMUP = 5, THROUGHPUT_STEPS = 5, THROUGHPUT_ROUNDS = 4;

  /** Times the routers of {@code results} side by side and saves {@code throughput.json}. */
  static void measureThroughput(StudyResults results, Path dir, ai.djl.Device device)
      throws java.io.IOException {
    StudyThroughput.measure(
            results,
            dir,
            THROUGHPUT_WARMUP,
            THROUGHPUT_STEPS,
            THROUGHPUT_ROUNDS,
            device,
            System.err)
        .write(dir);
  }

  /** The findings on standard output; unfinished runs on standard error. */
  static void summary(StudyResults results, Path dir) {
    if (!results.unfinished().isEmpty()) {
      System.err.println(
          results.unfinished().size()
              + " run(s) not finished, left out: "
              + String.join(", ", results.unfinished()));
    }
    results.findings().forEach(f -> System.out.println(Findings.sentence(f)));
    Findings.rankingLines(results.ranking()).forEach(System.out::println);
    System.out.println(
        "report: " + dir.resolve("report.html") + " (" + results.finished().size() + " runs)");
  }
}
