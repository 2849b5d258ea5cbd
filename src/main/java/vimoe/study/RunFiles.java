package vimoe.study;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.run.AtomicFiles;
import vimoe.run.EvalResult;
import vimoe.run.MetricsLog;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;
import vimoe.run.RunResult;
import vimoe.train.Trainer;
import vimoe.train.TrainingRun;

/**
 * The study's contact with run directories, through {@link vimoe.run}: their state, training or
 * resuming them, and reading what they hold into the study's records.
 */
final class RunFiles {
  /** The study's evaluation of a run, beside its {@code result.json}. */
  static final String EXTRAS = "study-eval.json";

  /** Jackson for the study's own files: snake_case names, indented. */
  static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT);

  private RunFiles() {}

  /** Whether training finished ({@code result.json} written). */
  static boolean trained(Path dir) {
    return Files.isRegularFile(dir.resolve("result.json"));
  }

  /** Whether the run is finished for the study: trained and evaluated by the study. */
  static boolean finished(Path dir) {
    return trained(dir) && Files.isRegularFile(dir.resolve(EXTRAS));
  }

  /**
   * Trains the run in {@code dir}: resumes it when it was started (its config.json exists; opening
   * it repairs what a crash left, and a run killed before its first checkpoint restarts from step
   * 0), otherwise starts afresh, discarding leftovers of a run killed before its config was
   * written. The model lives on {@code device}; {@code after} evaluates it further before {@code
   * result.json} is written.
   *
   * @return whether it resumed
   */
  static boolean train(
      RunConfig config,
      TrainingRun.Splits splits,
      Path dir,
      Trainer.Listener listener,
      PrintStream log,
      Device device,
      TrainingRun.AfterEvaluation after)
      throws IOException {
    boolean resume = Files.isRegularFile(dir.resolve(RunDir.CONFIG));
    if (!resume && Files.exists(dir)) {
      deleteRecursively(dir);
    }
    try (RunDir run =
        resume ? RunDir.open(dir, "vimoe study") : RunDir.create(dir, config, "vimoe study")) {
      TrainingRun.run(run.config(), splits, null, run, listener, log, device, after);
    }
    return resume;
  }

  /** Writes the study's evaluation of the run, atomically. */
  static void writeExtras(Path dir, RunExtras extras) throws IOException {
    AtomicFiles.write(dir.resolve(EXTRAS), JSON.writeValueAsBytes(extras));
  }

  /** Writes {@code bytes} to a temporary sibling and renames it over {@code file}. */
  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    AtomicFiles.write(file, bytes);
  }

  /** Reads a finished run. */
  static RunRecord read(Path dir, StudyRun run) throws IOException {
    RunResult r = RunDir.readResult(dir);
    RunExtras extras = JSON.readValue(dir.resolve(EXTRAS).toFile(), RunExtras.class);
    List<RunRecord.LayerRouting> layers = new ArrayList<>();
    for (Map.Entry<String, RoutingMetrics> e : r.routing().entrySet()) {
      RoutingMetrics m = e.getValue();
      layers.add(
          new RunRecord.LayerRouting(
              Integer.parseInt(e.getKey().replace("block", "")),
              m.droppedFraction(),
              m.tokensPerExpertCv(),
              m.expertsPerTokenMean(),
              m.tokensPerExpert()));
    }
    EvalResult.FewShot ten = r.fewshot(10);
    return new RunRecord(
        run,
        r.testAccuracy(),
        ten == null ? Double.NaN : ten.mean(),
        r.trainImagesPerSecond() == null ? Double.NaN : r.trainImagesPerSecond(),
        r.inferenceImagesPerSecond(),
        r.flopsPerImage(),
        r.parameters().total(),
        r.parameters().active(),
        layers,
        new MetricsLog(dir.resolve(RunDir.METRICS)).validationCurve(),
        extras);
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
