package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.TrainingDivergedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.run.CrashHook;

/**
 * Exit statuses and lines of failures: only the user's input exits 2; an internal fault exits 1
 * with one line saying so.
 */
class ErrorsTest {
  /** {@link CliRunner#tinyTrain} with a fixed seed, deterministic. */
  static List<String> tinyRun(Path data, Path output) {
    List<String> args = CliRunner.tinyTrain(data, output);
    args.addAll(List.of("--seed", "5", "--deterministic"));
    return args;
  }

  @Test
  void onlyTheUsersInputExitsTwo() {
    IllegalArgumentException bug = new IllegalArgumentException("shapes (3) and (4) differ");
    assertEquals(Errors.FAILURE, Errors.status(bug));
    assertEquals(Errors.FAILURE, Errors.status(new IllegalStateException("x", bug)));
    assertTrue(Errors.line(bug).startsWith("internal error"), Errors.line(bug));
    assertTrue(Errors.line(bug).contains("VIMOE_DEBUG=1"), Errors.line(bug));
    assertTrue(Errors.line(bug).contains("shapes (3) and (4) differ"), Errors.line(bug));

    BadInputException bad = new BadInputException(new IllegalArgumentException("k must be >= 1"));
    assertEquals(Errors.BAD_INPUT, Errors.status(bad));
    assertEquals("k must be >= 1", Errors.line(bad));
    assertEquals(Errors.BAD_INPUT, Errors.status(new UncheckedIOException(new IOException("f"))));

    TrainingDivergedException diverged = new TrainingDivergedException("the run diverged: ...");
    assertEquals(Errors.FAILURE, Errors.status(diverged));
    assertEquals("the run diverged: ...", Errors.line(diverged), "an outcome, not a bug");
  }

  @Test
  void inputStepsTurnIllegalArgumentsIntoBadInput() throws IOException {
    IllegalArgumentException thrown = new IllegalArgumentException("--epochs must be >= 1");
    try {
      Errors.input(
          () -> {
            throw thrown;
          });
    } catch (BadInputException e) {
      assertEquals(thrown, e.getCause());
      assertEquals(Errors.BAD_INPUT, Errors.status(e));
      return;
    }
    throw new AssertionError("no BadInputException");
  }

  /**
   * An IllegalArgumentException raised deep in training (the optimizer handed a state that is not
   * its own, by a test hook) is a bug: exit 1 and the internal-error line, not exit 2.
   */
  @Test
  void anInternalFaultInTrainingExitsOneWithTheInternalErrorLine(@TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    TrainCommandTest.writeIdx(data, "train", 96, 1);
    TrainCommandTest.writeIdx(data, "t10k", 32, 2);
    CliRunner.Result r;
    System.setProperty(CrashHook.FAULT_PROPERTY, "2");
    try {
      r = CliRunner.run("", tinyRun(data, tmp.resolve("run")).toArray(String[]::new));
    } finally {
      System.clearProperty(CrashHook.FAULT_PROPERTY);
    }
    List<String> lines = r.err().lines().filter(l -> l.startsWith("vimoe")).toList();
    assertEquals(1, r.status(), r.err());
    assertEquals(1, lines.size(), r.err());
    assertTrue(
        lines
            .get(0)
            .startsWith(
                "vimoe train: internal error (a bug in vimoe): optimizer state has 1 parameters"),
        r.err());
    assertTrue(lines.get(0).endsWith("VIMOE_DEBUG=1 to print the stack trace"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without VIMOE_DEBUG: " + r.err());
  }
}
