package vimoe.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;
import vimoe.moe.routing.RoutingPlan;

/**
 * Shared experts (DeepSeekMoE, arXiv 2401.06066): Y = routed output + sum of the N shared MLPs on
 * every token, against the float64 formula; save/load; refusal where they do not apply.
 */
class SharedExpertsTest {
  static final int G = 2, S = 6, D = 4, E = 3, H = 5, N = 2;
  NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  static RouterSpec spec(String router, int shared) {
    return RouterSpec.of(router).toBuilder().optOption("shared_experts", shared).build();
  }

  MoeLayer layer(String router, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    MoeLayer layer =
        MoeLayer.builder().setRouter(spec(router, N)).setNumExperts(E).setHiddenDim(H).build();
    layer.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    return layer;
  }

  NDArray input(long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    return manager.randomNormal(0, 1, new Shape(G, S, D), DataType.FLOAT64);
  }

  /** A dispatch (and combine) that sends token s to slot s of each of n experts: S x n x S. */
  static double[][][] everyToken(int n) {
    double[][][] t = new double[S][n][S];
    for (int s = 0; s < S; s++) {
      for (int e = 0; e < n; e++) {
        t[s][e][s] = 1;
      }
    }
    return t;
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "sinkhorn-ec", "sigmoid-tc", "sparse-ot-ec"})
  void outputIsTheRoutedOutputPlusEverySharedMlp(String router) {
    MoeLayer layer = layer(router, 1);
    NDArray x = input(2);
    double[] y = MoeLayerTest.forward(layer, x, false).head().toDoubleArray();
    var p = layer.getParameters();
    // the shared experts change no plan: the plan is that of the router's own logits
    RoutingPlan plan = new MoeLayerTest().planOf(layer, x);
    double[][][] w1 = MoeLayerTest.cube(MoeLayerTest.param(p, "experts_w1").getArray()),
        w2 = MoeLayerTest.cube(MoeLayerTest.param(p, "experts_w2").getArray());
    double[][] b1 =
        MoeLayerTest.matrix(MoeLayerTest.param(p, "experts_b1").getArray().reshape(E, H));
    double[][] b2 =
        MoeLayerTest.matrix(MoeLayerTest.param(p, "experts_b2").getArray().reshape(E, D));
    double[][][] sw1 = MoeLayerTest.cube(MoeLayerTest.param(p, "shared_w1").getArray()),
        sw2 = MoeLayerTest.cube(MoeLayerTest.param(p, "shared_w2").getArray());
    double[][] sb1 =
        MoeLayerTest.matrix(MoeLayerTest.param(p, "shared_b1").getArray().reshape(N, H));
    double[][] sb2 =
        MoeLayerTest.matrix(MoeLayerTest.param(p, "shared_b2").getArray().reshape(N, D));
    double[] xv = x.toDoubleArray();
    double[][][][] dsp = plan.denseDispatch(), cmb = plan.denseCombine();
    double[][][] all = everyToken(N);
    double maxErr = 0, sharedNorm = 0;
    for (int g = 0; g < G; g++) {
      double[][] xs = new double[S][D];
      for (int s = 0; s < S; s++) {
        System.arraycopy(xv, (g * S + s) * D, xs[s], 0, D);
      }
      double[][] routed = Reference.layer(xs, dsp[g], cmb[g], w1, b1, w2, b2);
      double[][] shared = Reference.layer(xs, all, all, sw1, sb1, sw2, sb2);
      for (int s = 0; s < S; s++) {
        for (int j = 0; j < D; j++) {
          double ref = routed[s][j] + shared[s][j];
          maxErr = Math.max(maxErr, Math.abs(y[(g * S + s) * D + j] - ref));
          sharedNorm += Math.abs(shared[s][j]);
        }
      }
    }
    assertTrue(maxErr < 1e-12, router + ": max error " + maxErr);
    assertTrue(sharedNorm > 1e-3, "the shared experts add something");
  }

  @Test
  void gradientsReachTheSharedExpertsAndSaveLoadKeepsThem() throws Exception {
    MoeLayer layer = layer("softmax-tc", 3);
    NDArray x = input(4);
    for (int step = 0; step < 3; step++) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDList out = MoeLayerTest.forward(layer, x, true);
        gc.backward(out.head().square().mean().add(out.get(1)));
      }
      for (var pair : layer.getParameters()) {
        NDArray a = pair.getValue().getArray();
        if (pair.getKey().contains("shared_w1")) {
          assertTrue(a.getGradient().abs().sum().getDouble() > 0, "gradient of shared_w1");
        }
        a.subi(a.getGradient().mul(0.1));
      }
    }
    double[] before = MoeLayerTest.forward(layer, x, false).head().toDoubleArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    layer.saveParameters(new DataOutputStream(bytes));
    MoeLayer loaded =
        MoeLayer.builder()
            .setRouter(spec("softmax-tc", N))
            .setNumExperts(E)
            .setHiddenDim(H)
            .build();
    loaded.loadParameters(
        manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertArrayEquals(
        before,
        loaded
            .forward(new ParameterStore(manager, false), new NDList(x), false)
            .head()
            .toDoubleArray());
    assertEquals(
        N * (2 * D * H + H + D),
        layer.getParameters().stream()
            .filter(pr -> pr.getKey().matches("\\d+shared_.*"))
            .mapToLong(pr -> pr.getValue().getArray().size())
            .sum());
  }

  @ParameterizedTest
  @ValueSource(strings = {"soft", "dense"})
  void refusedWhereTheyDoNotApply(String router) {
    var e = assertThrows(IllegalArgumentException.class, () -> spec(router, 1));
    assertEquals(
        "shared_experts applies to routers with sparse slots only, not " + router + "; use 0",
        e.getMessage());
  }

  @Test
  void zeroIsTheDefaultAndConfigJsonKeepsANonZeroValue() throws Exception {
    assertEquals(RouterSpec.of("softmax-tc"), spec("softmax-tc", 0));
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    String plain = mapper.writeValueAsString(RouterSpec.of("softmax-tc"));
    assertTrue(!plain.contains("sharedExperts"), plain);
    String json = mapper.writeValueAsString(spec("softmax-ec", 2));
    assertEquals(spec("softmax-ec", 2), mapper.readValue(json, RouterSpec.class));
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "softmax-ec"})
  void theOptionChangesNoPlan(String router) {
    NDArray logits = input(5).get(":, :, :" + E);
    RoutingPlan plain = Routers.create(RouterSpec.of(router)).route(RouterLogits.of(logits));
    RoutingPlan shared = Routers.create(spec(router, N)).route(RouterLogits.of(logits));
    assertTrue(Arrays.deepEquals(plain.denseDispatch(), shared.denseDispatch()));
    assertTrue(Arrays.deepEquals(plain.denseCombine(), shared.denseCombine()));
  }
}
