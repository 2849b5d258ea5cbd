package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import vimoe.moe.MoeLayer;

/**
 * Auxiliary-loss-free balancing (arXiv 2408.15664): the per-expert bias changes the selection only,
 * on the host and device paths exactly as the float64 reference adds it; the combine weights stay
 * the gates; the layer moves the bias by u * sign(mean load - load) and saves it with its
 * parameters.
 */
class BiasBalancingTest {

  /** The registry's routers that take a selection bias. */
  @Provide
  Arbitrary<String> balanced() {
    return Arbitraries.of(
        Routers.all().stream()
            .filter(i -> RouterOptions.BIAS_UPDATE_RATE.appliesTo(i))
            .map(RouterInfo::name)
            .toList());
  }

  /**
   * Random or tied (integer) logits and a bias drawn from quarters (ties between biased scores):
   * the host plan and the device selection equal the reference's slots; Cmb is the unbiased gates.
   */
  @Property(tries = 150)
  void biasSelectsOnlyAndEqualsTheReference(
      @ForAll("balanced") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll boolean float32,
      @ForAll boolean tied,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    int k = 1 + rnd.nextInt(Math.min(experts, 3));
    RouterSpec spec =
        RouterSpec.of(router).toBuilder()
            .optK(k)
            .optCapacityFactor(new double[] {0.5, 1, 1.25, 2}[rnd.nextInt(4)])
            .optBatchPriority(rnd.nextBoolean())
            .optOption("bias_update_rate", 0.01)
            .build();
    double[] flat = new double[groups * tokens * experts];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = tied ? rnd.nextInt(5) - 2 : (2 * rnd.nextDouble() - 1) * 4;
    }
    double[] bias = new double[experts];
    for (int e = 0; e < experts; e++) {
      bias[e] = (rnd.nextInt(9) - 4) / 4.0;
    }
    DataType type = float32 ? DataType.FLOAT32 : DataType.FLOAT64;
    String what = router + " " + type + " G=" + groups + " S=" + tokens + " E=" + experts;
    what += " K=" + k + " seed=" + seed;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(flat, new Shape(groups, tokens, experts)).toType(type, false);
      NDArray b = m.create(bias).toType(type, false);
      SparseRouter r = (SparseRouter) Routers.create(spec);
      SparsePlan plan = (SparsePlan) r.route(RouterLogits.of(logits).withBias(b));
      NDArray gates = r.score.gates(logits);
      double[] g = gates.toType(DataType.FLOAT64, false).toDoubleArray();
      double[][][] g3 = new double[groups][][], l3 = new double[groups][][];
      for (int j = 0; j < groups; j++) {
        g3[j] = RouterPropertiesTest.group(g, j, tokens, experts);
        l3[j] = RouterPropertiesTest.group(flat, j, tokens, experts);
      }
      int capacity = plan.capacity();
      GroupSlots[] expected = r.referenceSlots(g3, l3, capacity, bias, float32);
      GroupSlots[] host = plan.slots();
      NDArray deviceScores = r.score.onDevice(gates, logits, spec, capacity).add(b);
      DeviceSelection.Selection device =
          r.rule.onDevice(deviceScores, r.score.positiveOnly(), spec, capacity);
      long[] deviceSlots = device.slotToken().toLongArray();
      for (int j = 0; j < groups; j++) {
        assertArrayEquals(expected[j].slotToken(), host[j].slotToken(), what + ": host " + j);
        int[] want = expected[j].slotToken();
        long[] got = Arrays.copyOfRange(deviceSlots, j * want.length, (j + 1) * want.length);
        assertArrayEquals(Arrays.stream(want).asLongStream().toArray(), got, what + ": device");
      }
      double[][][][] cmb = plan.denseCombine();
      double tol = float32 ? 1e-5 : 1e-12;
      for (int j = 0; j < groups; j++) {
        for (int s = 0; s < tokens; s++) {
          double[] exact = r.score.gates(l3[j][s]);
          double granted = 0;
          for (int slot : expected[j].tokenSlots()[s]) {
            granted += exact[slot / capacity];
          }
          double norm = spec.normalizeGates() && granted > 0 ? granted : 1;
          for (int slot : expected[j].tokenSlots()[s]) {
            int e = slot / capacity;
            assertEquals(exact[e] / norm, cmb[j][s][e][slot % capacity], tol, what + ": Cmb");
          }
        }
      }
    }
  }

  /**
   * Every token prefers expert 0 (E = 3, K = 1): after a training step expert 0's bias falls by u,
   * the others' rise by u; the bias survives a save and load of the layer's parameters.
   */
  @Test
  void layerMovesTheBiasBySignOfTheLoadErrorAndSavesIt() throws Exception {
    RouterSpec spec =
        RouterSpec.of("softmax-tc").toBuilder()
            .optNoiseStd(0)
            .optOption("bias_update_rate", 0.125)
            .build();
    try (NDManager m = NDManager.newBaseManager()) {
      MoeLayer layer = MoeLayer.builder().setRouter(spec).setNumExperts(3).setHiddenDim(4).build();
      layer.initialize(m, DataType.FLOAT32, new Shape(2, 5, 4));
      NDArray wr = param(layer, "router_weight").getArray(); // (D, E) or (E, D)
      wr.set(new float[(int) wr.size()]);
      float[] w = new float[(int) wr.size()];
      for (int d = 0; d < 4; d++) {
        w[wr.getShape().get(0) == 4 ? d * 3 : d] = 1; // expert 0 reads every feature
      }
      wr.set(w);
      NDArray x = m.ones(new Shape(2, 5, 4));
      layer.forward(new ParameterStore(m, false), new NDList(x), true);
      layer.updateSelectionBias();
      NDArray bias = param(layer, "selection_bias").getArray();
      assertArrayEquals(new float[] {-0.125f, 0.125f, 0.125f}, bias.toFloatArray());
      layer.updateSelectionBias(); // no forward pass since: no move
      assertArrayEquals(new float[] {-0.125f, 0.125f, 0.125f}, bias.toFloatArray());

      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      layer.saveParameters(new DataOutputStream(bytes));
      MoeLayer fresh = MoeLayer.builder().setRouter(spec).setNumExperts(3).setHiddenDim(4).build();
      fresh.initialize(m, DataType.FLOAT32, new Shape(2, 5, 4));
      fresh.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
      assertArrayEquals(
          bias.toFloatArray(), param(fresh, "selection_bias").getArray().toFloatArray());
    }
  }

  /** A parameter of the layer by its name, which DJL may prefix with the block's index. */
  private static ai.djl.nn.Parameter param(MoeLayer layer, String name) {
    for (var pair : layer.getParameters()) {
      if (pair.getKey().equals(name) || pair.getKey().matches("\\d+" + name)) {
        return pair.getValue();
      }
    }
    throw new AssertionError("no parameter " + name + " in " + layer.getParameters().keys());
  }

  @Test
  void onlyTokenChoiceWithAPointwiseScoreTakesTheBias() {
    for (String router : new String[] {"softmax-ec", "sinkhorn-tc", "sparse-ot-tc", "soft"}) {
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> RouterSpec.of(router).toBuilder().optOption("bias_update_rate", 0.1).build());
      assertEquals(
          "bias_update_rate applies to Token Choice routers with pointwise scores"
              + " (softmax-tc, sigmoid-tc), not "
              + router,
          e.getMessage());
    }
  }
}
