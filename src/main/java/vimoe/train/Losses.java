package vimoe.train;

import ai.djl.ndarray.NDArray;

/** The classification loss. */
public final class Losses {
    private Losses() {}

    /**
     * Cross-entropy against label-smoothed targets {@code (1 - eps) onehot + eps / classes}, mean
     * over the batch.
     *
     * @param logits (B, classes)
     * @param labels (B), integer classes
     */
    public static NDArray smoothedCrossEntropy(NDArray logits, NDArray labels, double smoothing) {
        long classes = logits.getShape().get(1);
        NDArray logp = logits.logSoftmax(1);
        NDArray target = labels.oneHot((int) classes).toType(logits.getDataType(), false)
                .mul(1 - smoothing).add(smoothing / classes);
        return target.mul(logp).sum(new int[] {1}).neg().mean();
    }
}
