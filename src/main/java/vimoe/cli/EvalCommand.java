package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.eval.Evaluation;
import vimoe.train.TrainingRun;

/** {@code vimoe eval}: evaluate a trained run again. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model: test accuracy, per-class accuracy, confusion matrix, few-shot "
                + "probe and routing statistics. Writes eval.json into the run directory.")
final class EvalCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A run directory written by 'vimoe train', or a checkpoint directory.")
    Path run;

    @Mixin
    FewShotOptions fewShot = new FewShotOptions();

    @Mixin
    DeviceOptions device = new DeviceOptions();

    @Option(names = "--output", paramLabel = "FILE", description = "Where to write the JSON (default: eval.json in the run directory).")
    Path output;

    @Override
    public Integer call() throws Exception {
        fewShot.check();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            RunModel loaded = RunModel.load(run, manager);
            Path file = output != null ? output : loaded.home().resolve("eval.json");
            Preflight.outputFile(file, "--output"); // before minutes of evaluation
            TrainingRun.Splits splits = TrainingRun.splits(loaded.config());
            Map<String, Object> result = Evaluation.evaluate(loaded.model(), loaded.config(), splits.train(),
                    splits.validation(), splits.test(), Double.NaN, fewShot.load(loaded.config().model()), manager,
                    System.err);
            TrainingRun.writeAtomically(file, TrainingRun.JSON.writeValueAsBytes(result));
            System.out.printf("test accuracy %.4f, validation accuracy %s; written to %s%n",
                    (Double) result.get("test_accuracy"), result.get("validation_accuracy"), file);
            return 0;
        }
    }
}
