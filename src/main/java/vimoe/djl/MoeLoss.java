package vimoe.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * The training loss of a vimoe {@link vimoe.model.VisionTransformer} in a DJL trainer: a
 * classification loss of its logits (output 0) plus the auxiliary loss of its MoE layers (output
 * 1), which DJL's own losses would refuse, since they take a single prediction.
 */
public final class MoeLoss extends Loss {
  private final Loss classification;

  /** Softmax cross-entropy plus the auxiliary loss. */
  public MoeLoss() {
    this(Loss.softmaxCrossEntropyLoss());
  }

  /** {@code classification} of the logits plus the auxiliary loss. */
  public MoeLoss(Loss classification) {
    super("MoeLoss");
    this.classification = classification;
  }

  @Override
  public NDArray evaluate(NDList labels, NDList predictions) {
    NDArray loss = classification.evaluate(labels, new NDList(predictions.head()));
    return predictions.size() > 1 ? loss.add(predictions.get(1)) : loss;
  }
}
