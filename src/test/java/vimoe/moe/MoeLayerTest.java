package vimoe.moe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;
import vimoe.moe.routing.RoutingPlan;

/**
 * The MoE layer against the float64 formula of docs/routing.md, by finite differences, and across
 * save/load.
 */
class MoeLayerTest {
  static final int G = 2, S = 6, D = 4, E = 3, H = 5;
  NDManager manager;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void close() {
    manager.close();
  }

  MoeLayer layer(String router, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    MoeLayer layer =
        MoeLayer.builder()
            .setRouter(RouterSpec.of(router))
            .setNumExperts(E)
            .setHiddenDim(H)
            .build();
    layer.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    return layer;
  }

  NDArray input(long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    return manager.randomNormal(0, 1, new Shape(G, S, D), DataType.FLOAT64);
  }

  static NDList forward(MoeLayer layer, NDArray x, boolean training) {
    return layer.forward(new ParameterStore(x.getManager(), false), new NDList(x), training);
  }

  /** The plan the layer routes by, recomputed from its parameters outside the layer. */
  RoutingPlan planOf(MoeLayer layer, NDArray x) {
    var p = layer.getParameters();
    String router = layer.spec().router();
    NDArray logits;
    if (router.equals("soft")) {
      NDArray phi = param(p, "router_phi").getArray(); // (D, E, C)
      long c = phi.getShape().get(2);
      NDArray xn = x.div(x.square().sum(new int[] {2}, true).add(1e-6).sqrt());
      NDArray pf = phi.reshape(D, E * c);
      NDArray pn = pf.div(pf.square().sum(new int[] {0}, true).add(1e-6).sqrt());
      logits = xn.matMul(pn).mul(param(p, "router_scale").getArray()).reshape(G, S, E, c);
    } else {
      logits = x.matMul(param(p, "router_weight").getArray());
    }
    return Routers.create(layer.spec()).route(RouterLogits.of(logits));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "softmax-tc",
        "sinkhorn-tc",
        "sparse-ot-tc",
        "softmax-ec",
        "sinkhorn-ec",
        "sparse-ot-ec",
        "soft"
      })
  void outputEqualsTheFormulaOfItsPlanInFloat64(String router) {
    MoeLayer layer = layer(router, 1);
    NDArray x = input(2);
    double[] y = forward(layer, x, false).head().toDoubleArray();
    RoutingPlan plan = planOf(layer, x);
    var p = layer.getParameters();
    double[][][] w1 = cube(param(p, "experts_w1").getArray()),
        w2 = cube(param(p, "experts_w2").getArray());
    double[][] b1 = matrix(param(p, "experts_b1").getArray().reshape(E, H));
    double[][] b2 = matrix(param(p, "experts_b2").getArray().reshape(E, D));
    double[][][] xs = new double[G][][];
    double[] xv = x.toDoubleArray();
    double[][][][] dsp = plan.denseDispatch(), cmb = plan.denseCombine();
    double maxRel = 0;
    for (int g = 0; g < G; g++) {
      xs[g] = new double[S][D];
      for (int s = 0; s < S; s++) {
        System.arraycopy(xv, (g * S + s) * D, xs[g][s], 0, D);
      }
      double[][] ref = Reference.layer(xs[g], dsp[g], cmb[g], w1, b1, w2, b2);
      for (int s = 0; s < S; s++) {
        for (int j = 0; j < D; j++) {
          double got = y[(g * S + s) * D + j];
          maxRel =
              Math.max(maxRel, Math.abs(got - ref[s][j]) / Math.max(1e-3, Math.abs(ref[s][j])));
        }
      }
    }
    assertTrue(maxRel < 1e-5, router + ": max relative error " + maxRel);
    // the plan routes something: not all outputs are zero
    assertTrue(
        java.util.Arrays.stream(y).anyMatch(v -> Math.abs(v) > 1e-6),
        router + " output is all zero");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "softmax-tc",
        "sinkhorn-tc",
        "sparse-ot-tc",
        "softmax-ec",
        "sinkhorn-ec",
        "sparse-ot-ec",
        "soft"
      })
  void autogradAgreesWithCentralDifferences(String router) {
    MoeLayer layer = layer(router, 3);
    NDArray x = input(4);
    Engine.getInstance().setRandomSeed(5);
    NDArray probe = manager.randomNormal(0, 1, new Shape(G, S, D), DataType.FLOAT64);
    // Loss = <Y, probe> + 10 * aux: a generic linear functional of the output, plus the aux loss.
    java.util.function.Supplier<NDArray> loss =
        () -> {
          NDList out = forward(layer, x, false);
          return out.head().mul(probe).sum().add(out.get(1).mul(10));
        };
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(loss.get());
    }
    for (var pair : layer.getParameters()) {
      Parameter param = pair.getValue();
      NDArray value = param.getArray();
      double[] grad = value.getGradient().toDoubleArray();
      double[] v = value.toDoubleArray();
      int checked = 0;
      for (int i = 0; i < v.length; i += Math.max(1, v.length / 12), checked++) {
        double h = 1e-6, old = v[i];
        v[i] = old + h;
        value.set(v);
        double up = loss.get().getDouble();
        v[i] = old - h;
        value.set(v);
        double down = loss.get().getDouble();
        v[i] = old;
        value.set(v);
        double fd = (up - down) / (2 * h);
        assertEquals(
            fd,
            grad[i],
            1e-6 + 1e-5 * Math.abs(fd),
            router + " d/d" + pair.getKey() + "[" + i + "]");
      }
      assertTrue(checked > 0);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "sinkhorn-ec", "sparse-ot-tc", "soft"})
  void trainedLayerSavedAndLoadedGivesIdenticalOutputs(String router) throws Exception {
    MoeLayer layer = layer(router, 7);
    NDArray x = input(8);
    for (int step = 0;
        step < 3;
        step++) { // a few SGD steps so the parameters are not the initial ones
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDList out = forward(layer, x, true);
        gc.backward(out.head().square().mean().add(out.get(1)));
      }
      for (var pair : layer.getParameters()) {
        NDArray a = pair.getValue().getArray();
        a.subi(a.getGradient().mul(0.1));
      }
    }
    double[] before = forward(layer, x, false).head().toDoubleArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    layer.saveParameters(new DataOutputStream(bytes));

    MoeLayer loaded =
        MoeLayer.builder()
            .setRouter(RouterSpec.of(router))
            .setNumExperts(E)
            .setHiddenDim(H)
            .build();
    loaded.loadParameters(
        manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertArrayEquals(before, forward(loaded, x, false).head().toDoubleArray());
  }

  /**
   * A diverged model (a NaN among the tokens) routes without failing, so that the NaN reaches the
   * loss, where training reports the divergence; the Java solvers that serve Sinkhorn and k-sparse
   * OT on a CPU refuse non-finite numbers, so their routers must not hand them any.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "softmax-tc",
        "sinkhorn-tc",
        "sparse-ot-tc",
        "softmax-ec",
        "sinkhorn-ec",
        "sparse-ot-ec",
        "soft"
      })
  void aNaNTokenIsPassedOnNotRefused(String router) {
    MoeLayer layer = layer(router, 21);
    double[] values = input(22).toDoubleArray();
    values[D + 1] = Double.NaN; // token 1 of group 0
    NDArray x = manager.create(values, new Shape(G, S, D));
    for (boolean training : new boolean[] {true, false}) {
      NDList out = forward(layer, x, training);
      assertEquals(new Shape(G, S, D), out.head().getShape());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "softmax-ec", "soft"})
  void sameSeedSameOutputsAndInferenceIsRepeatable(String router) {
    NDArray x = input(9);
    MoeLayer a = layer(router, 11);
    Engine.getInstance().setRandomSeed(12);
    double[] trainA =
        forward(a, x, true).head().toDoubleArray(); // with noise where the router has it
    MoeLayer b = layer(router, 11);
    Engine.getInstance().setRandomSeed(12);
    double[] trainB = forward(b, x, true).head().toDoubleArray();
    assertArrayEquals(trainA, trainB);
    double[] inferA = forward(a, x, false).head().toDoubleArray();
    assertArrayEquals(inferA, forward(a, x, false).head().toDoubleArray());
    assertArrayEquals(inferA, forward(b, x, false).head().toDoubleArray());
  }

  @ParameterizedTest
  @ValueSource(strings = {"softmax-tc", "softmax-ec"})
  void trainingNoiseChangesTheRoutingOnlyInTraining(String router) {
    MoeLayer layer = layer(router, 13);
    NDArray x = input(14).mul(0.01); // tiny logits: noise of size sigma/E decides the routing
    double[] infer = forward(layer, x, false).head().toDoubleArray();
    boolean differs = false;
    for (int i = 0; i < 5 && !differs; i++) {
      differs = !java.util.Arrays.equals(infer, forward(layer, x, true).head().toDoubleArray());
    }
    assertTrue(differs, "training forward passes never differ from inference: no noise?");
  }

  @org.junit.jupiter.api.Test
  void denseMlpIsTheOneExpertFormulaAndHasZeroAuxLoss() throws Exception {
    Engine.getInstance().setRandomSeed(15);
    DenseMlp mlp = new DenseMlp(H);
    mlp.initialize(manager, DataType.FLOAT64, new Shape(G, S, D));
    NDArray x = input(16);
    NDList out = mlp.forward(new ParameterStore(manager, false), new NDList(x), false);
    assertEquals(0.0, out.get(1).getDouble());
    var p = mlp.getParameters();
    double[][][] ones = new double[S][1][1];
    for (double[][] o : ones) {
      o[0][0] = 1;
    }
    double[] y = out.head().toDoubleArray(), xv = x.toDoubleArray();
    for (int g = 0; g < G; g++) {
      double[][] xs = new double[S][D];
      for (int s = 0; s < S; s++) {
        System.arraycopy(xv, (g * S + s) * D, xs[s], 0, D);
      }
      for (int s = 0; s < S; s++) { // each token alone through the single expert
        double[][][] dsp = new double[1][1][1];
        dsp[0][0][0] = 1;
        double[][] ref =
            Reference.layer(
                new double[][] {xs[s]},
                dsp,
                dsp,
                cube(param(p, "mlp_w1").getArray()),
                matrix(param(p, "mlp_b1").getArray().reshape(1, H)),
                cube(param(p, "mlp_w2").getArray()),
                matrix(param(p, "mlp_b2").getArray().reshape(1, D)));
        for (int j = 0; j < D; j++) {
          assertEquals(ref[0][j], y[(g * S + s) * D + j], 1e-9);
        }
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    mlp.saveParameters(new DataOutputStream(bytes));
    DenseMlp loaded = new DenseMlp(H);
    loaded.loadParameters(
        manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    assertArrayEquals(
        y,
        loaded
            .forward(new ParameterStore(manager, false), new NDList(x), false)
            .head()
            .toDoubleArray());
  }

  /** A parameter by name; child parameters carry DJL's child prefix, e.g. "01experts_w1". */
  static Parameter param(ai.djl.nn.ParameterList params, String name) {
    for (var pair : params) {
      if (pair.getKey().equals(name) || pair.getKey().matches("\\d+" + name)) {
        return pair.getValue();
      }
    }
    throw new AssertionError("no parameter " + name + " in " + params.keys());
  }

  static double[][] matrix(NDArray a) {
    long r = a.getShape().get(0), c = a.getShape().get(1);
    double[] v = a.toDoubleArray();
    double[][] m = new double[(int) r][(int) c];
    for (int i = 0; i < r; i++) {
      System.arraycopy(v, (int) (i * c), m[i], 0, (int) c);
    }
    return m;
  }

  static double[][][] cube(NDArray a) {
    Shape s = a.getShape();
    double[][][] out = new double[(int) s.get(0)][][];
    for (int i = 0; i < s.get(0); i++) {
      out[i] = matrix(a.get(i));
    }
    return out;
  }
}
