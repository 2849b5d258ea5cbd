package vimoe.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.run.AtomicFiles;
import vimoe.study.Report;
import vimoe.study.RunSummary;

/** {@code vimoe report}: compare finished runs in a table, and plot their validation accuracy. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Compare finished runs, or the runs of a study, head to head: a Markdown table (test accuracy, 10-shot accuracy, "
            + "wall time, throughput, parameters, FLOPs) and a PNG plot of validation accuracy per epoch.")
final class ReportCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "DIR",
      arity = "1..*",
      description =
          "Run directories written by 'vimoe train', or study directories (their finished runs).")
  List<Path> runs;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Write the table to FILE (default: standard output).")
  Path output;

  @Option(
      names = "--plot",
      paramLabel = "FILE",
      description = "Write the validation-accuracy plot to FILE (PNG, 800x450).")
  Path plot;

  @Override
  public Integer call() throws Exception {
    if (plot != null) {
      Errors.check(() -> Preflight.outputFile(plot, "--plot"));
    }
    if (plot != null && !plot.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
      System.err.println(
          "vimoe report: --plot " + plot + ": the plot is a PNG image; name the file FILE.png");
      return 2;
    }
    if (output != null) {
      Errors.check(() -> Preflight.outputFile(output, "--output"));
    }
    List<RunSummary> summaries = new ArrayList<>();
    for (Path run : Report.runDirs(runs)) { // every run is read before anything is written
      summaries.add(Errors.input(() -> RunSummary.read(run)));
    }
    String table = Report.markdown(summaries);
    if (plot != null) {
      AtomicFiles.write(plot, Report.plot(summaries));
    }
    if (output != null) {
      AtomicFiles.write(output, table.getBytes(StandardCharsets.UTF_8));
      System.err.println("table written to " + output);
    } else {
      System.out.print(table);
    }
    return 0;
  }
}
