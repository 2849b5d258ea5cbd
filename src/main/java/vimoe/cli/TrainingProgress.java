package vimoe.cli;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import vimoe.train.Trainer;

/**
 * Shows training progress: a progress bar with loss, accuracy, images/s and ETA on a terminal; a
 * plain line every 30 seconds otherwise (logs, CI), and one line per epoch in both cases.
 */
final class TrainingProgress implements Trainer.Listener, AutoCloseable {
  private final PrintStream out;

  // on Java 17, the build's release, console() is null without a terminal; isTerminal() is Java 22
  @SuppressWarnings("SystemConsoleNull")
  private final boolean interactive = System.console() != null;

  private ProgressBar bar;
  private int totalSteps;
  private long lastLine;
  private final long started = System.nanoTime();

  TrainingProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onTrainingBegin(int totalSteps, int firstStep) {
    this.totalSteps = totalSteps;
    if (interactive) {
      bar =
          new ProgressBarBuilder()
              .setTaskName("train")
              .setInitialMax(totalSteps)
              .startsFrom(firstStep, Duration.ZERO)
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(500)
              .showSpeed()
              .setUnit(" steps", 1)
              .continuousUpdate()
              .build();
    }
    lastLine = System.nanoTime();
  }

  @Override
  public void onTrainingBatch(Trainer.Step s) {
    String extra =
        String.format("loss %.3f acc %.3f %.0f img/s", s.loss(), s.accuracy(), s.imagesPerSecond());
    if (bar != null) {
      bar.stepTo(s.step());
      bar.setExtraMessage(extra);
    } else if (System.nanoTime() - lastLine > 30e9 || s.step() == totalSteps) {
      lastLine = System.nanoTime();
      double elapsed = (lastLine - started) / 1e9;
      out.printf(
          "step %d/%d  %s  lr %.2e  elapsed %.0fs%n",
          s.step(), totalSteps, extra, s.learningRate(), elapsed);
    }
  }

  @Override
  public void onEpoch(Trainer.EpochSummary s) {
    String line =
        String.format(
            "epoch %d: train loss %.4f, train acc %.4f, validation acc %.4f, %.0f img/s, %.0fs",
            s.epoch(),
            s.trainLoss(),
            s.trainAccuracy(),
            s.validationAccuracy(),
            s.imagesPerSecond(),
            s.seconds());
    for (int l = 0; l < s.routingState().size(); l++) {
      var state = s.routingState().get(l);
      if (!state.isEmpty()) { // ReLU routing: where its adaptive L1 weight has steered the gates
        line +=
            String.format(
                "%n  MoE layer %d: L1 weight %.3g, positive gates per token %.2f (last step)",
                l + 1, state.get("l1_weight"), state.get("positive_gates_per_token"));
      }
    }
    if (bar != null) {
      bar.pause();
      out.println();
      out.println(line);
      bar.resume();
    } else {
      out.println(line);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
