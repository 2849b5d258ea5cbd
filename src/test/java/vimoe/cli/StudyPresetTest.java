package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import vimoe.study.StudySpec;

/** The presets' values, and command-line options overriding them. */
class StudyPresetTest {
  private static StudySpec spec(String... args) {
    StudyPlanCommand plan = new StudyPlanCommand();
    new CommandLine(plan).parseArgs(args);
    return plan.options.spec();
  }

  @Test
  void eachPresetSetsItsRecipe() {
    StudySpec quick = spec("--output", "s");
    assertEquals(
        List.of(2, 3, 6000, 1000, 64),
        List.of(
            quick.seeds(),
            quick.epochs(),
            quick.trainLimit(),
            quick.validationSize(),
            quick.batchSize()));
    assertEquals(16, quick.runs().size()); // 8 routers (dense included) x 2 seeds

    StudySpec hour = spec("--output", "s", "--preset", "cpu-hour");
    assertEquals(
        List.of(6, 3, 6000, 1000, 64),
        List.of(
            hour.seeds(),
            hour.epochs(),
            hour.trainLimit(),
            hour.validationSize(),
            hour.batchSize()));
    assertEquals(48, hour.runs().size());

    StudySpec standard = spec("--output", "s", "--preset", "standard");
    assertTrue(standard.seeds() >= 5 && standard.epochs() >= 10, standard.toString());
    assertEquals(0, standard.trainLimit()); // the full training set
    assertEquals(5000, standard.validationSize());
    assertNull(standard.batchSize()); // train's default, 128

    StudySpec overridden = spec("--output", "s", "--preset", "cpu-hour", "--seeds", "3");
    assertEquals(3, overridden.seeds());
    assertEquals(3, overridden.epochs());

    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> spec("--output", "s", "--preset", "x"));
    assertEquals("--preset must be quick, cpu-hour or standard, got \"x\"", bad.getMessage());
  }
}
