package vimoe.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;

/**
 * Saves the run's checkpoint after every epoch ({@link Checkpoint#save}) with the run's totals: the
 * wall time, training time and training images of all its epochs, those of earlier processes of a
 * resumed run included, so that the finished run reports them all.
 */
public final class CheckpointSaver implements Trainer.Listener {
  private final Path runDir;
  private final VisionTransformer model;
  private final AdamW optimizer;
  private final long imagesPerEpoch;
  private final double previousSeconds;
  private double trainSeconds;
  private long trainImages;
  private long started;

  /**
   * A saver into {@code runDir}.
   *
   * @param from the checkpoint the run resumes from, whose totals it continues (null: a new run)
   * @param imagesPerEpoch training images of one epoch (steps per epoch x batch size)
   */
  public CheckpointSaver(
      Path runDir,
      VisionTransformer model,
      AdamW optimizer,
      Checkpoint.State from,
      long imagesPerEpoch) {
    this.runDir = runDir;
    this.model = model;
    this.optimizer = optimizer;
    this.imagesPerEpoch = imagesPerEpoch;
    this.previousSeconds = from == null ? 0 : from.elapsedSeconds();
    this.trainSeconds = from == null ? 0 : from.trainSeconds();
    this.trainImages = from == null ? 0 : from.trainImages();
  }

  @Override
  public void onTrainingBegin(int totalSteps, int firstStep) {
    started = System.nanoTime();
  }

  @Override
  public void onEpoch(Trainer.EpochSummary s) {
    trainSeconds += s.seconds();
    trainImages += imagesPerEpoch;
    double elapsed = previousSeconds + (System.nanoTime() - started) / 1e9;
    try {
      Checkpoint.save(
          runDir,
          model,
          optimizer.encodeState(),
          new Checkpoint.State(s.epoch(), s.step(), elapsed, trainSeconds, trainImages));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // Trainer#fit throws the IOException
    }
  }
}
