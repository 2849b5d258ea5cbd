package vimoe.eval;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.Augmentation;
import vimoe.data.ImageSet;
import vimoe.model.Pooling;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RoutingViews;

/**
 * Which expert processed each patch of some images, per MoE layer: the data of routing pictures.
 */
public final class RoutingCapture {
  private RoutingCapture() {}

  /**
   * Runs {@code images} through {@code model} in inference mode as one batch and reads every MoE
   * layer's plan ({@link vimoe.moe.routing.RoutingPlan#dominantExpert()}).
   *
   * @param images B images, B a multiple of the model's images per routing group
   * @return per MoE layer, (B, N): the expert of each patch in row-major order, -1 where dropped (a
   *     class token, when the model has one, is left out)
   */
  public static List<int[][]> dominantExperts(
      VisionTransformer model, ImageSet images, float[] mean, float[] std, NDManager manager) {
    int b = images.size(), group = model.config().groupImages();
    VitConfig.checkWholeGroups(b, group);
    int tokens = model.config().tokensPerImage(),
        first = model.config().pooling() == Pooling.TOKEN ? 1 : 0;
    int patches = model.config().patches();
    List<int[][]> out = new ArrayList<>();
    try (NDScope scope = new NDScope();
        NDManager step = manager.newSubManager()) {
      int[] all = java.util.stream.IntStream.range(0, b).toArray();
      NDList in = images.batch(step, all, Augmentation.NONE, 0, 0, mean, std);
      model.forward(new ParameterStore(step, false), new NDList(in.get(0)), false);
      for (MoeLayer layer : model.moeLayers()) {
        int[][] perGroup = layer.lastPlan().dominantExpert(); // (G, S), S = group * tokens
        int[][] perImage = new int[b][patches];
        for (int i = 0; i < b; i++) {
          int[] row = perGroup[i / group];
          System.arraycopy(row, (i % group) * tokens + first, perImage[i], 0, patches);
        }
        out.add(perImage);
      }
    }
    return out;
  }

  /**
   * Runs {@code images} through {@code model} in inference mode, in batches of at most {@code
   * batch} images, and averages every MoE layer's {@link RoutingViews} over the batches (weighted
   * by batch size).
   *
   * @param images B images, B a multiple of the model's images per routing group
   * @param batch images per forward pass, rounded down to whole groups (at least one group)
   * @return per MoE layer, the views
   */
  public static List<RoutingViews> views(
      VisionTransformer model,
      ImageSet images,
      float[] mean,
      float[] std,
      int batch,
      NDManager manager) {
    int b = images.size(), group = model.config().groupImages();
    VitConfig.checkWholeGroups(b, group);
    int step = Math.max(group, batch / group * group);
    List<List<RoutingViews>> perLayer = new ArrayList<>();
    for (int start = 0; start < b; start += step) {
      int end = Math.min(b, start + step);
      try (NDScope scope = new NDScope();
          NDManager sub = manager.newSubManager()) {
        int[] idx = java.util.stream.IntStream.range(start, end).toArray();
        NDList in = images.batch(sub, idx, Augmentation.NONE, 0, 0, mean, std);
        model.forward(new ParameterStore(sub, false), new NDList(in.get(0)), false);
        List<MoeLayer> layers = model.moeLayers();
        for (int l = 0; l < layers.size(); l++) {
          if (perLayer.size() <= l) {
            perLayer.add(new ArrayList<>());
          }
          RoutingViews v = layers.get(l).lastPlan().views();
          // each group counts once: a batch of n groups enters n times
          for (int g = 0; g < (end - start) / group; g++) {
            perLayer.get(l).add(v);
          }
        }
      }
    }
    return perLayer.stream().map(RoutingViews::mean).toList();
  }
}
