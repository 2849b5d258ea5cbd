package vimoe.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the command line in-process with captured standard streams. */
final class CliRunner {
  /** What one run produced. */
  record Result(int status, String out, String err) {}

  private CliRunner() {}

  /**
   * The arguments of a tiny {@code train} (softmax-tc, 1 epoch, width 16, depth 2, 2 experts) on
   * the IDX files in {@code data}, into {@code output}; a mutable list to add options to.
   */
  static List<String> tinyTrain(Path data, Path output) {
    return new ArrayList<>(
        List.of(
            "train",
            "--dataset",
            "idx:" + data,
            "--router",
            "softmax-tc",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--validation-size",
            "16",
            "--experts",
            "2",
            "--depth",
            "2",
            "--width",
            "16",
            "--heads",
            "2",
            "--mlp-dim",
            "32",
            "--output",
            output.toString()));
  }

  /**
   * The model and batches of the tiny studies and runs of the CLI tests: width 16, depth 2, 2
   * heads, MLP width 32, 4 experts, batches of 32, 32 validation images.
   */
  static final List<String> TINY_MODEL =
      List.of(
          "--batch-size",
          "32",
          "--validation-size",
          "32",
          "--width",
          "16",
          "--depth",
          "2",
          "--heads",
          "2",
          "--mlp-dim",
          "32",
          "--experts",
          "4");

  /**
   * The options of a tiny study on the IDX files in {@code data}: these routers, seeds and epochs
   * on {@link #TINY_MODEL}; a mutable list to add options to.
   */
  static List<String> tinyStudy(Path data, String routers, int seeds, int epochs) {
    List<String> out =
        new ArrayList<>(
            List.of(
                "--dataset",
                "idx:" + data,
                "--routers",
                routers,
                "--seeds",
                String.valueOf(seeds),
                "--epochs",
                String.valueOf(epochs)));
    out.addAll(TINY_MODEL);
    return out;
  }

  static synchronized Result run(String stdin, String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    InputStream oldIn = System.in;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      int status = Main.run(args);
      return new Result(
          status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
      System.setIn(oldIn);
    }
  }
}
