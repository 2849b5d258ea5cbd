package vimoe.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import vimoe.eval.Evaluation;
import vimoe.run.MetricsLog;

/**
 * Writes {@code metrics.jsonl}: a line with the loss and learning rate every {@link
 * Trainer#LOG_EVERY} steps, and a line per epoch with its summary, forced to disk. Placed before
 * {@link CheckpointSaver}, so an epoch's line is on disk before its checkpoint (resuming truncates
 * the log to the checkpoint's step).
 */
public final class MetricsLogger implements Trainer.Listener {
  private final MetricsLog log;
  private final List<Integer> moeBlocks;

  /** A logger appending to {@code log}, labelling routing metrics by {@code moeBlocks}' indices. */
  public MetricsLogger(MetricsLog log, List<Integer> moeBlocks) {
    this.log = log;
    this.moeBlocks = List.copyOf(moeBlocks);
  }

  @Override
  public void onTrainingBatch(Trainer.Step s) {
    if (s.read() && s.step() % Trainer.LOG_EVERY == 0) {
      append(
          Map.of("step", s.step(), "train_loss", s.loss(), "learning_rate", s.learningRate()),
          false);
    }
  }

  @Override
  public void onEpoch(Trainer.EpochSummary s) {
    append(epochRecord(s, moeBlocks), true);
  }

  private void append(Map<String, ?> record, boolean sync) {
    try {
      log.append(record, sync);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // Trainer#fit throws the IOException
    }
  }

  private static Map<String, Object> epochRecord(Trainer.EpochSummary s, List<Integer> moeBlocks) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("epoch", s.epoch());
    m.put("step", s.step());
    m.put("train_loss", s.trainLoss());
    m.put("train_accuracy", s.trainAccuracy());
    m.put(
        "validation_accuracy",
        Double.isNaN(s.validationAccuracy()) ? null : s.validationAccuracy());
    m.put("train_images_per_second", s.imagesPerSecond());
    m.put("epoch_seconds", s.seconds());
    m.put("routing", Evaluation.routingByBlock(moeBlocks, s.routing()));
    if (s.routingState().stream().anyMatch(state -> !state.isEmpty())) {
      Map<String, Object> state = new LinkedHashMap<>();
      for (int l = 0; l < s.routingState().size(); l++) {
        state.put("block" + moeBlocks.get(l), s.routingState().get(l));
      }
      m.put("routing_state", state);
    }
    return m;
  }
}
