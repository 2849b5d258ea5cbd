package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.run.CrashHook;

/**
 * PyTorch prints its "AutoNonVariableTypeMode is deprecated" warning from native code, once per
 * process, on the process's own standard error: each command runs as a child process here, so that
 * the warning would land in its log. Loading a checkpoint (eval, predict, train --resume) used to
 * print it.
 */
class DeprecationWarningTest {
  private static final String WARNING = "AutoNonVariableTypeMode";

  @Test
  void loadingACheckpointPrintsNoDeprecationWarning(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    Path run = tmp.resolve("run");
    List<String> train =
        new ArrayList<>(
            List.of(
                "train",
                "--dataset",
                "idx:" + data,
                "--router",
                "softmax-tc",
                "--epochs",
                "2",
                "--output",
                run.toString()));
    train.addAll(CliRunner.TINY_MODEL);
    // 288 training images in batches of 32: 9 steps an epoch; halt in the second epoch, after the
    // first checkpoint, so that the resumed run loads parameters and optimizer state.
    String halted = child(tmp, "halted", List.of("-D" + CrashHook.PROPERTY + "=step-12"), train);
    assertFalse(halted.contains(WARNING), halted);
    assertFalse(Files.exists(run.resolve("result.json")), halted);

    String resumed = child(tmp, "resume", List.of(), List.of("train", "--resume", run.toString()));
    assertTrue(Files.isRegularFile(run.resolve("result.json")), resumed);
    assertFalse(resumed.contains(WARNING), resumed);

    String eval = child(tmp, "eval", List.of(), List.of("eval", run.toString()));
    assertTrue(eval.contains("test accuracy"), eval);
    assertFalse(eval.contains(WARNING), eval);

    Path png = tmp.resolve("stripes.png");
    BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        image.getRaster().setSample(x, y, 0, y % 2 == 0 ? 200 : 40);
      }
    }
    ImageIO.write(image, "png", png.toFile());
    String predict =
        child(
            tmp, "predict", List.of(), List.of("predict", "--run", run.toString(), png.toString()));
    assertFalse(predict.contains(WARNING), predict);
  }

  /**
   * Runs vimoe in a child JVM with {@code properties}; returns its standard output and error
   * together. A halt by {@link CrashHook} counts as expected, any other failure fails the test.
   */
  private static String child(Path tmp, String name, List<String> properties, List<String> args)
      throws Exception {
    List<String> cmd = new ArrayList<>(StudyCommandTest.javaCommand());
    cmd.addAll(1, properties);
    cmd.addAll(args);
    Path log = tmp.resolve(name + ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), name + " did not finish");
    String out = Files.readString(log);
    int expected = properties.isEmpty() ? 0 : CrashHook.STATUS;
    assertEquals(expected, p.exitValue(), name + ": " + out);
    return out;
  }
}
