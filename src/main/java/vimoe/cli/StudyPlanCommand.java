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
import vimoe.study.StudySpec;

/** {@code vimoe study plan}: one shell command per run, for any scheduler. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    modelTransformer = StudyOptions.NoRouter.class,
    description = {
      "Print one self-contained shell command per run of the study (same options as 'study'), "
          + "for GNU parallel, a Slurm array job or any scheduler on machines that share --output.",
      "Then 'vimoe study report DIR' builds the results and the report."
    })
final class StudyPlanCommand implements Callable<Integer> {
  @Mixin StudyOptions options = new StudyOptions();

  // Plans run on other machines (a login node plans for GPU nodes): only --device's form is
  // checked.
  @Mixin DeviceOptions device = DeviceOptions.forOtherMachines();

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "DIR",
      description = "The study directory.")
  Path output;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    StudySpec study;
    try {
      study = options.spec();
      Study.validate(study);
      Study.checkSame(
          study, output); // the planned runs would each refuse another study's directory
    } catch (IllegalArgumentException e) {
      System.err.println("vimoe study plan: " + Errors.oneLine(e));
      return 2;
    }
    Launcher.plan(study, output, StudyOptions.studyArgs(spec)).forEach(System.out::println);
    return 0;
  }
}
