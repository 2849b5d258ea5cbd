package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Invariants of docs/routing.md on random logits: G in 1..3 groups, S in 1..24 tokens, E in 1..8
 * experts, K in 1..min(E, 3) for Token Choice, capacity_factor from {0.5, 1, 1.25, 2}. The shape
 * comes from {@code @IntRange} parameters; K, CF, batch_priority (Token Choice) and the logits come
 * from {@code java.util.Random(seed)}. Logits are uniform in [-4, 4], except in one case out of
 * four where they are integers in [-2, 2] so that exact ties (between tokens and between experts)
 * are frequent. Soft MoE slot logits are uniform in [-5, 5] with C in 1..4; Sinkhorn is checked on
 * [-1.5, 1.5].
 */
class RouterPropertiesTest {
  private static final int TRIES = 150;
  private static final double[] FACTORS = {0.5, 1, 1.25, 2};

  @Provide
  Arbitrary<String> sparseRouters() {
    return Arbitraries.of(DeviceRoutingEquivalenceTest.sparse().map(RouterInfo::name).toList());
  }

  @Provide
  Arbitrary<String> tokenChoiceRouters() {
    return Arbitraries.of(
        DeviceRoutingEquivalenceTest.sparse()
            .filter(i -> i.rule() == SelectionRules.TOKEN_CHOICE) // top-K requests
            .map(RouterInfo::name)
            .toList());
  }

  /** Expert Choice routers whose every score entry may be selected: every slot fills. */
  @Provide
  Arbitrary<String> fullExpertChoiceRouters() {
    return Arbitraries.of(
        DeviceRoutingEquivalenceTest.sparse()
            .filter(i -> i.family() == Family.EXPERT_CHOICE && !i.score().positiveOnly())
            .map(RouterInfo::name)
            .toList());
  }

  @Provide
  Arbitrary<String> allRouters() {
    return Arbitraries.of(Routers.names().stream().filter(n -> !n.equals("dense")).toList());
  }

  /** Sparse dispatch is 0/1, every slot holds at most one token, C follows the capacity formula. */
  @Property(tries = TRIES)
  void sparseSlotsHoldAtMostOneToken(
      @ForAll("sparseRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = c.route(m);
      assertEquals(c.expectedCapacity(), plan.capacity(), c + ": C");
      double[][][][] dsp = plan.denseDispatch();
      for (int g = 0; g < groups; g++) {
        for (int e = 0; e < experts; e++) {
          for (int slot = 0; slot < plan.capacity(); slot++) {
            double column = 0;
            for (int s = 0; s < tokens; s++) {
              double v = dsp[g][s][e][slot];
              assertTrue(v == 0.0 || v == 1.0, c + ": Dsp entry " + v);
              column += v;
            }
            assertTrue(column <= 1, c + ": slot (" + e + "," + slot + ") holds " + column);
          }
          assertTrue(tokensOf(dsp[g], e) <= plan.capacity(), c + ": expert " + e + " over C");
          for (int s = 0; s < tokens; s++) {
            assertTrue(sum(dsp[g][s][e]) <= 1, c + ": token " + s + " twice in expert " + e);
          }
        }
      }
    }
  }

  /** Token Choice gives each token at most K slots, on distinct experts. */
  @Property(tries = TRIES)
  void tokenChoiceGivesAtMostKDistinctExperts(
      @ForAll("tokenChoiceRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      double[][][][] dsp = c.route(m).denseDispatch();
      for (int g = 0; g < groups; g++) {
        for (int s = 0; s < tokens; s++) {
          int slots = 0, distinct = 0;
          for (int e = 0; e < experts; e++) {
            double inExpert = sum(dsp[g][s][e]);
            slots += (int) inExpert;
            distinct += inExpert > 0 ? 1 : 0;
          }
          assertTrue(slots <= c.spec.k(), c + ": token " + s + " holds " + slots + " slots");
          assertEquals(slots, distinct, c + ": token " + s + " holds one expert twice");
        }
      }
    }
  }

  /** Expert Choice without a sparse score fills exactly min(C, S) slots of every expert. */
  @Property(tries = TRIES)
  void expertChoiceFillsMinCSSlotsPerExpert(
      @ForAll("fullExpertChoiceRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = c.route(m);
      double[][][][] dsp = plan.denseDispatch();
      for (int g = 0; g < groups; g++) {
        for (int e = 0; e < experts; e++) {
          assertEquals(
              Math.min(plan.capacity(), tokens), tokensOf(dsp[g], e), 0.0, c + ": expert " + e);
        }
      }
    }
  }

  /**
   * Cmb = Dsp * G with G the score's gates of L over E (softmax: {@link SelectionScore#gates}),
   * renormalised over the granted slots with normalize_gates (1e-12); a token with no slot has a
   * zero combine row.
   */
  @Property(tries = TRIES)
  void combineIsDispatchTimesGates(
      @ForAll("sparseRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = c.route(m);
      double[][][][] dsp = plan.denseDispatch();
      double[][][][] cmb = plan.denseCombine();
      SelectionScore score = Routers.info(router).score();
      for (int g = 0; g < groups; g++) {
        for (int s = 0; s < tokens; s++) {
          double[] gates = score.gates(c.logits[g][s]);
          double granted = 0;
          for (int e = 0; e < experts; e++) {
            granted += sum(dsp[g][s][e]) * gates[e];
          }
          double norm = c.spec.normalizeGates() && granted > 0 ? granted : 1;
          boolean served = false;
          for (int e = 0; e < experts; e++) {
            for (int slot = 0; slot < plan.capacity(); slot++) {
              assertEquals(
                  dsp[g][s][e][slot] * gates[e] / norm,
                  cmb[g][s][e][slot],
                  1e-12,
                  c + ": Cmb of token " + s + " in slot (" + e + "," + slot + ")");
              served |= dsp[g][s][e][slot] > 0;
            }
          }
          if (!served) {
            for (double[] row : cmb[g][s]) {
              assertArrayEquals(new double[row.length], row, 0.0, c + ": dropped token " + s);
            }
          }
        }
      }
    }
  }

  /**
   * The plan is exactly what the rules of docs/routing.md give on the router's score,
   * re-implemented here: Token Choice asks for the top K (priority by choice rank, then by BPR
   * order), Expert Choice takes the top C per expert; ties to the lower index; sparse-ot only on Pi
   * > 0. The score is recomputed from the same float64 gates (softmax on the same NDArray), or for
   * Sinkhorn and k-sparse OT taken from the router's own computation on this CPU (that it matches
   * the Java-array Sinkhorn and OT is DeviceRoutingEquivalenceTest's business: scores that are
   * equal in exact arithmetic may differ in their last bit between the two, and ties go to the
   * lower index).
   */
  @Property(tries = TRIES)
  void planFollowsTheSelectionRules(
      @ForAll("sparseRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray logits = c.array(m);
      RoutingPlan plan = Routers.create(c.spec).route(RouterLogits.of(logits));
      SelectionScore kind = Routers.info(router).score();
      NDArray gateArray = kind.gates(logits);
      double[] gateFlat = gateArray.toType(DataType.FLOAT64, false).toDoubleArray();
      double[] deviceScore = kind.onHost(gateArray, logits, c.spec, plan.capacity());
      int capacity = plan.capacity();
      double[][][][] dsp = plan.denseDispatch();
      for (int g = 0; g < groups; g++) {
        double[][] gates = new double[tokens][experts];
        for (int s = 0; s < tokens; s++) {
          System.arraycopy(gateFlat, (g * tokens + s) * experts, gates[s], 0, experts);
        }
        double[][] score = kind.computed() ? group(deviceScore, g, tokens, experts) : gates;
        boolean positiveOnly = kind.positiveOnly();
        RouterInfo info = Routers.info(router);
        int[][] expected =
            info.rule() == SelectionRules.POSITIVE_CHOICE // every positive entry asks, top C kept
                ? referenceExpertChoice(score, true, capacity)
                : info.rule() == SelectionRules.GLOBAL_CHOICE
                    ? referenceGlobalChoice(score, positiveOnly, c.spec.k(), capacity)
                    : c.spec.family() == Family.TOKEN_CHOICE
                        ? referenceTokenChoice(
                            score, positiveOnly, c.spec.k(), capacity, c.spec.batchPriority())
                        : referenceExpertChoice(score, positiveOnly, capacity);
        assertArrayEquals(expected, slotsByExpert(dsp[g]), c + ": group " + g);
      }
    }
  }

  /** Soft MoE: dispatch columns (over s) and combine rows (over e, c) sum to 1 within 1e-5. */
  @Property(tries = TRIES)
  void softPlanIsConvex(
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll @IntRange(min = 1, max = 4) int slots,
      @ForAll long seed) {
    double[][][][] ls = softLogits(new Random(seed), groups, tokens, experts, slots);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = routeSoft(m, ls);
      assertEquals(slots, plan.capacity());
      double[][][][] dsp = plan.denseDispatch();
      double[][][][] cmb = plan.denseCombine();
      for (int g = 0; g < groups; g++) {
        for (int e = 0; e < experts; e++) {
          for (int c = 0; c < slots; c++) {
            double column = 0;
            for (int s = 0; s < tokens; s++) {
              assertTrue(dsp[g][s][e][c] >= 0);
              column += dsp[g][s][e][c];
            }
            assertEquals(1.0, column, 1e-5, "dispatch column (" + e + "," + c + ")");
          }
        }
        for (int s = 0; s < tokens; s++) {
          double row = 0;
          for (double[] expert : cmb[g][s]) {
            row += sum(expert);
          }
          assertEquals(1.0, row, 1e-5, "combine row of token " + s);
        }
      }
    }
  }

  /**
   * Sinkhorn (eps = 1, T = 20) on logits uniform in [-1.5, 1.5]: rows sum to 1 and columns to S/E,
   * within 1e-3. (Columns are exact after the last column scaling; rows are only approximate. On
   * [-2, 2] about one uniform draw in 80,000 misses 1e-3, and L = [[-2,-2,2],[2,2,-2],[2,2,-2]]
   * misses it by 3.7e-3; on [-1.5, 1.5] the worst seen is 1.5e-4 and the worst corner 6.7e-4.)
   */
  @Property(tries = TRIES)
  void sinkhornPlanIsBalanced(
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    double[][] l = uniform(new Random(seed), tokens, experts, 1.5);
    double[][] pi = Sinkhorn.plan(l, 1.0, 20);
    for (int s = 0; s < tokens; s++) {
      assertEquals(1.0, sum(pi[s]), 1e-3, "row " + s);
    }
    for (int e = 0; e < experts; e++) {
      assertEquals((double) tokens / experts, columnSum(pi, e), 1e-3, "column " + e);
    }
  }

  /** k-sparse OT, Expert Choice: at most k = C non-zeros per column, columns sum to S/E (1e-9). */
  @Property(tries = TRIES)
  void columnSparseTransportKeepsKPerExpert(
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    double[][] sim = softmaxRows(randomLogits(rnd, tokens, experts));
    double cf = FACTORS[rnd.nextInt(FACTORS.length)];
    int k = Math.min(tokens, (int) Math.max(1, Math.ceil(tokens * cf / experts)));
    double[][] pi = SparseTransport.columnSparse(sim, k, 20, 0.01);
    for (int e = 0; e < experts; e++) {
      int nonZero = 0;
      for (int s = 0; s < tokens; s++) {
        assertTrue(pi[s][e] >= 0, "negative entry");
        nonZero += pi[s][e] > 0 ? 1 : 0;
      }
      assertTrue(nonZero <= k, "column " + e + " has " + nonZero + " > k = " + k);
      assertEquals((double) tokens / experts, columnSum(pi, e), 1e-9, "column " + e);
    }
  }

  /** k-sparse OT, Token Choice: at most k = K non-zeros per row, rows sum to 1 (1e-9). */
  @Property(tries = TRIES)
  void rowSparseTransportKeepsKPerToken(
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    double[][] sim = softmaxRows(randomLogits(rnd, tokens, experts));
    int k = 1 + rnd.nextInt(Math.min(experts, 3));
    double[][] pi = SparseTransport.rowSparse(sim, k, 20, 0.01);
    for (int s = 0; s < tokens; s++) {
      int nonZero = 0;
      for (int e = 0; e < experts; e++) {
        assertTrue(pi[s][e] >= 0, "negative entry");
        nonZero += pi[s][e] > 0 ? 1 : 0;
      }
      assertTrue(nonZero <= k, "row " + s + " has " + nonZero + " > k = " + k);
      assertEquals(1.0, sum(pi[s]), 1e-9, "row " + s);
    }
  }

  /** The metrics agree with the dense tensors (sparse routers). */
  @Property(tries = TRIES)
  void sparseMetricsAgreeWithDenseTensors(
      @ForAll("sparseRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    Case c = Case.sparse(router, groups, tokens, experts, seed);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = c.route(m);
      double[][][][] dsp = plan.denseDispatch();
      double[][][][] cmb = plan.denseCombine();
      int k = c.spec.family().takesK() ? c.spec.k() : 1;
      double[] perExpert = new double[experts];
      double dropped = 0, underK = 0, fill = 0, expertsPerToken = 0;
      for (int g = 0; g < groups; g++) {
        for (int e = 0; e < experts; e++) {
          perExpert[e] += tokensOf(dsp[g], e) / groups;
        }
        fill += sum(dsp[g]) / (experts * plan.capacity()) / groups;
        for (int s = 0; s < tokens; s++) {
          double slots = sum(dsp[g][s]);
          dropped += isZero(cmb[g][s]) ? 1.0 / (tokens * groups) : 0;
          underK += slots < k ? 1.0 / (tokens * groups) : 0;
          expertsPerToken += slots / (tokens * groups);
        }
      }
      RoutingMetrics r = plan.metrics();
      assertArrayEquals(perExpert, r.tokensPerExpert(), 1e-9, c + ": tokens_per_expert");
      assertEquals(dropped, r.droppedFraction(), 1e-9, c + ": dropped_fraction");
      assertEquals(underK, r.underKFraction(), 1e-9, c + ": under_k_fraction");
      assertEquals(fill, r.slotFillRatio(), 1e-9, c + ": slot_fill_ratio");
      assertEquals(expertsPerToken, r.expertsPerTokenMean(), 1e-9, c + ": experts_per_token_mean");
    }
  }

  /**
   * Soft MoE metrics: each expert receives dispatch mass C, nobody is dropped, every slot is full.
   */
  @Property(tries = TRIES)
  void softMetricsAgreeWithDenseTensors(
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll @IntRange(min = 1, max = 4) int slots,
      @ForAll long seed) {
    double[][][][] ls = softLogits(new Random(seed), groups, tokens, experts, slots);
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan plan = routeSoft(m, ls);
      double[][][][] dsp = plan.denseDispatch();
      double[] perExpert = new double[experts];
      for (int g = 0; g < groups; g++) {
        for (int e = 0; e < experts; e++) {
          perExpert[e] += tokensOf(dsp[g], e) / groups;
        }
      }
      RoutingMetrics r = plan.metrics();
      assertArrayEquals(perExpert, r.tokensPerExpert(), 1e-9);
      assertArrayEquals(filled(experts, slots), r.tokensPerExpert(), 1e-5);
      assertEquals(0.0, r.droppedFraction(), 0.0);
      assertEquals(1.0, r.slotFillRatio(), 0.0);
    }
  }

  /** The same logits give identical dense tensors (every router, groups routed in parallel). */
  @Property(tries = TRIES)
  void planIsDeterministic(
      @ForAll("allRouters") String router,
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 24) int tokens,
      @ForAll @IntRange(min = 1, max = 8) int experts,
      @ForAll long seed) {
    try (NDManager m = NDManager.newBaseManager()) {
      RoutingPlan first, second;
      if (router.equals("soft")) {
        double[][][][] ls = softLogits(new Random(seed), groups, tokens, experts, 2);
        first = routeSoft(m, ls);
        second = routeSoft(m, ls);
      } else {
        Case c = Case.sparse(router, groups, tokens, experts, seed);
        first = c.route(m);
        second = Case.sparse(router, groups, tokens, experts, seed).route(m);
      }
      assertEquals(first.capacity(), second.capacity());
      assertTrue(
          Arrays.deepEquals(first.denseDispatch(), second.denseDispatch()),
          router + ": Dsp differs");
      assertTrue(
          Arrays.deepEquals(first.denseCombine(), second.denseCombine()), router + ": Cmb differs");
    }
  }

  /** Group g of a flat (G, S, E) array as S x E. */
  static double[][] group(double[] flat, int g, int tokens, int experts) {
    double[][] out = new double[tokens][experts];
    for (int s = 0; s < tokens; s++) {
      System.arraycopy(flat, (g * tokens + s) * experts, out[s], 0, experts);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // reference selection rules (docs/routing.md), written independently of SlotFilling
  // ---------------------------------------------------------------------------------------------

  /** Token Choice on S x E scores; returns the token in each slot, [e][c], -1 when empty. */
  private static int[][] referenceTokenChoice(
      double[][] score, boolean positiveOnly, int k, int capacity, boolean batchPriority) {
    int tokens = score.length, experts = score[0].length;
    Integer[] order = indices(tokens);
    if (batchPriority) { // descending top score, ties by token index (stable sort)
      Arrays.sort(
          order,
          Comparator.comparingDouble((Integer s) -> -Arrays.stream(score[s]).max().orElseThrow()));
    }
    int[][] slots = emptySlots(experts, capacity);
    int[] fill = new int[experts];
    for (int rank = 0; rank < k; rank++) {
      for (int s : order) {
        int[] choices = ranked(score[s], positiveOnly);
        if (rank < choices.length) {
          int e = choices[rank];
          if (fill[e] < capacity) {
            slots[e][fill[e]++] = s;
          }
        }
      }
    }
    return slots;
  }

  /** Expert Choice on S x E scores; returns the token in each slot, [e][c], -1 when empty. */
  private static int[][] referenceExpertChoice(
      double[][] score, boolean positiveOnly, int capacity) {
    int tokens = score.length, experts = score[0].length;
    int[][] slots = emptySlots(experts, capacity);
    for (int e = 0; e < experts; e++) {
      double[] column = new double[tokens];
      for (int s = 0; s < tokens; s++) {
        column[s] = score[s][e];
      }
      int[] best = ranked(column, positiveOnly);
      for (int c = 0; c < Math.min(capacity, best.length); c++) {
        slots[e][c] = best[c];
      }
    }
    return slots;
  }

  /**
   * Global Choice written directly: the K*S pairs ranked first over the group (value descending,
   * ties to the lower s*E + e) win; each expert keeps its first C winners by rank in its column.
   */
  private static int[][] referenceGlobalChoice(
      double[][] score, boolean positiveOnly, int k, int capacity) {
    int tokens = score.length, experts = score[0].length;
    double[] flat = new double[tokens * experts];
    for (int s = 0; s < tokens; s++) {
      for (int e = 0; e < experts; e++) {
        flat[s * experts + e] = score[s][e];
      }
    }
    int[] ranking = ranked(flat, positiveOnly);
    boolean[] won = new boolean[flat.length];
    for (int i = 0; i < Math.min(k * tokens, ranking.length); i++) {
      won[ranking[i]] = true;
    }
    int[][] slots = emptySlots(experts, capacity);
    for (int e = 0; e < experts; e++) {
      double[] column = new double[tokens];
      for (int s = 0; s < tokens; s++) {
        column[s] = score[s][e];
      }
      int c = 0;
      for (int s : ranked(column, false)) {
        if (won[s * experts + e] && c < capacity) {
          slots[e][c++] = s;
        }
      }
    }
    return slots;
  }

  /** Indices by descending value, ties to the lower index; only positive values if asked. */
  private static int[] ranked(double[] values, boolean positiveOnly) {
    Integer[] order = indices(values.length);
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -values[i]));
    return Arrays.stream(order)
        .filter(i -> !positiveOnly || values[i] > 0)
        .mapToInt(i -> i)
        .toArray();
  }

  /** The token in each slot of one group's dense dispatch, [e][c], -1 when empty. */
  private static int[][] slotsByExpert(double[][][] dsp) {
    int experts = dsp[0].length, capacity = dsp[0][0].length;
    int[][] slots = emptySlots(experts, capacity);
    for (int s = 0; s < dsp.length; s++) {
      for (int e = 0; e < experts; e++) {
        for (int c = 0; c < capacity; c++) {
          if (dsp[s][e][c] == 1) {
            slots[e][c] = s;
          }
        }
      }
    }
    return slots;
  }

  // ---------------------------------------------------------------------------------------------
  // helpers: random cases, routing, sums over dense tensors
  // ---------------------------------------------------------------------------------------------

  /**
   * One random batch for a sparse router: the spec (K, CF drawn from the seed) and (G, S, E)
   * logits.
   */
  private record Case(RouterSpec spec, double[][][] logits, long seed) {

    static Case sparse(String router, int groups, int tokens, int experts, long seed) {
      Random rnd = new Random(seed);
      boolean tokenChoice = Routers.info(router).family().takesK();
      int k = tokenChoice ? 1 + rnd.nextInt(Math.min(experts, 3)) : 1;
      double cf = FACTORS[rnd.nextInt(FACTORS.length)];
      boolean batchPriority = !DeviceRoutingEquivalenceTest.ordered(router) || rnd.nextBoolean();
      RouterSpec spec =
          RouterSpec.of(router).toBuilder()
              .optK(k)
              .optCapacityFactor(cf)
              .optBatchPriority(batchPriority)
              .build();
      double[][][] logits = new double[groups][][];
      for (int g = 0; g < groups; g++) {
        logits[g] = randomLogits(rnd, tokens, experts);
      }
      return new Case(spec, logits, seed);
    }

    int tokens() {
      return logits[0].length;
    }

    int experts() {
      return logits[0][0].length;
    }

    /**
     * C = ceil(S * K * CF / E), at least 1, at most S*K (K = 1 for Expert Choice; exact for these
     * CF).
     */
    int expectedCapacity() {
      int k = spec.family().takesK() ? spec.k() : 1;
      int c = (int) Math.max(1, Math.ceil(tokens() * k * spec.capacityFactor() / experts()));
      return Math.min(c, tokens() * k);
    }

    NDArray array(NDManager m) {
      double[] flat =
          Arrays.stream(logits).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream).toArray();
      return m.create(flat, new Shape(logits.length, tokens(), experts()));
    }

    RoutingPlan route(NDManager m) {
      return Routers.create(spec).route(RouterLogits.of(array(m)));
    }

    @Override
    public String toString() {
      return String.format(
          "%s G=%d S=%d E=%d K=%d CF=%s BPR=%s seed=%d",
          spec.router(),
          logits.length,
          tokens(),
          experts(),
          spec.k(),
          spec.capacityFactor(),
          spec.batchPriority(),
          seed);
    }
  }

  /** S x E logits: uniform in [-4, 4], or (one time in four) integers in [-2, 2] to force ties. */
  private static double[][] randomLogits(Random rnd, int tokens, int experts) {
    if (rnd.nextInt(4) == 0) {
      double[][] l = new double[tokens][experts];
      for (double[] row : l) {
        for (int e = 0; e < experts; e++) {
          row[e] = rnd.nextInt(5) - 2;
        }
      }
      return l;
    }
    return uniform(rnd, tokens, experts, 4.0);
  }

  /** S x E numbers uniform in [-range, range]. */
  private static double[][] uniform(Random rnd, int rows, int cols, double range) {
    double[][] l = new double[rows][cols];
    for (double[] row : l) {
      for (int j = 0; j < cols; j++) {
        row[j] = (2 * rnd.nextDouble() - 1) * range;
      }
    }
    return l;
  }

  /** Soft MoE slot logits (G, S, E, C), uniform in [-5, 5]. */
  private static double[][][][] softLogits(
      Random rnd, int groups, int tokens, int experts, int slots) {
    double[][][][] ls = new double[groups][tokens][experts][];
    for (double[][][] group : ls) {
      for (double[][] token : group) {
        for (int e = 0; e < experts; e++) {
          token[e] = uniform(rnd, 1, slots, 5.0)[0];
        }
      }
    }
    return ls;
  }

  private static RoutingPlan routeSoft(NDManager m, double[][][][] ls) {
    double[] flat =
        Arrays.stream(ls)
            .flatMap(Arrays::stream)
            .flatMap(Arrays::stream)
            .flatMapToDouble(Arrays::stream)
            .toArray();
    Shape shape = new Shape(ls.length, ls[0].length, ls[0][0].length, ls[0][0][0].length);
    return Routers.create(RouterSpec.of("soft")).route(RouterLogits.of(m.create(flat, shape)));
  }

  /** Softmax over each row, in plain Java. */
  private static double[][] softmaxRows(double[][] l) {
    double[][] out = new double[l.length][];
    for (int s = 0; s < l.length; s++) {
      double max = Arrays.stream(l[s]).max().orElseThrow();
      double[] exp = Arrays.stream(l[s]).map(v -> Math.exp(v - max)).toArray();
      double total = sum(exp);
      out[s] = Arrays.stream(exp).map(v -> v / total).toArray();
    }
    return out;
  }

  private static Integer[] indices(int n) {
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static int[][] emptySlots(int experts, int capacity) {
    int[][] slots = new int[experts][capacity];
    for (int[] row : slots) {
      Arrays.fill(row, -1);
    }
    return slots;
  }

  private static double[] filled(int n, double value) {
    double[] a = new double[n];
    Arrays.fill(a, value);
    return a;
  }

  /** Tokens expert e holds in one group: sum over s and c of Dsp[s,e,c]. */
  private static double tokensOf(double[][][] dsp, int e) {
    double total = 0;
    for (double[][] token : dsp) {
      total += sum(token[e]);
    }
    return total;
  }

  private static double columnSum(double[][] m, int j) {
    double total = 0;
    for (double[] row : m) {
      total += row[j];
    }
    return total;
  }

  private static double sum(double[] v) {
    double total = 0;
    for (double x : v) {
      total += x;
    }
    return total;
  }

  private static double sum(double[][] m) {
    double total = 0;
    for (double[] row : m) {
      total += sum(row);
    }
    return total;
  }

  private static double sum(double[][][] t) {
    double total = 0;
    for (double[][] m : t) {
      total += sum(m);
    }
    return total;
  }

  private static boolean isZero(double[][] m) {
    return Arrays.stream(m).flatMapToDouble(Arrays::stream).allMatch(v -> v == 0);
  }
}
