package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.eval.CapacityAtEvaluation;
import vimoe.eval.Evaluation;
import vimoe.eval.FewShotData;
import vimoe.run.AtomicFiles;
import vimoe.run.EvalResult;
import vimoe.run.RunConfig;
import vimoe.run.RunJson;
import vimoe.study.GridPoint;
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
    Errors.check(fewShot::check);
    try (NDManager manager = NDManager.newBaseManager(device.device())) {
      // reads only: a damaged model is refused before the lock
      RunModel loaded = Errors.input(() -> RunModel.load(run, manager, this::atCapacityFactor));
      Path file = output != null ? output : loaded.home().resolve(defaultName());
      Errors.check(() -> Preflight.outputFile(file, "--output")); // before minutes of evaluation
      try (AutoCloseable lock = RunModel.lock(run, "vimoe eval")) {
        EvalResult result = evaluate(loaded, manager);
        AtomicFiles.write(
            file, RunJson.evalJson(loaded.config(), loaded.files().checkpoint(), result));
        EvalResult.FewShot ten = result.fewshot().get("10");
        System.out.printf(
            "test accuracy %.4f, validation accuracy %s, 10-shot accuracy %s; written to %s%n",
            result.testAccuracy(),
            result.validationAccuracy(),
            ten == null ? "- (too few images per class)" : String.format("%.4f", ten.mean()),
            file);
        return 0;
      }
    }
  }

  /** The saved configuration, at --capacity-factor when given. */
  private RunConfig atCapacityFactor(RunConfig saved) {
    return capacityFactor == null
        ? saved
        : CapacityAtEvaluation.withCapacityFactor(saved, capacityFactor);
  }

  /** eval.json, or eval-cfCF.json at another capacity factor. */
  private String defaultName() {
    return capacityFactor == null
        ? "eval.json"
        : "eval-cf" + GridPoint.number(capacityFactor) + ".json";
  }

  /** Evaluates the loaded model on its run's data splits and the few-shot data. */
  private EvalResult evaluate(RunModel loaded, NDManager manager) throws IOException {
    TrainingRun.Splits splits = Errors.input(() -> TrainingRun.splits(loaded.config()));
    FewShotData few = Errors.input(() -> fewShot.load(loaded.config().model()));
    return Evaluation.evaluate(
            loaded.model(),
            loaded.config(),
            splits.train(),
            splits.validation(),
            splits.test(),
            Double.NaN,
            few,
            manager,
            System.err)
        .withCapacityFactor(capacityFactor);
  }
}
