package vimoe.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RoutingMetrics;

/**
 * The loss and correct predictions of an epoch's steps, summed on the device and read by the host
 * only when asked ({@link #read}, {@link #peek}), with the MoE layers' routing metrics at each
 * read. The last read values carry over into the next epoch until that epoch's first read.
 */
final class StepMeter {
  private final int batchSize;
  private final List<MoeLayer> layers;
  private double loss = Double.NaN;
  private double accuracy = Double.NaN;
  private NDManager epochManager;
  private NDArray lossTotal;
  private NDArray correctTotal;
  private double lossAtRead;
  private long correctAtRead;
  private int lastRead;
  private List<List<RoutingMetrics>> routing;

  StepMeter(int batchSize, List<MoeLayer> layers) {
    this.batchSize = batchSize;
    this.layers = layers;
  }

  /** Starts an epoch's totals, on the device of {@code manager}. */
  void beginEpoch(NDManager manager) {
    epochManager = manager.newSubManager();
    lossTotal = epochManager.zeros(new Shape(), DataType.FLOAT32);
    correctTotal = epochManager.zeros(new Shape(), DataType.INT64);
    lossAtRead = 0;
    correctAtRead = 0;
    lastRead = -1;
    routing = new ArrayList<>();
    layers.forEach(l -> routing.add(new ArrayList<>()));
  }

  /** Adds a step's [loss, correct predictions] to the totals, on the device. */
  void add(NDList lossAndCorrect) {
    lossTotal.addi(lossAndCorrect.get(0));
    correctTotal.addi(lossAndCorrect.get(1));
  }

  /**
   * Reads the totals after the epoch's step {@code i} (0-based): the loss and accuracy become the
   * means over the steps since the previous read, and every layer's routing metrics are kept.
   */
  void read(int i) {
    double lossNow = lossTotal.getFloat();
    long correctNow = correctTotal.getLong();
    int steps = i - lastRead;
    loss = (lossNow - lossAtRead) / steps;
    accuracy = (double) (correctNow - correctAtRead) / ((long) steps * batchSize);
    lossAtRead = lossNow;
    correctAtRead = correctNow;
    lastRead = i;
    for (int l = 0; l < layers.size(); l++) {
      routing.get(l).add(layers.get(l).lastMetrics());
    }
  }

  /** Reads the first step of the epoch only to show its loss and accuracy (no routing metrics). */
  void peek() {
    loss = lossTotal.getFloat();
    accuracy = (double) correctTotal.getLong() / batchSize;
  }

  /**
   * A step as the host sees it: the last read loss and accuracy with the step's own numbers.
   *
   * @param epoch 1-based epoch number
   * @param step global steps done, this one included
   * @param read whether this step was read ({@link #read})
   */
  Trainer.Step step(int epoch, int step, boolean read, double imagesPerSecond, double lr) {
    return new Trainer.Step(epoch, step, read, loss, accuracy, imagesPerSecond, lr);
  }

  /** The loss summed over the epoch's steps up to the last {@link #read}. */
  double epochLoss() {
    return lossAtRead;
  }

  /** The correct predictions of the epoch up to the last {@link #read}. */
  long epochCorrect() {
    return correctAtRead;
  }

  /** Per MoE layer, its routing metrics averaged over the epoch's reads. */
  List<RoutingMetrics> epochRouting() {
    return routing.stream().map(RoutingMetrics::mean).toList();
  }

  /** Frees the epoch's device totals. */
  void endEpoch() {
    epochManager.close();
  }
}
