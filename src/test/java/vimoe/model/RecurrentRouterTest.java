package vimoe.model;

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
import ai.djl.nn.Parameter;
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
import vimoe.moe.MoeLayer;
import vimoe.moe.RecurrentRouter;
import vimoe.moe.RouterGru;
import vimoe.moe.routing.RouterSpec;

/**
 * The layerwise recurrent router (RMoE, arXiv 2408.06793): its logits against a float64 GRU, the
 * state from MoE layer to MoE layer, gradients into the shared GRU cell, save/load.
 */
class RecurrentRouterTest {
  static final int G = 2, S = 5, D = 6, E = 4, R = 3;
  NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  static RouterSpec spec(String router, int r) {
    return RouterSpec.of(router).toBuilder().optOption("recurrent_router", r).build();
  }

  NDArray normal(long seed, Shape shape) {
    Engine.getInstance().setRandomSeed((int) seed);
    return manager.randomNormal(0, 1, shape, DataType.FLOAT64);
  }

  static double[] valueOf(Iterable<ai.djl.util.Pair<String, Parameter>> params, String suffix) {
    for (var p : params) {
      if (p.getKey().endsWith(suffix)) {
        return p.getValue().getArray().toDoubleArray();
      }
    }
    throw new AssertionError("no parameter ending in " + suffix);
  }

  static double sigmoid(double v) {
    return 1 / (1 + Math.exp(-v));
  }

  /**
   * The float64 reference for one token: u = x Wp; the GRU of docs/routing.md; L = h' Wo. Matrices
   * row-major: Wp (D, R), Wi and Wh (R, 3R) with gates r, z, n side by side, Wo (R, E).
   */
  static double[] reference(
      double[] x,
      double[] h,
      double[] wp,
      double[] wi,
      double[] bi,
      double[] wh,
      double[] bh,
      double[] wo,
      double[] newState) {
    double[] u = new double[R];
    for (int j = 0; j < R; j++) {
      for (int k = 0; k < D; k++) {
        u[j] += x[k] * wp[k * R + j];
      }
    }
    double[] gi = new double[3 * R], gh = new double[3 * R];
    for (int j = 0; j < 3 * R; j++) {
      gi[j] = bi[j];
      gh[j] = bh[j];
      for (int k = 0; k < R; k++) {
        gi[j] += u[k] * wi[k * 3 * R + j];
        gh[j] += h[k] * wh[k * 3 * R + j];
      }
    }
    for (int j = 0; j < R; j++) {
      double r = sigmoid(gi[j] + gh[j]);
      double z = sigmoid(gi[R + j] + gh[R + j]);
      double n = Math.tanh(gi[2 * R + j] + r * gh[2 * R + j]);
      newState[j] = (1 - z) * n + z * h[j];
    }
    double[] logits = new double[E];
    for (int e = 0; e < E; e++) {
      for (int j = 0; j < R; j++) {
        logits[e] += newState[j] * wo[j * E + e];
      }
    }
    return logits;
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void logitsAndStateEqualAFloat64Gru(boolean firstLayer) {
    Engine.getInstance().setRandomSeed(3);
    RouterGru gru = new RouterGru(R);
    RecurrentRouter router = new RecurrentRouter(E, 0, gru);
    gru.initialize(manager, DataType.FLOAT64, new Shape(G, S, R), new Shape(G, S, R));
    router.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    // non-zero biases, so that every term of the formula counts
    for (var p : gru.getParameters()) {
      NDArray a = p.getValue().getArray();
      a.addi(normal(11 + p.getKey().length(), a.getShape()).mul(0.3));
    }
    NDArray x = normal(4, new Shape(G, S, D));
    NDArray previous = firstLayer ? null : normal(5, new Shape(G, S, R)).tanh();
    RecurrentRouter.Step step = router.step(new ParameterStore(manager, false), x, previous, false);
    double[] got = step.logits().clean().toDoubleArray(), gotState = step.state().toDoubleArray();
    assertEquals(new Shape(G, S, E), step.logits().clean().getShape());
    double[] wp = valueOf(router.getParameters(), "proj"),
        wo = valueOf(router.getParameters(), "weight");
    double[] wi = valueOf(gru.getParameters(), "w_i"), bi = valueOf(gru.getParameters(), "b_i");
    double[] wh = valueOf(gru.getParameters(), "w_h"), bh = valueOf(gru.getParameters(), "b_h");
    double[] xv = x.toDoubleArray();
    double[] hv = previous == null ? new double[G * S * R] : previous.toDoubleArray();
    double maxErr = 0;
    for (int t = 0; t < G * S; t++) {
      double[] state = new double[R];
      double[] want =
          reference(
              Arrays.copyOfRange(xv, t * D, (t + 1) * D),
              Arrays.copyOfRange(hv, t * R, (t + 1) * R),
              wp,
              wi,
              bi,
              wh,
              bh,
              wo,
              state);
      for (int e = 0; e < E; e++) {
        maxErr = Math.max(maxErr, Math.abs(got[t * E + e] - want[e]));
      }
      for (int j = 0; j < R; j++) {
        maxErr = Math.max(maxErr, Math.abs(gotState[t * R + j] - state[j]));
      }
    }
    assertTrue(maxErr < 1e-12, "max error " + maxErr);
  }

  /**
   * Two MoE layers' routers around one GRU cell, float64: layer 2's logits, from layer 1's state,
   * equal the float64 reference. With {@code -Dvimoe.fidelity.rmoe=FILE} the weights, inputs and
   * vimoe's logits are written to FILE for scripts/fidelity/rmoe.py, which compares them with the
   * RMoE authors' GRU cell.
   */
  @Test
  void twoLayersChainTheirStatesAsTheReference() throws Exception {
    Engine.getInstance().setRandomSeed(21);
    RouterGru gru = new RouterGru(R);
    RecurrentRouter one = new RecurrentRouter(E, 0, gru), two = new RecurrentRouter(E, 0, gru);
    gru.initialize(manager, DataType.FLOAT64, new Shape(G, S, R), new Shape(G, S, R));
    one.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    two.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    for (var p : gru.getParameters()) {
      NDArray a = p.getValue().getArray();
      a.addi(normal(31 + p.getKey().length(), a.getShape()).mul(0.3));
    }
    NDArray x1 = normal(22, new Shape(G, S, D)), x2 = normal(23, new Shape(G, S, D));
    ParameterStore ps = new ParameterStore(manager, false);
    RecurrentRouter.Step s1 = one.step(ps, x1, null, false);
    RecurrentRouter.Step s2 = two.step(ps, x2, s1.state(), false);
    double[] wi = valueOf(gru.getParameters(), "w_i"), bi = valueOf(gru.getParameters(), "b_i");
    double[] wh = valueOf(gru.getParameters(), "w_h"), bh = valueOf(gru.getParameters(), "b_h");
    double[] got = s2.logits().clean().toDoubleArray();
    double[] xa = x1.toDoubleArray(), xb = x2.toDoubleArray();
    double maxErr = 0;
    for (int t = 0; t < G * S; t++) {
      double[] h1 = new double[R], h2 = new double[R];
      reference(
          Arrays.copyOfRange(xa, t * D, (t + 1) * D),
          new double[R],
          valueOf(one.getParameters(), "proj"),
          wi,
          bi,
          wh,
          bh,
          valueOf(one.getParameters(), "weight"),
          h1);
      double[] want =
          reference(
              Arrays.copyOfRange(xb, t * D, (t + 1) * D),
              h1,
              valueOf(two.getParameters(), "proj"),
              wi,
              bi,
              wh,
              bh,
              valueOf(two.getParameters(), "weight"),
              h2);
      for (int e = 0; e < E; e++) {
        maxErr = Math.max(maxErr, Math.abs(got[t * E + e] - want[e]));
      }
    }
    assertTrue(maxErr < 1e-12, "max error " + maxErr);
    String file = System.getProperty("vimoe.fidelity.rmoe");
    if (file != null) {
      var out = new java.util.LinkedHashMap<String, Object>();
      out.put("tokens", G * S);
      out.put("width", D);
      out.put("state_size", R);
      out.put("experts", E);
      out.put("x1", xa);
      out.put("x2", xb);
      out.put("proj1", valueOf(one.getParameters(), "proj"));
      out.put("weight1", valueOf(one.getParameters(), "weight"));
      out.put("proj2", valueOf(two.getParameters(), "proj"));
      out.put("weight2", valueOf(two.getParameters(), "weight"));
      out.put("w_i", wi);
      out.put("b_i", bi);
      out.put("w_h", wh);
      out.put("b_h", bh);
      out.put("logits1", s1.logits().clean().toDoubleArray());
      out.put("logits2", got);
      new com.fasterxml.jackson.databind.ObjectMapper().writeValue(new java.io.File(file), out);
    }
  }

  MoeLayer layer(String router, RouterGru gru) {
    MoeLayer layer =
        MoeLayer.builder()
            .setRouter(spec(router, R))
            .setNumExperts(E)
            .setHiddenDim(7)
            .setRecurrentCell(gru)
            .build();
    layer.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    return layer;
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "softmax-ec", "sinkhorn-tc", "sigmoid-ec"})
  void theStateFlowsFromOneMoeLayerToTheNext(String router) {
    Engine.getInstance().setRandomSeed(6);
    RouterGru gru = new RouterGru(R);
    gru.initialize(manager, DataType.FLOAT64, new Shape(G, S, R), new Shape(G, S, R));
    MoeLayer first = layer(router, gru), second = layer(router, gru);
    ParameterStore ps = new ParameterStore(manager, false);
    NDArray x1 = normal(7, new Shape(G, S, D)), x2 = normal(8, new Shape(G, S, D));
    NDArray other = normal(9, new Shape(G, S, D));
    NDList a = first.forward(ps, new NDList(x1), false);
    NDList b = first.forward(ps, new NDList(other), false);
    assertEquals(new Shape(G, S, R), a.get(2).getShape());
    NDList a2 = second.forward(ps, new NDList(x2, a.get(2)), false);
    NDList b2 = second.forward(ps, new NDList(x2, b.get(2)), false);
    // the same tokens at layer 2, another input at layer 1: another state, other logits
    assertTrue(a2.get(2).sub(b2.get(2)).abs().max().getDouble() > 1e-6);
    assertTrue(a2.head().sub(b2.head()).abs().max().getDouble() > 1e-9);
    // without a state the layer starts from h_0 = 0: the first layer's own output is repeatable
    assertArrayEquals(
        a.head().toDoubleArray(), first.forward(ps, new NDList(x1), false).head().toDoubleArray());
  }

  static VitConfig small(RouterSpec router) {
    return new VitConfig(8, 1, 4, 16, 3, 2, 32, 5, Pooling.GAP, "every:1", router, 4, 32, 1);
  }

  @Test
  void gradientsReachTheSharedGruAndTheModelReloadsIdentically() throws Exception {
    Engine.getInstance().setRandomSeed(1);
    VitConfig config = small(spec("softmax-tc", 8));
    VisionTransformer vit = new VisionTransformer(config);
    vit.initialize(manager, DataType.FLOAT32, new Shape(2, 1, 8, 8));
    assertEquals(3, vit.moeLayers().size());
    NDArray x = manager.randomNormal(new Shape(4, 1, 8, 8));
    ParameterStore ps = new ParameterStore(manager, false);
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDList out = vit.forward(ps, new NDList(x), true);
      gc.backward(out.head().square().mean().add(out.get(1)));
    }
    long gruParams = 0;
    for (var p : vit.getParameters()) {
      if (p.getKey().contains("router_gru_w_")) {
        gruParams += p.getValue().getArray().size();
        assertTrue(p.getValue().getArray().getGradient().abs().sum().getFloat() > 0, p.getKey());
      }
    }
    assertEquals(2 * 8 * 24, gruParams); // one cell for the model: w_i and w_h, (R, 3R) each
    assertEquals(ModelInfoTest.scalarsOf(config, 2), ModelInfo.of(config).totalParameters());
    float[] before = vit.forward(ps, new NDList(x), false).head().toFloatArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    vit.saveParameters(new DataOutputStream(bytes));
    VisionTransformer loaded = new VisionTransformer(config);
    loaded.loadParameters(
        manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertArrayEquals(
        before,
        loaded
            .forward(new ParameterStore(manager, false), new NDList(x), false)
            .head()
            .toFloatArray());
  }

  @Test
  void routerCostsByHand() {
    // micro (D = 64, S = 49, E = 8, 2 MoE blocks), softmax-tc, R = 16: per block Wp 64*16 + Wo
    // 16*8 = 1,152 instead of Wr 512; one GRU 6*256 + 6*16 = 1,632. FLOPs per block: 2*49*16*(64 +
    // 8 + 96) = 263,424 instead of 2*49*64*8 = 50,176.
    VitConfig plain = ModelInfoTest.micro("softmax-tc");
    VitConfig rmoe = ModelInfoTest.micro(spec("softmax-tc", 16));
    assertEquals(
        ModelInfo.of(plain).totalParameters() + 2 * (1_152 - 512) + 1_632,
        ModelInfo.of(rmoe).totalParameters());
    assertEquals(2 * 263_424, ModelInfo.flopsByPart(rmoe).get("router"));
    assertEquals(
        ModelInfo.of(plain).flopsPerImage() + 2 * (263_424 - 50_176),
        ModelInfo.of(rmoe).flopsPerImage());
    assertEquals(ModelInfoTest.scalarsOf(rmoe, 1), ModelInfo.of(rmoe).totalParameters());
  }

  @ParameterizedTest
  @ValueSource(strings = {"soft", "dense"})
  void refusedWithoutTokenLogits(String router) {
    var e = assertThrows(IllegalArgumentException.class, () -> spec(router, 4));
    assertEquals(
        "recurrent_router applies to routers with token logits (Token Choice, Expert Choice), not "
            + router
            + "; use 0",
        e.getMessage());
  }
}
