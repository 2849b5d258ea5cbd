package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import vimoe.moe.MoeLayer;
import vimoe.moe.loss.AuxLosses;

/**
 * ReLU routing (ReMoE, arXiv 2412.14711) as {@code relu-tc}: gates ReLU(L), every positive (token,
 * expert) pair requests, each expert keeps its C largest (ties to the lower token), the combine
 * weights are the gates; the load-balanced L1 penalty; lambda moved by alpha^sign(target sparsity -
 * sparsity) after each step and saved with the layer's parameters.
 */
class ReluRoutingTest {

  /**
   * The example of examples/relu-tc.json, by hand: S = 6, E = 3, K = 1, C = ceil(6/3) = 2. Expert
   * 0's positive gates are tokens 0 (2.0), 1 (1.5), 5 (1.1), 4 (0.7): it keeps 0 and 1; expert 1: 2
   * (2.5), 1 (1.4), 5 (0.9), 0 (0.5): keeps 2 and 1; expert 2: 4 (1.9), 5 (1.0), 2 (0.3): keeps 4
   * and 5. Token 3 (all zero) has no slot; token 1 has two.
   */
  @Test
  void handWorkedExample() {
    double[] logits = {
      2.0, 0.5, -1.0, 1.5, 1.4, 0.0, -0.5, 2.5, 0.3, 0.0, 0.0, 0.0, 0.7, -0.2, 1.9, 1.1, 0.9, 1.0
    };
    RouterSpec spec = RouterSpec.of("relu-tc");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray l = m.create(logits, new Shape(1, 6, 3));
      SparseRouter r = (SparseRouter) Routers.create(spec);
      SparsePlan plan = (SparsePlan) r.route(RouterLogits.of(l));
      assertEquals(2, plan.capacity());
      int[] want = {0, 1, 2, 1, 4, 5};
      assertArrayEquals(want, plan.slots()[0].slotToken());
      long[] device =
          r.rule.onDevice(r.score.gates(l), true, spec, 2).slotToken().toLongArray(); // (1, 3, 2)
      assertArrayEquals(Arrays.stream(want).asLongStream().toArray(), device);
      double[][][] cmb = plan.denseCombine()[0];
      assertEquals(2.0, cmb[0][0][0], 0);
      assertEquals(1.5, cmb[1][0][1], 0);
      assertEquals(1.4, cmb[1][1][1], 1e-15);
      assertEquals(2.5, cmb[2][1][0], 0);
      assertEquals(1.9, cmb[4][2][0], 1e-15);
      assertEquals(1.0, cmb[5][2][1], 0);
      double total = 0;
      for (double[][] token : cmb) {
        for (double[] expert : token) {
          for (double w : expert) {
            total += w;
          }
        }
      }
      assertEquals(2.0 + 1.5 + 1.4 + 2.5 + 1.9 + 1.0, total, 1e-12); // nothing else, unnormalised
    }
  }

  /**
   * Random or heavily tied logits, float32 or float64, K and CF drawn (C may exceed S): the host
   * plan and the device selection equal the float64 reference exactly; each expert keeps min(C, its
   * positive gates) tokens, all with positive gates; Cmb is ReLU(L) at the kept pairs within 1e-5.
   */
  @Property(tries = 200)
  void hostAndDeviceEqualTheReference(
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll boolean float32,
      @ForAll boolean tied,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    int k = 1 + rnd.nextInt(Math.min(experts, 3));
    RouterSpec spec =
        RouterSpec.of("relu-tc").toBuilder()
            .optK(k)
            .optCapacityFactor(new double[] {0.5, 1, 1.25, 2}[rnd.nextInt(4)])
            .build();
    double[] flat = new double[groups * tokens * experts];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = tied ? (rnd.nextInt(5) - 2) / 2.0 : (2 * rnd.nextDouble() - 1) * 4;
    }
    DataType type = float32 ? DataType.FLOAT32 : DataType.FLOAT64;
    String what = type + " G=" + groups + " S=" + tokens + " E=" + experts + " K=" + k;
    what += " seed=" + seed;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(flat, new Shape(groups, tokens, experts)).toType(type, false);
      SparseRouter r = (SparseRouter) Routers.create(spec);
      SparsePlan plan = (SparsePlan) r.route(RouterLogits.of(logits));
      int capacity = plan.capacity();
      assertEquals(Capacity.of(tokens, experts, spec), capacity, what);
      double[] rounded = logits.toType(DataType.FLOAT64, false).toDoubleArray();
      double[][][] g3 = new double[groups][][], l3 = new double[groups][][];
      for (int j = 0; j < groups; j++) {
        l3[j] = RouterPropertiesTest.group(rounded, j, tokens, experts);
        g3[j] = new double[tokens][];
        for (int s = 0; s < tokens; s++) {
          g3[j][s] = r.score.gates(l3[j][s]); // the float64 reference gates
        }
      }
      GroupSlots[] expected = r.referenceSlots(g3, l3, capacity);
      GroupSlots[] host = plan.slots();
      NDArray gates = r.score.gates(logits);
      long[] device = r.rule.onDevice(gates, true, spec, capacity).slotToken().toLongArray();
      double[][][][] cmb = plan.denseCombine();
      for (int j = 0; j < groups; j++) {
        int[] want = expected[j].slotToken();
        assertArrayEquals(want, host[j].slotToken(), what + ": host " + j);
        long[] got = Arrays.copyOfRange(device, j * want.length, (j + 1) * want.length);
        assertArrayEquals(Arrays.stream(want).asLongStream().toArray(), got, what + ": device");
        for (int e = 0; e < experts; e++) {
          int positive = 0, kept = 0;
          for (int s = 0; s < tokens; s++) {
            positive += g3[j][s][e] > 0 ? 1 : 0;
          }
          for (int c = 0; c < capacity; c++) {
            int s = want[e * capacity + c];
            if (s >= 0) {
              kept++;
              assertTrue(g3[j][s][e] > 0, what + ": zero gate of token " + s + " selected");
              assertEquals(g3[j][s][e], cmb[j][s][e][c], 1e-5, what + ": Cmb");
            }
          }
          assertEquals(Math.min(capacity, positive), kept, what + ": expert " + e);
        }
      }
    }
  }

  /**
   * T = 2 tokens, E = 3, K = 1: gates [2, 0.5, 0] and [1.5, 0, 0]; counts (2, 1, 0), loads (3.5,
   * 0.5, 0): L = E/(K T^2) sum_e load_e count_e = 3/4 * (7 + 0.5) = 5.625, and lambda L in the
   * plan.
   */
  @Test
  void l1LossByHand() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = m.create(new double[] {2, 0.5, -1, 1.5, -1, 0}, new Shape(2, 1, 3));
      NDArray gates = ReluScore.INSTANCE.gates(logits);
      assertEquals(5.625, AuxLosses.reluL1(gates, 1).getDouble(), 1e-12);
      assertEquals(5.625 / 2, AuxLosses.reluL1(gates, 2).getDouble(), 1e-12);
      RouterLogits in = RouterLogits.of(logits).withL1Weight(m.create(new double[] {0.5}));
      RoutingPlan plan = Routers.create(RouterSpec.of("relu-tc")).route(in);
      assertEquals(0.5 * 5.625, plan.auxLoss().getDouble(), 1e-12);
      assertEquals(0.5, plan.activeGateFraction().getFloat(), 0); // 3 of 6 gates positive
      assertEquals(
          0.0,
          Routers.create(RouterSpec.of("relu-tc"))
              .route(RouterLogits.of(logits))
              .auxLoss()
              .getDouble(),
          0); // no weight given: no penalty (route)
    }
  }

  /**
   * E = 3, K = 1 (target sparsity 2/3): every gate positive is too dense, lambda grows by alpha;
   * every gate zero is too sparse, lambda shrinks by alpha; at the target it stays. Lambda survives
   * a save and load of the layer's parameters.
   */
  @Test
  void lambdaFollowsTheSparsityAndIsSaved() throws Exception {
    RouterSpec spec =
        RouterSpec.of("relu-tc").toBuilder()
            .optOption("l1_initial_weight", 0.25)
            .optOption("l1_adapt_rate", 2.0)
            .build();
    try (NDManager m = NDManager.newBaseManager()) {
      MoeLayer layer = layer(m, spec, 3);
      NDArray wr = param(layer, "router_weight").getArray();
      NDArray x = m.ones(new Shape(2, 5, 4));
      assertEquals(0.25, layer.l1Weight(), 0);
      fill(wr, 1); // every logit 4: all gates positive
      layer.forward(new ParameterStore(m, false), new NDList(x), true);
      layer.updateL1Weight();
      assertEquals(0.5, layer.l1Weight(), 0, "too dense: lambda * alpha");
      assertEquals(3.0, layer.adaptiveState().get("positive_gates_per_token"), 0);
      layer.updateL1Weight(); // no forward pass since: no move
      assertEquals(0.5, layer.l1Weight(), 0);
      fill(wr, -1); // every logit -4: all gates zero
      layer.forward(new ParameterStore(m, false), new NDList(x), true);
      layer.updateL1Weight();
      assertEquals(0.25, layer.l1Weight(), 0, "too sparse: lambda / alpha");
      layer.forward(new ParameterStore(m, false), new NDList(x), false);
      layer.updateL1Weight(); // an evaluation pass does not move lambda
      assertEquals(0.25, layer.l1Weight(), 0);
      layer.forward(new ParameterStore(m, false), new NDList(x), true);
      layer.updateL1Weight();
      assertEquals(0.125, layer.l1Weight(), 0);

      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      layer.saveParameters(new DataOutputStream(bytes));
      MoeLayer fresh = layer(m, spec, 3);
      assertEquals(0.25, fresh.l1Weight(), 0);
      fresh.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
      assertEquals(0.125, fresh.l1Weight(), 0);
    }
  }

  /** E = 2, K = 1: one expert on for every token is the target sparsity 1/2; lambda stays. */
  @Test
  void lambdaStaysAtTheTarget() {
    try (NDManager m = NDManager.newBaseManager()) {
      MoeLayer layer = layer(m, RouterSpec.of("relu-tc"), 2);
      NDArray wr = param(layer, "router_weight").getArray(); // (E, D) or (D, E)
      float[] w = new float[(int) wr.size()];
      boolean byExpertRows = wr.getShape().get(0) == 2;
      for (int d = 0; d < 4; d++) {
        w[byExpertRows ? d : d * 2] = 1; // expert 0: +4
        w[byExpertRows ? 4 + d : d * 2 + 1] = -1; // expert 1: -4
      }
      wr.set(w);
      layer.forward(new ParameterStore(m, false), new NDList(m.ones(new Shape(2, 5, 4))), true);
      layer.updateL1Weight();
      assertEquals((float) 1e-8, layer.l1Weight(), 0);
    }
  }

  @Test
  void optionsThatDoNotApplyAreRefused() {
    assertEquals(
        "batch_priority does not apply to relu-tc: each expert keeps its largest gates whatever"
            + " the token order; leave it at true",
        refusal("relu-tc", "batch_priority", false));
    assertEquals(
        "normalize_gates does not apply to relu-tc: ReMoE's combine weights are the ReLU gates,"
            + " not renormalised; use false",
        refusal("relu-tc", "normalize_gates", true));
    assertEquals(
        "bias_update_rate applies to Token Choice routers with pointwise scores"
            + " (softmax-tc, sigmoid-tc), not relu-tc",
        refusal("relu-tc", "bias_update_rate", 0.1));
    assertEquals(
        "l1_initial_weight applies to ReLU routing (relu-tc) only, not softmax-tc",
        refusal("softmax-tc", "l1_initial_weight", 0.1));
    assertEquals(
        "l1_adapt_rate applies to ReLU routing (relu-tc) only, not softmax-ec",
        refusal("softmax-ec", "l1_adapt_rate", 1.5));
    assertEquals("l1_adapt_rate must be >= 1, got 0.5", refusal("relu-tc", "l1_adapt_rate", 0.5));
    assertEquals(
        "l1_initial_weight must be > 0, got 0.0", refusal("relu-tc", "l1_initial_weight", 0.0));
    // softmax-ec ignores batch_priority as before
    RouterSpec.of("softmax-ec").toBuilder().optOption("batch_priority", false).build();
    assertEquals(
        java.util.List.of(
            "k",
            "capacity_factor",
            "capacity_rounding",
            "capacity_multiple_of",
            "l1_initial_weight",
            "l1_adapt_rate",
            "shared_experts",
            "recurrent_router"),
        Routers.info("relu-tc").options());
  }

  private static String refusal(String router, String option, Object value) {
    return assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of(router).toBuilder().optOption(option, value).build())
        .getMessage();
  }

  private static MoeLayer layer(NDManager m, RouterSpec spec, int experts) {
    MoeLayer layer =
        MoeLayer.builder().setRouter(spec).setNumExperts(experts).setHiddenDim(4).build();
    layer.initialize(m, DataType.FLOAT32, new Shape(2, 5, 4));
    return layer;
  }

  private static void fill(NDArray a, float v) {
    float[] w = new float[(int) a.size()];
    Arrays.fill(w, v);
    a.set(w);
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
}
