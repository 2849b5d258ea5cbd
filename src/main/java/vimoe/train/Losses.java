package vimoe.train;

import ai.djl.ndarray.NDArray;
import vimoe.model.Constants;

/** The classification loss. */
public final class Losses {
  private Losses() {}

  /**
   * Cross-entropy against label-smoothed targets {@code (1 - eps) onehot + eps / classes}, mean
   * over the batch. The targets are rows of a (classes, classes) table made once per device ({@link
   * Constants}), picked by label: no Java number enters the step, no one-hot check reads the labels
   * back to the host.
   *
   * @param logits (B, classes)
   * @param labels (B), integer classes
   * @return a scalar
   */
  public static NDArray smoothedCrossEntropy(NDArray logits, NDArray labels, double smoothing) {
    int classes = Math.toIntExact(logits.getShape().get(1));
    NDArray table =
        Constants.of(
            "smoothed targets " + classes + " " + smoothing,
            logits.getDevice(),
            m ->
                m.eye(classes)
                    .muli(1 - smoothing)
                    .addi(smoothing / classes)); // row y: the target of label y
    NDArray targets = table.get(labels); // (B, classes)
    return logits.logSoftmax(1).mul(targets).sum(new int[] {1}).mean().neg();
  }
}
