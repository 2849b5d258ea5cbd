package vimoe.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.data.FashionMnist;
import vimoe.model.Variants;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterSpec;
import vimoe.run.RunConfig;
import vimoe.run.RunResult;
import vimoe.run.TrainConfig;

/**
 * End to end on real data: {@code micro} with Softmax Expert Choice trained on the first 2,000
 * Fashion-MNIST training images (200 held out for validation) for 20 short epochs reaches at least
 * 70% accuracy on the full test set. Measured: 75.0%. CI installs the data (.ci/run); elsewhere the
 * test is skipped, with the reason printed, when the data is absent.
 */
class FashionMnistTrainingTest {

  @Test
  void microLearnsFashionMnistFromTwoThousandImages(@TempDir Path dir) throws Exception {
    boolean present = Files.isDirectory(FashionMnist.SYSTEM_DIR);
    if (!present && !"true".equals(System.getenv("CI"))) {
      System.out.println(
          "skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
      assumeTrue(false);
    }
    VitConfig vit = Variants.get("micro", 28, 1, 10, RouterSpec.of("softmax-ec"));
    TrainConfig train = new TrainConfig(20, 64, 2e-3, 0.05, 0.05, 0.1, 1.0, 0, 200, 2000, 2, false);
    RunConfig draft = new RunConfig("fashion-mnist", null, "micro", vit, train, null, null, null);
    TrainingRun.Splits splits = TrainingRun.splits(draft);
    double[][] meanStd = splits.train().channelMeanStd();
    RunConfig config =
        new RunConfig(
            "fashion-mnist",
            null,
            "micro",
            vit,
            train,
            new float[] {(float) meanStd[0][0]},
            new float[] {(float) meanStd[1][0]},
            splits.train().classNames());
    RunResult result =
        TrainingRun.run(
            config,
            splits,
            dir,
            false,
            new Trainer.Listener() {
              @Override
              public void onEpoch(Trainer.EpochSummary s) {
                System.out.printf(
                    "epoch %d: validation accuracy %.3f, %.0f images/s%n",
                    s.epoch(), s.validationAccuracy(), s.imagesPerSecond());
              }
            },
            new PrintStream(System.out));
    double accuracy = result.testAccuracy();
    System.out.printf("test accuracy on 10,000 images: %.4f%n", accuracy);
    assertTrue(accuracy >= 0.70, "test accuracy " + accuracy + " is below 0.70");
  }
}
