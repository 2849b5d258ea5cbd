package vimoe.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import vimoe.study.Launcher;
import vimoe.study.Study;
import vimoe.study.StudyReport;
import vimoe.study.StudyResults;
import vimoe.study.StudySpec;

/** {@code vimoe study}: every router head to head at equal compute, over seeds, with a report. */
@Command(
    name = "study",
    mixinStandardHelpOptions = true,
    modelTransformer = StudyOptions.NoRouter.class,
    subcommands = {StudyPlanCommand.class, StudyReportCommand.class},
    description = {
      "Train every router (and dense) for several seeds at equal compute, then write "
          + "results.json, results.csv, report.md, report.html and figures/ into --output.",
      "",
      "Run the same command again to continue an interrupted study, or with more --seeds, "
          + "--routers, --variant or --sweep values to grow it (finished runs are reused). 'study plan' prints one shell "
          + "command per run for a scheduler; 'study report DIR' builds the report from finished runs."
    })
final class StudyCommand implements Callable<Integer> {
  @Mixin StudyOptions options = new StudyOptions();

  @Mixin DeviceOptions device = new DeviceOptions();

  // Not required = true: picocli would then demand it before the subcommands too.
  @Option(
      names = {"-o", "--output"},
      paramLabel = "DIR",
      description = "The study directory (required).")
  Path output;

  @Option(
      names = "--jobs",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Runs at once, each a child process with 1/N of the processors as its threads "
              + "(default 1: in this process); on a GPU the N children share it.")
  int jobs;

  @Option(
      names = "--only",
      paramLabel = "RUN",
      hidden = true,
      description = "Run only this run (what 'study plan' prints).")
  String only;

  @Option(
      names = "--no-throughput",
      description =
          "Skip timing the routers side by side at the end (a few seconds per router for small "
              + "models); the report then shows the images/s recorded while the runs trained.")
  boolean noThroughput;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    StudySpec study;
    try {
      if (output == null) {
        throw new IllegalArgumentException("--output DIR is required: the study directory");
      }
      if (jobs < 1) {
        throw new IllegalArgumentException("--jobs must be >= 1, got " + jobs);
      }
      study = options.spec();
      if (only != null) {
        study.run(only); // an unknown name or another study in --output is the user's mistake
        Study.open(study, output);
      } else {
        Study.checkSame(study, output);
        Study.validate(study);
        Study.open(study, output);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("vimoe study: " + Errors.oneLine(e));
      return 2;
    }
    if (only != null) {
      Launcher.watchParent();
      Study.runOnly(study, output, only, System.err, device.device());
      return 0;
    }
    announce(study);
    Study.runAll(study, output, jobs, StudyOptions.studyArgs(spec), System.err, device.device());
    StudyResults results = StudyResults.read(output);
    results.write(output);
    if (!noThroughput && results.unfinished().isEmpty()) {
      StudyReportCommand.measureThroughput(results, output, device.device());
    }
    StudyReport.write(results, output);
    StudyReportCommand.summary(results, output);
    return 0;
  }

  /** The line that opens a study: its runs, routers, seeds, epochs, directory and device. */
  private void announce(StudySpec study) {
    System.err.printf(
        "study of %d runs (%s; %d seeds, %d epochs) in %s on %s%n",
        study.runs().size(),
        String.join(", ", study.routers()),
        study.seeds(),
        study.epochs(),
        output,
        jobs > 1 ? jobs + " processes sharing " + device.device() : device.device());
  }
}
