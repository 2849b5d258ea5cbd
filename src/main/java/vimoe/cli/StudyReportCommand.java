package vimoe.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import vimoe.study.Findings;
import vimoe.study.StudyReport;
import vimoe.study.StudyResults;

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
    StudyReport.write(results, dir);
    summary(results, dir);
    return 0;
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
