package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Small groups (G = 1) routed by every router of docs/routing.md, each plan worked out by hand in
 * the comment above its test and asserted exactly: dispatch entries are exactly 0 or 1 for the
 * sparse routers, combine weights equal the hand-computed gates within 1e-12.
 *
 * <p>Most logits are natural logs of small integers, L[s,:] = ln(w[s,:]), so that the gates are the
 * fractions G[s,e] = w[s,e] / sum_e w[s,e]. Expected slot contents are written per expert: {@code
 * byExpert[e][c]} is the token in slot (e, c), -1 for an empty slot.
 */
class HandWorkedRoutingTest {
  private static final double TOL = 1e-12;
  private static final double E = Math.E;

  private static NDManager manager;

  @BeforeAll
  static void openManager() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void closeManager() {
    manager.close();
  }

  // ---------------------------------------------------------------------------------------------
  // softmax-tc
  // ---------------------------------------------------------------------------------------------

  /*
   * Token Choice priority: all first choices are served before any second choice (K = 2, BPR off).
   * S = 6, E = 3, K = 2, CF = 0.5: C = ceil(6 * 2 * 0.5 / 3) = ceil(2) = 2, so 6 slots for 12 requests.
   *
   *   token  weights   gates G           1st  2nd
   *   t0     6 3 1     .6  .3  .1        e0   e1
   *   t1     6 1 3     .6  .1  .3        e0   e2
   *   t2     5 4 1     .5  .4  .1        e0   e1
   *   t3     3 6 1     .3  .6  .1        e1   e0
   *   t4     1 6 3     .1  .6  .3        e1   e2
   *   t5     1 3 6     .1  .3  .6        e2   e1
   *
   * Rank 1, index order: t0 -> (e0,0), t1 -> (e0,1), t2 -> e0 full: dropped, t3 -> (e1,0),
   *                      t4 -> (e1,1), t5 -> (e2,0).
   * Rank 2, index order: t0 -> e1 full, t1 -> (e2,1), t2 -> e1 full, t3 -> e0 full, t4 -> e2 full,
   *                      t5 -> e1 full.
   * (Serving token by token instead would give t0 both e0 and e1 and drop t3 and t5.)
   * Combine = G of the granted pair, not renormalised: t1 holds .6 + .3 = .9.
   * Metrics: t2 has no slot -> dropped_fraction 1/6; only t1 has K = 2 slots -> under_k 5/6;
   * tokens_per_expert [2, 2, 2]; all 6 slots full -> slot_fill_ratio 1; experts per token
   * min 0, mean (1 + 2 + 0 + 1 + 1 + 1) / 6 = 1, max 2.
   */
  @Test
  void softmaxTokenChoiceServesAllFirstChoicesBeforeSecondChoices() {
    double[][] w = {{6, 3, 1}, {6, 1, 3}, {5, 4, 1}, {3, 6, 1}, {1, 6, 3}, {1, 3, 6}};
    RouterSpec spec =
        spec("softmax-tc").optK(2).optCapacityFactor(0.5).optBatchPriority(false).build();
    RoutingPlan plan = route(spec, ln(w));
    assertSparse(plan, new int[][] {{0, 1}, {3, 4}, {5, 1}}, fractions(w));

    RoutingMetrics r = plan.metrics();
    assertEquals(1.0 / 6, r.droppedFraction(), TOL);
    assertEquals(5.0 / 6, r.underKFraction(), TOL);
    assertArrayEquals(new double[] {2, 2, 2}, r.tokensPerExpert(), TOL);
    assertEquals(1.0, r.slotFillRatio(), TOL);
    assertEquals(0.0, r.expertsPerTokenMin(), TOL);
    assertEquals(1.0, r.expertsPerTokenMean(), TOL);
    assertEquals(2.0, r.expertsPerTokenMax(), TOL);
    assertEquals(0.0, r.tokensPerExpertCv(), TOL);
  }

  /*
   * normalize_gates: the same group as above, but each token's granted gates are rescaled to sum 1.
   * t1 holds e0 (.6) and e2 (.3): .6 / .9 = 2/3 and .3 / .9 = 1/3. Every other served token holds a
   * single slot, so its weight becomes 1. t2 (dropped) keeps an all-zero combine row.
   */
  @Test
  void normalizeGatesRescalesEachTokensGrantedGatesToOne() {
    double[][] w = {{6, 3, 1}, {6, 1, 3}, {5, 4, 1}, {3, 6, 1}, {1, 6, 3}, {1, 3, 6}};
    RouterSpec spec =
        spec("softmax-tc")
            .optK(2)
            .optCapacityFactor(0.5)
            .optBatchPriority(false)
            .optNormalizeGates(true)
            .build();
    double[][] weight = {
      {1, 0, 0}, {2.0 / 3, 0, 1.0 / 3}, {0, 0, 0}, {0, 1, 0}, {0, 1, 0}, {0, 0, 1},
    };
    assertSparse(route(spec, ln(w)), new int[][] {{0, 1}, {3, 4}, {5, 1}}, weight);
  }

  /*
   * Batch Priority Routing on vs off. S = 6, E = 3, K = 1, CF = 1: C = ceil(6 / 3) = 2.
   *
   *   token  weights  gates          choice  top gate
   *   t0     4 3 3    .4 .3 .3       e0      .4
   *   t1     5 3 2    .5 .3 .2       e0      .5
   *   t2     7 2 1    .7 .2 .1       e0      .7
   *   t3     8 1 1    .8 .1 .1       e0      .8
   *   t4     1 6 3    .1 .6 .3       e1      .6
   *   t5     2 2 6    .2 .2 .6       e2      .6
   *
   * BPR off (index order): e0 <- t0 (slot 0), t1 (slot 1); t2, t3 dropped; e1 <- t4; e2 <- t5.
   * BPR on (descending top gate: t3 .8, t2 .7, t4 .6, t5 .6, t1 .5, t0 .4):
   *   e0 <- t3 (slot 0), t2 (slot 1); t1, t0 dropped; e1 <- t4; e2 <- t5.
   * (t4 and t5 tie at .6 but ask for different experts, so their order cannot matter.)
   * Both drop 2 of 6 tokens: dropped_fraction 1/3, tokens_per_expert [2, 1, 1], fill 4/6.
   */
  @Test
  void batchPriorityRoutingServesConfidentTokensFirst() {
    double[][] w = {{4, 3, 3}, {5, 3, 2}, {7, 2, 1}, {8, 1, 1}, {1, 6, 3}, {2, 2, 6}};
    RoutingPlan off = route(spec("softmax-tc").optBatchPriority(false).build(), ln(w));
    RoutingPlan on = route(spec("softmax-tc").optBatchPriority(true).build(), ln(w));
    assertSparse(off, new int[][] {{0, 1}, {4, -1}, {5, -1}}, fractions(w));
    assertSparse(on, new int[][] {{3, 2}, {4, -1}, {5, -1}}, fractions(w));
    for (RoutingPlan plan : new RoutingPlan[] {off, on}) {
      RoutingMetrics r = plan.metrics();
      assertEquals(1.0 / 3, r.droppedFraction(), TOL);
      assertArrayEquals(new double[] {2, 1, 1}, r.tokensPerExpert(), TOL);
      assertEquals(4.0 / 6, r.slotFillRatio(), TOL);
    }
  }

  /*
   * Ties in Token Choice (BPR on): equal gates in a row go to the lower expert, equal top gates
   * across tokens go to the lower token. S = 6, E = 3, K = 1, CF = 0.5: C = ceil(6 * 0.5 / 3) = 1.
   *
   *   token  weights  gates            choice               top gate
   *   t0     2 2 1    .4  .4  .2       e0 (tie e0/e1)       .4
   *   t1     1 3 1    .2  .6  .2       e1                   .6
   *   t2     1 2 2    .2  .4  .4       e1 (tie e1/e2)       .4
   *   t3     1 2 2    (same as t2)     e1                   .4
   *   t4     1 1 2    .25 .25 .5       e2                   .5
   *   t5     1 1 2    (same as t4)     e2                   .5
   *
   * Identical rows give bit-identical gates, so the ties are exact. BPR order: t1 (.6), then t4, t5
   * (.5, tie -> t4 first), then the .4 tokens. t1 -> (e1,0); t4 -> (e2,0); t5 -> e2 full, dropped;
   * t0 -> (e0,0) (had the e0/e1 tie gone to e1 it would have been dropped); t2, t3 -> e1 full.
   * Order among t0, t2, t3 cannot matter: t0 is the only one asking for e0.
   */
  @Test
  void tokenChoiceTiesGoToTheLowerIndex() {
    double[][] w = {{2, 2, 1}, {1, 3, 1}, {1, 2, 2}, {1, 2, 2}, {1, 1, 2}, {1, 1, 2}};
    RoutingPlan plan = route(spec("softmax-tc").optCapacityFactor(0.5).build(), ln(w));
    assertSparse(plan, new int[][] {{0}, {1}, {4}}, fractions(w));
    assertEquals(0.5, plan.metrics().droppedFraction(), TOL);
  }

  /*
   * Capacity factor and rounding, on the BPR group above (softmax-tc, K = 1, BPR on, priority order
   * t3, t2, t4, t5, t1, t0; t0..t3 all ask for e0, t4 for e1, t5 for e2):
   *   CF = 1.1, ceil:   6 * 1.1 / 3 = 2.2 -> C = 3: e0 <- t3, t2, t1; t0 dropped (1/6), fill 5/9
   *   CF = 1.1, round:  2.2 -> C = 2:           e0 <- t3, t2; t1, t0 dropped (2/6), fill 4/6
   *   CF = 1.1, ceil, multiple of 4: 3 -> C = 4: e0 <- t3, t2, t1, t0; nobody dropped, fill 6/12
   * And the clamps of the formula: Expert Choice caps C at S (CF = 4: 6 * 4 / 3 = 8 -> C = 6),
   * Token Choice does not (C = 8); C >= 1 (S = 1, E = 3, round: 1/3 -> 0 -> C = 1).
   */
  @Test
  void capacityFactorAndRoundingChangeWhoIsDropped() {
    double[][] w = {{4, 3, 3}, {5, 3, 2}, {7, 2, 1}, {8, 1, 1}, {1, 6, 3}, {2, 2, 6}};
    RouterSpec.Builder base = spec("softmax-tc").optCapacityFactor(1.1);

    RoutingPlan ceil = route(base.build(), ln(w));
    assertSparse(ceil, new int[][] {{3, 2, 1}, {4, -1, -1}, {5, -1, -1}}, fractions(w));
    assertEquals(1.0 / 6, ceil.metrics().droppedFraction(), TOL);
    assertEquals(5.0 / 9, ceil.metrics().slotFillRatio(), TOL);

    RoutingPlan round = route(base.optCapacityRounding(Rounding.ROUND).build(), ln(w));
    assertSparse(round, new int[][] {{3, 2}, {4, -1}, {5, -1}}, fractions(w));
    assertEquals(2.0 / 6, round.metrics().droppedFraction(), TOL);

    RoutingPlan multiple =
        route(base.optCapacityRounding(Rounding.CEIL).optCapacityMultipleOf(4).build(), ln(w));
    assertSparse(
        multiple, new int[][] {{3, 2, 1, 0}, {4, -1, -1, -1}, {5, -1, -1, -1}}, fractions(w));
    assertEquals(0.0, multiple.metrics().droppedFraction(), TOL);
    assertEquals(6.0 / 12, multiple.metrics().slotFillRatio(), TOL);

    assertEquals(6, route(spec("softmax-ec").optCapacityFactor(4).build(), ln(w)).capacity());
    assertEquals(
        6,
        route(spec("softmax-tc").optCapacityFactor(4).build(), ln(w))
            .capacity()); // 8, clamped to S*K
    RouterSpec tiny = spec("softmax-ec").optCapacityRounding(Rounding.ROUND).build();
    assertEquals(1, route(tiny, new double[][] {{0, 1, 2}}).capacity());
  }

  // ---------------------------------------------------------------------------------------------
  // sinkhorn-tc
  // ---------------------------------------------------------------------------------------------

  /*
   * Sinkhorn balances what softmax piles onto one expert. S = 6, E = 3, eps = 1, logits
   * t0..t2 (type A) = [2, 1, 0], t3..t5 (type B) = [2, 0, 1]. With Z = e^2 + e + 1:
   *   gates G: A = [e^2, e, 1] / Z = [.665, .245, .090],  B = [e^2, 1, e] / Z.
   * Sinkhorn, K = exp(L), v = 1, column target S/E = 2:
   *   rows:    u_s = 1 / Z for every token, so u K = G.
   *   columns: sums of G are 6 e^2 / Z, 3 (e + 1) / Z, 3 (e + 1) / Z
   *            -> v = [Z / (3 e^2), 2 Z / (3 (e + 1)), 2 Z / (3 (e + 1))].
   *   Pi:      A = [1/3, 2e / (3(e+1)), 2 / (3(e+1))] = [.3333, .4874, .1793],
   *            B = [1/3, 2 / (3(e+1)), 2e / (3(e+1))].
   *   Row sums 1/3 + 2(e+1) / (3(e+1)) = 1 exactly: the plan is balanced after one iteration,
   *   so the 19 further iterations leave it unchanged (up to rounding).
   * K = 1, CF = 1.5: C = ceil(6 * 1.5 / 3) = 3.
   *   softmax-tc (argmax G = e0 for all; BPR off because A and B have mathematically equal top
   *   gates e^2/Z that differ only by rounding): e0 <- t0, t1, t2; t3, t4, t5 dropped.
   *   sinkhorn-tc (argmax Pi: A -> e1, B -> e2): e1 <- t0, t1, t2; e2 <- t3, t4, t5; nobody
   *   dropped. Identical rows have bit-identical Pi rows, so the order inside each expert is the
   *   index order whatever BPR does between A and B (they ask for different experts).
   * Combine = the gates G in both cases: A tokens get e / Z at e1, B tokens e / Z at e2.
   */
  @Test
  void sinkhornTokenChoiceSplitsWhatSoftmaxPilesOnOneExpert() {
    double[][] l = {{2, 1, 0}, {2, 1, 0}, {2, 1, 0}, {2, 0, 1}, {2, 0, 1}, {2, 0, 1}};
    double z = E * E + E + 1;
    double[] gA = {E * E / z, E / z, 1 / z};
    double[] gB = {E * E / z, 1 / z, E / z};
    double[][] gates = {gA, gA, gA, gB, gB, gB};

    double hi = 2 * E / (3 * (E + 1)), lo = 2 / (3 * (E + 1));
    double[] pA = {1.0 / 3, hi, lo};
    double[] pB = {1.0 / 3, lo, hi};
    double[][] pi = Sinkhorn.plan(l, 1.0, 20);
    assertMatrix(new double[][] {pA, pA, pA, pB, pB, pB}, pi, TOL);

    RoutingPlan softmax =
        route(spec("softmax-tc").optCapacityFactor(1.5).optBatchPriority(false).build(), l);
    assertSparse(softmax, new int[][] {{0, 1, 2}, {-1, -1, -1}, {-1, -1, -1}}, gates);
    assertEquals(0.5, softmax.metrics().droppedFraction(), TOL);

    RoutingPlan sinkhorn = route(spec("sinkhorn-tc").optCapacityFactor(1.5).build(), l);
    assertSparse(sinkhorn, new int[][] {{-1, -1, -1}, {0, 1, 2}, {3, 4, 5}}, gates);
    RoutingMetrics r = sinkhorn.metrics();
    assertEquals(0.0, r.droppedFraction(), TOL);
    assertArrayEquals(new double[] {0, 3, 3}, r.tokensPerExpert(), TOL);
    assertEquals(6.0 / 9, r.slotFillRatio(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // softmax-ec
  // ---------------------------------------------------------------------------------------------

  /*
   * Expert Choice ties: equal scores in a column go to the lower token. S = 6, E = 3, CF = 1: C = 2.
   *
   *   token  weights  gates
   *   t0     2 1 1    .5  .25 .25
   *   t1     2 1 1    .5  .25 .25     (t0, t1, t2 identical: bit-identical gates)
   *   t2     2 1 1    .5  .25 .25
   *   t3     1 3 1    .2  .6  .2
   *   t4     1 1 3    .2  .2  .6
   *   t5     3 1 1    .6  .2  .2
   *
   * e0: t5 (.6), then the three-way tie at .5 -> t0.
   * e1: t3 (.6), then the tie at .25 -> t0.
   * e2: t4 (.6), then the tie at .25 -> t0.
   * t0 is taken by all three experts, t1 and t2 by none (dropped).
   * Metrics: dropped_fraction 2/6, tokens_per_expert [2, 2, 2], fill 1, experts per token
   * min 0, mean (3 + 0 + 0 + 1 + 1 + 1) / 6 = 1, max 3.
   */
  @Test
  void softmaxExpertChoiceTiesGoToTheLowerToken() {
    double[][] w = {{2, 1, 1}, {2, 1, 1}, {2, 1, 1}, {1, 3, 1}, {1, 1, 3}, {3, 1, 1}};
    RoutingPlan plan = route(spec("softmax-ec").build(), ln(w));
    assertEquals(2, plan.capacity());
    assertSparse(plan, new int[][] {{5, 0}, {3, 0}, {4, 0}}, fractions(w));

    RoutingMetrics r = plan.metrics();
    assertEquals(2.0 / 6, r.droppedFraction(), TOL);
    assertArrayEquals(new double[] {2, 2, 2}, r.tokensPerExpert(), TOL);
    assertEquals(1.0, r.slotFillRatio(), TOL);
    assertEquals(0.0, r.expertsPerTokenMin(), TOL);
    assertEquals(1.0, r.expertsPerTokenMean(), TOL);
    assertEquals(3.0, r.expertsPerTokenMax(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // sinkhorn-ec
  // ---------------------------------------------------------------------------------------------

  /*
   * Sinkhorn Expert Choice differs from Softmax Expert Choice. S = 6, E = 3, C = 2, eps = 1.
   * The example is built backwards from a balanced target plan Pi* (rows sum 1, columns sum 2)
   *   Pi* = [.3 .5 .2 / .4 .2 .4 / .2 .3 .5 / .1 .7 .2 / .8 .1 .1 / .2 .2 .6]
   * and v = (1, 2, 1/4): logits L = ln K with K[s,e] = Pi*[s,e] / v_e up to a factor per row
   * (which changes neither softmax nor Sinkhorn):
   *   K = [6 5 16 / 4 1 16 / 4 3 40 / 2 7 16 / 16 1 8 / 4 2 48].
   * Check: K diag(v) = [6 10 4 / 4 2 4 / 4 6 10 / 2 14 4 / 16 2 2 / 4 4 12], every row sums to 20
   * except t1 (10), so Pi* = diag(u) K diag(v) with u = (1/20, 1/10, 1/20, ...). A matrix of the
   * form diag(u) K diag(v) with the target marginals is unique, so Pi* is the limit of Sinkhorn
   * (after 20 iterations it agrees with Pi* to ~1e-13; asserted within 1e-9).
   *
   *   softmax-ec ranks by G = K / rowsum(K):
   *     G[:,0] = 6/27 4/21 4/47 2/25 16/25 4/54 = .222 .190 .085 .080 .640 .074 -> t4, t0
   *     G[:,1] = 5/27 1/21 3/47 7/25 1/25 2/54  = .185 .048 .064 .280 .040 .037 -> t3, t0
   *     G[:,2] = 16/27 16/21 40/47 16/25 8/25 48/54 = .593 .762 .851 .640 .320 .889 -> t5, t2
   *     t0 is taken twice, t1 is dropped.
   *   sinkhorn-ec ranks by Pi*:
   *     Pi*[:,0] = .3 .4 .2 .1 .8 .2 -> t4, t1;  Pi*[:,1] = .5 .2 .3 .7 .1 .2 -> t3, t0;
   *     Pi*[:,2] = .2 .4 .5 .2 .1 .6 -> t5, t2.  Every token is taken exactly once.
   * Combine = G in both routers.
   */
  @Test
  void sinkhornExpertChoiceRanksByTheBalancedPlan() {
    double[][] k = {{6, 5, 16}, {4, 1, 16}, {4, 3, 40}, {2, 7, 16}, {16, 1, 8}, {4, 2, 48}};
    double[][] target = {
      {.3, .5, .2}, {.4, .2, .4}, {.2, .3, .5}, {.1, .7, .2}, {.8, .1, .1}, {.2, .2, .6},
    };
    assertMatrix(target, Sinkhorn.plan(ln(k), 1.0, 20), 1e-9);

    RoutingPlan softmax = route(spec("softmax-ec").build(), ln(k));
    assertSparse(softmax, new int[][] {{4, 0}, {3, 0}, {5, 2}}, fractions(k));
    assertEquals(1.0 / 6, softmax.metrics().droppedFraction(), TOL);

    RoutingPlan sinkhorn = route(spec("sinkhorn-ec").build(), ln(k));
    assertSparse(sinkhorn, new int[][] {{4, 1}, {3, 0}, {5, 2}}, fractions(k));
    RoutingMetrics r = sinkhorn.metrics();
    assertEquals(0.0, r.droppedFraction(), TOL);
    assertEquals(1.0, r.expertsPerTokenMin(), TOL);
    assertEquals(1.0, r.expertsPerTokenMax(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // sparse-ot-tc
  // ---------------------------------------------------------------------------------------------

  /*
   * K-sparse OT, Token Choice, one Adam step (ot_iterations = 1, ot_learning_rate = 0.25).
   * S = 6, E = 3, K = 1, CF = 1: C = 2. Sim = G:
   *   t0 .8 .1 .1 | t1 .6 .3 .1 | t2 .5 .1 .4 | t3 .9 .05 .05 | t4 .2 .6 .2 | t5 .1 .2 .7
   * Row-sparse problem = the problem on G^T: alpha has one entry per expert, every token j is a
   * column with b = 1, the experts' marginal is a = S/E = 2, k = K = 1.
   * alpha = 0: p_j = project_1(G[j,:]) = one-hot at the argmax: e0 for t0..t3, e1 for t4, e2 for t5.
   *   gradient = sum_j p_j - a = (4, 1, 1) - 2 = (2, -1, -1).
   * Adam, first step: m = .1 g, v = .001 g^2, bias-corrected m / sqrt(v) = g / |g|, so
   *   alpha = -lr * sign(g) = (-.25, +.25, +.25)   (exactly: -lr g / (|g| + 1e-8)).
   * Plan at that alpha: one-hot at argmax(alpha + G[j,:]):
   *   t0 .55 .35 .35 -> e0 | t1 .35 .55 .35 -> e1 | t2 .25 .35 .65 -> e2
   *   t3 .65 .30 .30 -> e0 | t4 -.05 .85 .45 -> e1 | t5 -.15 .45 .95 -> e2
   * Every kept entry is z - (z - 1) with z in [.5, 2], which is exactly 1.0 in floating point,
   * so BPR sees equal scores and keeps index order: e0 <- t0, t3; e1 <- t1, t4; e2 <- t2, t5.
   * Nobody dropped. softmax-tc on the same logits (BPR order t3 .9, t0 .8, t5 .7, t1/t4 .6,
   * t2 .5) gives e0 <- t3, t0; e1 <- t4; e2 <- t5 and drops t1 and t2.
   */
  @Test
  void sparseOtTokenChoiceMovesTokensOffTheOverloadedExpert() {
    double[][] g = {
      {.8, .1, .1}, {.6, .3, .1}, {.5, .1, .4}, {.9, .05, .05}, {.2, .6, .2}, {.1, .2, .7}
    };
    double[][] onehot = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    assertMatrix(onehot, SparseTransport.rowSparse(g, 1, 1, 0.25), 0.0);

    RouterSpec spec = spec("sparse-ot-tc").optOtIterations(1).optOtLearningRate(0.25).build();
    RoutingPlan plan = route(spec, ln(g));
    assertSparse(plan, new int[][] {{0, 3}, {1, 4}, {2, 5}}, g);
    assertEquals(0.0, plan.metrics().droppedFraction(), TOL);

    RoutingPlan softmax = route(spec("softmax-tc").build(), ln(g));
    assertSparse(softmax, new int[][] {{3, 0}, {4, -1}, {5, -1}}, g);
    assertEquals(2.0 / 6, softmax.metrics().droppedFraction(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // sparse-ot-ec
  // ---------------------------------------------------------------------------------------------

  /*
   * K-sparse OT, Expert Choice, one Adam step (ot_iterations = 1, ot_learning_rate = 0.1).
   * S = 6, E = 3, CF = 1: C = k = 2, a = 1 per token, b = S/E = 2 per expert. Sim = G:
   *   t0 .5 .3 .2 | t1 .7 .2 .1 | t2 .1 .4 .5 | t3 .1 .6 .3 | t4 .8 .1 .1 | t5 .2 .7 .1
   * project_2 of a column z with top two values z1 >= z2 (z1 - z2 < 1) gives
   *   theta = (z1 + z2 - 1) / 2, p = ((1 + z1 - z2) / 2, (1 - z1 + z2) / 2),
   * so the plan column b p puts 1 + (z1 - z2) and 1 - (z1 - z2) on the two tokens, where
   * z = (alpha + G[:,j]) / b.
   * alpha = 0:  e0 top two t4 (.8), t1 (.7): z1 - z2 = .05 -> t4 1.05, t1 .95
   *             e1 top two t5 (.7), t3 (.6): -> t5 1.05, t3 .95
   *             e2 top two t2 (.5), t3 (.3): z1 - z2 = .1 -> t2 1.1, t3 .9
   *   row sums (0, .95, 1.1, 1.85, 1.05, 1.05), gradient = row sums - a
   *   = (-1, -.05, +.1, +.85, +.05, +.05).
   * One Adam step: alpha = -lr * sign(g) = (+.1, +.1, -.1, -.1, -.1, -.1) (up to lr * 1e-8 / |g|).
   * Plan at alpha, alpha + G[:,j] per column:
   *   e0: .6 .8  0  0 .7 .1 -> t1 (.8), t4 (.7): t1 1.05, t4 .95
   *   e1: .4 .3 .3 .5  0 .6 -> t5 (.6), t3 (.5): t5 1.05, t3 .95
   *   e2: .3 .2 .4 .2  0  0 -> t2 (.4), t0 (.3): t2 1.05, t0 .95
   * Each expert takes its positive entries in descending order: e0 <- t1, t4; e1 <- t5, t3;
   * e2 <- t2, t0. Every token exactly once. softmax-ec (top two gates per column) instead takes
   * e0 <- t4, t1; e1 <- t5, t3; e2 <- t2, t3: t3 twice, t0 dropped.
   */
  @Test
  void sparseOtExpertChoiceServesTheTokenSoftmaxDrops() {
    double[][] g = {
      {.5, .3, .2}, {.7, .2, .1}, {.1, .4, .5}, {.1, .6, .3}, {.8, .1, .1}, {.2, .7, .1}
    };
    double[][] pi = {
      {0, 0, .95}, {1.05, 0, 0}, {0, 0, 1.05}, {0, .95, 0}, {.95, 0, 0}, {0, 1.05, 0},
    };
    assertMatrix(pi, SparseTransport.columnSparse(g, 2, 1, 0.1), 1e-6);

    RouterSpec spec = spec("sparse-ot-ec").optOtIterations(1).optOtLearningRate(0.1).build();
    RoutingPlan plan = route(spec, ln(g));
    assertSparse(plan, new int[][] {{1, 4}, {5, 3}, {2, 0}}, g);
    RoutingMetrics r = plan.metrics();
    assertEquals(0.0, r.droppedFraction(), TOL);
    assertArrayEquals(new double[] {2, 2, 2}, r.tokensPerExpert(), TOL);
    assertEquals(1.0, r.slotFillRatio(), TOL);

    RoutingPlan softmax = route(spec("softmax-ec").build(), ln(g));
    assertSparse(softmax, new int[][] {{4, 1}, {5, 3}, {2, 3}}, g);
    assertEquals(1.0 / 6, softmax.metrics().droppedFraction(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // soft
  // ---------------------------------------------------------------------------------------------

  /*
   * Soft MoE, S = 2, E = 1, C = 2 slots. Slot logits Ls[s][e][c]:
   *   t0: [0, ln 3]      t1: [ln 2, ln 2]
   * Dispatch = softmax over s for each slot:
   *   slot (0,0): (e^0, e^ln2) = (1, 2) / 3       slot (0,1): (3, 2) / 5
   * Combine = softmax over the E*C slots for each token:
   *   t0: (1, 3) / 4                             t1: (2, 2) / 4
   * Dispatch columns and combine rows sum to 1. Metrics: every slot is full (fill 1), nobody is
   * dropped, the expert receives dispatch mass 1 + 1 = C = 2.
   */
  @Test
  void softMoeOneExpertTwoSlots() {
    double l2 = Math.log(2), l3 = Math.log(3);
    RoutingPlan plan = routeSoft(new double[][][] {{{0, l3}}, {{l2, l2}}});
    assertEquals(2, plan.capacity());
    double[][][] dsp = plan.denseDispatch()[0];
    double[][][] cmb = plan.denseCombine()[0];
    assertEquals(1.0 / 3, dsp[0][0][0], TOL);
    assertEquals(2.0 / 3, dsp[1][0][0], TOL);
    assertEquals(3.0 / 5, dsp[0][0][1], TOL);
    assertEquals(2.0 / 5, dsp[1][0][1], TOL);
    assertArrayEquals(new double[] {1.0 / 4, 3.0 / 4}, cmb[0][0], TOL);
    assertArrayEquals(new double[] {1.0 / 2, 1.0 / 2}, cmb[1][0], TOL);
    assertEquals(1.0, dsp[0][0][0] + dsp[1][0][0], TOL);
    assertEquals(1.0, dsp[0][0][1] + dsp[1][0][1], TOL);
    assertEquals(1.0, cmb[0][0][0] + cmb[0][0][1], TOL);

    RoutingMetrics r = plan.metrics();
    assertEquals(0.0, r.droppedFraction(), TOL);
    assertEquals(1.0, r.slotFillRatio(), TOL);
    assertArrayEquals(new double[] {2}, r.tokensPerExpert(), TOL);
  }

  /*
   * Soft MoE, S = 3, E = 2, C = 1. Slot logits t0: [0, 0], t1: [ln 2, 0], t2: [ln 3, ln 4].
   * Dispatch: slot (0,0): (1, 2, 3) / 6;  slot (1,0): (1, 1, 4) / 6.
   * Combine:  t0: (1, 1) / 2;  t1: (2, 1) / 3;  t2: (3, 4) / 7.
   */
  @Test
  void softMoeTwoExpertsOneSlotEach() {
    double l2 = Math.log(2), l3 = Math.log(3), l4 = Math.log(4);
    RoutingPlan plan = routeSoft(new double[][][] {{{0}, {0}}, {{l2}, {0}}, {{l3}, {l4}}});
    double[][][] dsp = plan.denseDispatch()[0];
    double[][][] cmb = plan.denseCombine()[0];
    double[][] dispatch = {{1.0 / 6, 1.0 / 6}, {2.0 / 6, 1.0 / 6}, {3.0 / 6, 4.0 / 6}};
    double[][] combine = {{1.0 / 2, 1.0 / 2}, {2.0 / 3, 1.0 / 3}, {3.0 / 7, 4.0 / 7}};
    for (int s = 0; s < 3; s++) {
      for (int e = 0; e < 2; e++) {
        assertEquals(dispatch[s][e], dsp[s][e][0], TOL, "dispatch t" + s + " e" + e);
        assertEquals(combine[s][e], cmb[s][e][0], TOL, "combine t" + s + " e" + e);
      }
    }
    assertArrayEquals(new double[] {1, 1}, plan.metrics().tokensPerExpert(), TOL);
  }

  // ---------------------------------------------------------------------------------------------
  // helpers
  // ---------------------------------------------------------------------------------------------

  private static RouterSpec.Builder spec(String router) {
    return RouterSpec.of(router).toBuilder();
  }

  /** Routes one group (G = 1) of S x E logits. */
  private static RoutingPlan route(RouterSpec spec, double[][] logits) {
    int s = logits.length, e = logits[0].length;
    double[] flat = new double[s * e];
    for (int i = 0; i < s; i++) {
      System.arraycopy(logits[i], 0, flat, i * e, e);
    }
    NDArray array = manager.create(flat, new Shape(1, s, e));
    return Routers.create(spec).route(RouterLogits.of(array));
  }

  /** Routes one group of Soft MoE slot logits, S x E x C. */
  private static RoutingPlan routeSoft(double[][][] logits) {
    int s = logits.length, e = logits[0].length, c = logits[0][0].length;
    double[] flat = new double[s * e * c];
    int i = 0;
    for (double[][] token : logits) {
      for (double[] expert : token) {
        for (double v : expert) {
          flat[i++] = v;
        }
      }
    }
    NDArray array = manager.create(flat, new Shape(1, s, e, c));
    return Routers.create(RouterSpec.of("soft")).route(RouterLogits.of(array));
  }

  /** Logits ln(w), so that softmax gives w / rowsum(w). */
  private static double[][] ln(double[][] w) {
    double[][] out = new double[w.length][];
    for (int s = 0; s < w.length; s++) {
      out[s] = new double[w[s].length];
      for (int e = 0; e < w[s].length; e++) {
        out[s][e] = Math.log(w[s][e]);
      }
    }
    return out;
  }

  /** The gates of ln(w): every row of w divided by its sum. */
  private static double[][] fractions(double[][] w) {
    double[][] out = new double[w.length][];
    for (int s = 0; s < w.length; s++) {
      double sum = 0;
      for (double v : w[s]) {
        sum += v;
      }
      out[s] = new double[w[s].length];
      for (int e = 0; e < w[s].length; e++) {
        out[s][e] = w[s][e] / sum;
      }
    }
    return out;
  }

  /**
   * Asserts the plan of one group: capacity C = byExpert[e].length, Dsp[s,e,c] is exactly 1 when
   * byExpert[e][c] == s and exactly 0 otherwise, and Cmb[s,e,c] = weight[s][e] (within 1e-12) where
   * Dsp is 1, exactly 0 elsewhere.
   */
  private static void assertSparse(RoutingPlan plan, int[][] byExpert, double[][] weight) {
    int tokens = weight.length, experts = byExpert.length, capacity = byExpert[0].length;
    assertEquals(1, plan.groups(), "G");
    assertEquals(tokens, plan.tokens(), "S");
    assertEquals(experts, plan.experts(), "E");
    assertEquals(capacity, plan.capacity(), "C");
    double[][][] dsp = plan.denseDispatch()[0];
    double[][][] cmb = plan.denseCombine()[0];
    for (int s = 0; s < tokens; s++) {
      for (int e = 0; e < experts; e++) {
        for (int c = 0; c < capacity; c++) {
          boolean held = byExpert[e][c] == s;
          String where = "token " + s + " in slot (" + e + "," + c + ")";
          assertEquals(held ? 1.0 : 0.0, dsp[s][e][c], 0.0, "dispatch of " + where);
          assertEquals(
              held ? weight[s][e] : 0.0, cmb[s][e][c], held ? TOL : 0.0, "combine of " + where);
        }
      }
    }
  }

  private static void assertMatrix(double[][] expected, double[][] actual, double tol) {
    assertEquals(expected.length, actual.length, "rows");
    for (int i = 0; i < expected.length; i++) {
      assertArrayEquals(expected[i], actual[i], tol, "row " + i);
    }
  }
}
