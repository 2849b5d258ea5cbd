package vimoe.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.Augmentation;
import vimoe.data.ImageSet;
import vimoe.model.VisionTransformer;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RoutingMetrics;

/**
 * Runs a model in inference mode over an image set: predictions, accuracy, features, routing
 * statistics.
 */
public final class Evaluator {
  private Evaluator() {}

  /**
   * What one pass over a set produced.
   *
   * @param accuracy top-1 accuracy (precision@1)
   * @param predictions the top-1 class of every image
   * @param probabilities softmax probabilities, N x classes (null unless asked for)
   * @param features pre-logit features, N x D (null unless asked for)
   * @param routing per MoE layer, its metrics averaged over the batches
   * @param imagesPerSecond inference throughput
   */
  public record Pass(
      double accuracy,
      int[] predictions,
      float[][] probabilities,
      double[][] features,
      List<RoutingMetrics> routing,
      double imagesPerSecond) {}

  /**
   * Evaluates {@code model} on every image of {@code data}, in order. With more than one image per
   * routing group, a last batch that does not fill its groups is padded with copies of its last
   * image, whose predictions are discarded.
   */
  public static Pass run(
      VisionTransformer model,
      ImageSet data,
      float[] mean,
      float[] std,
      int batchSize,
      NDManager manager,
      boolean keepProbabilities,
      boolean keepFeatures) {
    int n = data.size(), group = model.config().groupImages();
    int batch = Math.max(group, batchSize / group * group);
    int[] predictions = new int[n];
    float[][] probabilities = keepProbabilities ? new float[n][] : null;
    double[][] features = keepFeatures ? new double[n][] : null;
    List<MoeLayer> layers = model.moeLayers();
    List<List<RoutingMetrics>> routing = new ArrayList<>();
    layers.forEach(l -> routing.add(new ArrayList<>()));
    int correct = 0;
    long start = System.nanoTime();
    for (int from = 0; from < n; from += batch) {
      int real = Math.min(batch, n - from);
      int padded = (real + group - 1) / group * group;
      int[] indices = new int[padded];
      for (int i = 0; i < padded; i++) {
        indices[i] = from + Math.min(i, real - 1);
      }
      try (NDScope scope = new NDScope();
          NDManager step = manager.newSubManager()) {
        NDList in = data.batch(step, indices, Augmentation.NONE, 0, 0, mean, std);
        NDList out = model.forward(new ParameterStore(step, false), new NDList(in.get(0)), false);
        NDArray logits = out.get(0);
        long[] top = logits.argMax(1).toLongArray();
        float[] probs = keepProbabilities ? logits.softmax(1).toFloatArray() : null;
        double[] feats =
            keepFeatures
                ? out.get(2).toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray()
                : null;
        int classes = (int) logits.getShape().get(1), width = (int) out.get(2).getShape().get(1);
        for (int i = 0; i < real; i++) {
          predictions[from + i] = (int) top[i];
          correct += top[i] == data.label(from + i) ? 1 : 0;
          if (probs != null) {
            probabilities[from + i] =
                java.util.Arrays.copyOfRange(probs, i * classes, (i + 1) * classes);
          }
          if (feats != null) {
            features[from + i] = java.util.Arrays.copyOfRange(feats, i * width, (i + 1) * width);
          }
        }
        for (int l = 0; l < layers.size(); l++) {
          routing.get(l).add(layers.get(l).lastMetrics());
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    List<RoutingMetrics> perLayer = routing.stream().map(RoutingMetrics::mean).toList();
    return new Pass(
        n == 0 ? 0 : (double) correct / n,
        predictions,
        probabilities,
        features,
        perLayer,
        n / Math.max(seconds, 1e-9));
  }

  /** The confusion matrix: entry [true][predicted] counts images. */
  public static int[][] confusion(int[] labels, int[] predictions, int classes) {
    int[][] m = new int[classes][classes];
    for (int i = 0; i < labels.length; i++) {
      m[labels[i]][predictions[i]]++;
    }
    return m;
  }

  /** Per-class accuracy (recall) from a confusion matrix; NaN for a class with no image. */
  public static double[] perClassAccuracy(int[][] confusion) {
    double[] acc = new double[confusion.length];
    for (int c = 0; c < confusion.length; c++) {
      int total = java.util.Arrays.stream(confusion[c]).sum();
      acc[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
    }
    return acc;
  }
}
