package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vimoe.moe.MoeLayer;

/**
 * Sparse routers never build an S x E x C tensor: at S = 8192, E = 64, C = 128 one such float32
 * tensor is 268 MB (and S x E x C x D would be 8.6 GB), yet the peak resident memory of a forward
 * and backward pass of the layer grows by far less.
 */
class SparsePlanScaleTest {
  static final int S = 8192, E = 64, D = 32, H = 32;

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "softmax-ec"})
  void forwardAndBackwardStayFarBelowOneDenseSlotTensor(String router) throws Exception {
    long denseBytes = 4L * S * E * Capacity.of(S, E, RouterSpec.of(router));
    assertEquals(4L * S * E * 128, denseBytes);
    try (NDManager manager = NDManager.newBaseManager()) {
      MoeLayer layer =
          MoeLayer.builder()
              .setRouter(RouterSpec.of(router))
              .setNumExperts(E)
              .setHiddenDim(H)
              .build();
      layer.initialize(manager, DataType.FLOAT32, new Shape(1, S, D));
      runOnce(manager, layer); // warm-up: allocator pools, JIT
      System.gc();
      long before = status("VmRSS");
      Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets the peak (VmHWM) to now
      runOnce(manager, layer);
      long peakGrowth = status("VmHWM") - before;
      assertTrue(
          peakGrowth < denseBytes / 2,
          router
              + ": peak resident memory grew by "
              + peakGrowth / 1e6
              + " MB in one step; one"
              + " S x E x C tensor is "
              + denseBytes / 1e6
              + " MB");
      System.out.printf(
          "%s: peak growth of one step %.1f MB (one S x E x C tensor: %.1f MB)%n",
          router, peakGrowth / 1e6, denseBytes / 1e6);
    }
  }

  private static void runOnce(NDManager parent, MoeLayer layer) {
    try (NDManager step = parent.newSubManager()) {
      NDArray x = step.randomNormal(new Shape(1, S, D));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDList out = layer.forward(new ParameterStore(step, false), new NDList(x), true);
        gc.backward(out.head().square().mean().add(out.get(1)));
      }
      assertTrue(layer.lastMetrics().slotFillRatio() > 0);
    }
  }

  /**
   * A memory figure of /proc/self/status in bytes, e.g. VmRSS (resident) or VmHWM (peak resident).
   */
  private static long status(String field) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
      }
    }
    throw new IllegalStateException("no " + field + " in /proc/self/status");
  }
}
