package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.eval.CapacityAtEvaluation;
import vimoe.eval.Evaluation;
import vimoe.run.AtomicFiles;
import vimoe.run.EvalResult;
import vimoe.run.RunJson;
import vimoe.train.TrainingRun;

/** {@code vimoe eval}: evaluate a trained run again. */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Evaluate a trained model: test accuracy, per-class accuracy, confusion matrix, few-shot "
            + "probe and routing statistics. Writes eval.json into the run directory.")
final class EvalCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "RUN_DIR",
      description = "A run directory written by 'vimoe train', or a checkpoint directory.")
  Path run;

  @Mixin FewShotOptions fewShot = new FewShotOptions();

  @Mixin DeviceOptions device = new DeviceOptions();

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Where to write the JSON (default: eval.json in the run directory).")
  Path output;

  @Option(
      names = "--capacity-factor",
      paramLabel = "CF",
      description =
          "Evaluate a sparse router at this capacity factor instead of the trained one (V-MoE trains "
              + "at a low factor and evaluates at a larger one); writes eval-cfCF.json unless --output.")
  Double capacityFactor;

  @Override
  public Integer call() throws Exception {
    fewShot.check();
    try (NDManager manager = NDManager.newBaseManager(device.device())) {
      RunModel loaded; // reads only: a damaged model is refused before the lock
      try {
        loaded =
            RunModel.load(
                run,
                manager,
                c ->
                    capacityFactor == null
                        ? c
                        : CapacityAtEvaluation.withCapacityFactor(c, capacityFactor));
      } catch (IllegalArgumentException e) {
        System.err.println("vimoe eval: " + Errors.oneLine(e));
        return 2;
      }
      Path file =
          output != null
              ? output
              : loaded
                  .home()
                  .resolve(
                      capacityFactor == null
                          ? "eval.json"
                          : "eval-cf" + vimoe.study.GridPoint.number(capacityFactor) + ".json");
      Preflight.outputFile(file, "--output"); // before minutes of evaluation
      try (AutoCloseable lock = RunModel.lock(run, "vimoe eval")) {
        TrainingRun.Splits splits = TrainingRun.splits(loaded.config());
        EvalResult result =
            Evaluation.evaluate(
                    loaded.model(),
                    loaded.config(),
                    splits.train(),
                    splits.validation(),
                    splits.test(),
                    Double.NaN,
                    fewShot.load(loaded.config().model()),
                    manager,
                    System.err)
                .withCapacityFactor(capacityFactor);
        AtomicFiles.write(
            file, RunJson.evalJson(loaded.config(), loaded.files().checkpoint(), result));
        System.out.printf(
            "test accuracy %.4f, validation accuracy %s; written to %s%n",
            result.testAccuracy(), result.validationAccuracy(), file);
        return 0;
      }
    }
  }
}
