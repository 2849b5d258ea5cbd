package vimoe.train;

import ai.djl.TrainingDivergedException;
import java.nio.file.Path;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;
import vimoe.run.TrainConfig;

/**
 * Stops a diverging run, as DJL's {@code DivergenceCheckTrainingListener} does: when the loss read
 * at a step is not finite, or a parameter is not finite after an epoch. Placed before {@link
 * CheckpointSaver}, it stops the run before a non-finite checkpoint would replace the last finite
 * one. The message says what went wrong, which checkpoint is kept and what to try; both remedies
 * shrink the update: a lower peak learning rate, or a tighter gradient-norm clip.
 */
public final class DivergenceGuard implements Trainer.Listener {
  private final VisionTransformer model;
  private final TrainConfig config;
  private final Path runDir;

  /**
   * A guard of {@code model} trained with {@code config}.
   *
   * @param runDir the run directory whose checkpoint the message names, or null
   */
  public DivergenceGuard(VisionTransformer model, TrainConfig config, Path runDir) {
    this.model = model;
    this.config = config;
    this.runDir = runDir;
  }

  @Override
  public void onTrainingBatch(Trainer.Step s) {
    if (s.read() && !Double.isFinite(s.loss())) {
      throw diverged(
          "the training loss became "
              + s.loss()
              + " by step "
              + s.step()
              + " (epoch "
              + s.epoch()
              + ")",
          s.epoch() - 1);
    }
  }

  @Override
  public void onEpoch(Trainer.EpochSummary s) {
    String bad = Checkpoint.firstNonFinite(model);
    if (bad != null) {
      throw diverged("parameter " + bad + " is not finite after epoch " + s.epoch(), s.epoch() - 1);
    }
  }

  /** The error of a run diverged in the epoch after {@code kept} finished epochs. */
  private TrainingDivergedException diverged(String what, int kept) {
    String checkpoint =
        runDir == null
            ? ""
            : kept > 0
                ? "; the checkpoint after epoch "
                    + kept
                    + " in "
                    + runDir.resolve(Checkpoint.DIR)
                    + " is kept (finite)"
                : "; no checkpoint was written";
    String clip =
        config.clipNorm() > 0
            ? "a lower --clip-norm (now " + config.clipNorm() + ")"
            : "--clip-norm 1 (now off)";
    return new TrainingDivergedException(
        "the run diverged: "
            + what
            + checkpoint
            + "; train again with a lower --lr (now "
            + config.learningRate()
            + ") or "
            + clip);
  }
}
