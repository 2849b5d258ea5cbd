package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The plan of a sparse router in index form, as tensors on the logits' device: a 0/1 dispatch where
 * every slot holds at most one token, and {@code Cmb = Dsp * gate}. Rows move by index gathers
 * only: dispatch costs O(E*C*D); combine O(S*K*D) for Token Choice and O(E*C*D) for Expert Choice.
 * No S x E x C tensor is built in the forward or backward pass, and nothing is copied to the host
 * there: only {@link #metrics()} and the dense views read back.
 *
 * <p>The engine has no scatter-add, but the backward pass of a gather accumulates, so combining is
 * written with gathers. Token Choice gathers each token's K slot outputs. Under Expert Choice a
 * token may sit in 0 to E slots: where E*C <= D each group's weighted slot outputs are summed by
 * one product with its 0/1 token-slot membership (no larger than the tokens); otherwise they are
 * ordered by token and summed cumulatively, and each token takes the difference of the running sums
 * at the ends of its run (in float32 this adds a rounding error of about 1e-7 times the running sum
 * of the group; DJL's casts stop the gradient, so the sum cannot be promoted to float64). Empty
 * slots gather token 0 of their group: no token combines them, so neither their value nor their
 * gradient reaches anything.
 */
public final class SparsePlan implements RoutingPlan {
  private final int groups;
  private final int tokens;
  private final int experts;
  private final int capacity;
  private final int k;
  private final NDArray slotToken;
  private final NDArray tokenExpert;
  private final NDArray tokenPosition;
  private final NDArray weights;
  private final boolean byExpert;
  private NDArray activeGates;
  private final NDArray auxLoss;
  private NDArray gates;
  private NDArray keptSlotToken;
  private NDArray keptPosition;
  private NDArray keptExpert;
  private NDArray keptAux;
  private NDArray requests;

  /**
   * Builds the plan of G groups from index tensors (int64).
   *
   * @param slotToken (G, E, C): the token in slot (e, c), -1 when empty
   * @param tokenExpert (G, S, M): the expert of each of a token's M possible slots
   * @param tokenPosition (G, S, M): the slot c within that expert, -1 where the token has none
   * @param k K used by the under-K metric (1 outside Token Choice)
   * @param gates G = softmax(L~), (G, S, E); the combine weights are gathered from it, so they
   *     carry its gradient
   * @param normalizeGates renormalise each token's granted gates to sum to 1
   * @param auxLoss the weighted auxiliary loss, a scalar
   * @param byExpert Expert Choice: tokenExpert is (G, S, E) with entry e = e, and combine sums runs
   *     of slots (above) instead of gathering M slots per token
   */
  public SparsePlan(
      NDArray slotToken,
      NDArray tokenExpert,
      NDArray tokenPosition,
      int k,
      NDArray gates,
      boolean normalizeGates,
      NDArray auxLoss,
      boolean byExpert) {
    Shape shape = gates.getShape(); // (G, S, E)
    this.groups = (int) shape.get(0);
    this.tokens = (int) shape.get(1);
    this.experts = (int) shape.get(2);
    this.capacity = (int) slotToken.getShape().get(2);
    this.k = k;
    this.slotToken = slotToken;
    this.tokenExpert = tokenExpert;
    this.tokenPosition = tokenPosition;
    this.gates = gates;
    this.auxLoss = auxLoss;
    this.keptSlotToken = slotToken;
    this.keptPosition = tokenPosition;
    this.keptExpert = tokenExpert;
    this.keptAux = auxLoss;
    this.byExpert = byExpert;
    this.weights = byExpert ? null : weights(normalizeGates);
  }

  /** Cmb at the slots each token may hold: G[g, s, e] where held, else 0; (G, S, M). */
  private NDArray weights(boolean normalizeGates) {
    NDArray held =
        tokenPosition.gte(Scalars.constant(tokenPosition, 0)).toType(gates.getDataType(), false);
    NDArray w = gates.gather(tokenExpert, 2).mul(held); // (G, S, M)
    if (normalizeGates) {
      NDArray sum = w.sum(new int[] {2}, true);
      NDArray empty = sum.eq(Scalars.constant(sum, 0)).toType(sum.getDataType(), false);
      w = w.div(sum.add(empty)); // tokens with no slot stay 0
    }
    return w;
  }

  /**
   * Counts the experts each token asked for (Token Choice: its K choices, granted or dropped), for
   * {@link #expertRequests()}.
   *
   * @param choices (G, S, K) expert indices
   */
  void countRequests(NDArray choices) {
    NDArray range = Scalars.range(choices, 0, experts, 1, 1, 1, 1, experts);
    requests =
        choices.expandDims(3).eq(range).toType(DataType.FLOAT32, false).sum(new int[] {0, 1, 2});
  }

  @Override
  public NDArray expertRequests() {
    return requests;
  }

  /** Keeps the fraction of positive gates for {@link #activeGateFraction()}. */
  void setActiveGateFraction(NDArray fraction) {
    activeGates = fraction;
  }

  @Override
  public NDArray activeGateFraction() {
    return activeGates;
  }

  @Override
  public int groups() {
    return groups;
  }

  @Override
  public int tokens() {
    return tokens;
  }

  @Override
  public int experts() {
    return experts;
  }

  @Override
  public int capacity() {
    return capacity;
  }

  @Override
  public NDArray dispatch(NDArray x) {
    long d = x.getShape().get(2);
    NDArray offset = Scalars.range(x, 0, (long) groups * tokens, tokens, 1, groups, 1);
    NDArray index =
        slotToken
            .transpose(1, 0, 2)
            .maximum(Scalars.constant(slotToken, 0))
            .add(offset); // (E, G, C)
    return rows(x.reshape((long) groups * tokens, d), index.reshape(-1))
        .reshape(experts, (long) groups * capacity, d);
  }

  @Override
  public NDArray combine(NDArray expertOutputs) {
    if (!byExpert) {
      return combineGathered(expertOutputs);
    }
    return (long) experts * capacity <= expertOutputs.getShape().get(2)
        ? combineByProduct(expertOutputs)
        : combineRuns(expertOutputs);
  }

  /**
   * Expert Choice as one batched product per group: {@code Y[g] = M[g] (W[g] O[g])} with the 0/1
   * membership M[g] (S, E*C), the slot weights W[g] and the slot outputs O[g] (E*C, D) brought to
   * group order by a row gather. M has no more entries than the tokens (E*C <= D, where this is
   * used) and its product costs S/(2H) of the experts' own; on 2 CPU cores at micro, forward and
   * backward took 2 ms less than {@link #combineRuns}.
   */
  NDArray combineByProduct(NDArray expertOutputs) {
    long d = expertOutputs.getShape().get(2);
    long slots = (long) experts * capacity;
    var device = expertOutputs.getDevice();
    DataType type = expertOutputs.getDataType();
    NDArray filled = slotToken.gte(Scalars.constant(slotToken, 0)); // (G, E, C)
    NDArray token = slotToken.maximum(Scalars.constant(slotToken, 0));
    NDArray gate =
        gates.transpose(0, 2, 1).gather(token, 2).mul(filled.toType(gates.getDataType(), false));
    // slot (e, c) of group g sits in row (e*G + g)*C + c of the experts' output
    NDArray row =
        Scalars.cached(
            expertOutputs,
            "slot rows " + groups + " " + experts + " " + capacity,
            c ->
                c.arange(0, groups * capacity, capacity, DataType.INT64, device)
                    .reshape(groups, 1, 1)
                    .add(
                        c.arange(
                                0,
                                (float) (groups * slots),
                                groups * capacity,
                                DataType.INT64,
                                device)
                            .reshape(1, experts, 1))
                    .add(
                        c.arange(0, capacity, 1, DataType.INT64, device)
                            .reshape(1, 1, capacity))); // (G, E, C)
    NDArray weighted =
        rows(expertOutputs.reshape(groups * slots, d), row.reshape(-1))
            .reshape(groups, slots, d)
            .mul(gate.reshape(groups, slots, 1).toType(type, false));
    NDArray member =
        slotToken
            .reshape(groups, slots, 1)
            .eq(Scalars.range(slotToken, 0, tokens, 1, 1, 1, tokens))
            .toType(type, false); // (G, E*C, S)
    return member.transpose(0, 2, 1).matMul(weighted); // (G, S, D)
  }

  /**
   * Expert Choice: sums of runs of the weighted slot outputs ordered by token. The slot outputs
   * stay in the experts' (E, G, C) row order (a transposed view would reach the experts' backward
   * pass as a strided gradient, which made PyTorch's batched product there 2.5 times slower on a
   * CPU); one sort over all G*E*C rows on the key (group, token) puts each group's slots together,
   * by token, empty slots last.
   */
  NDArray combineRuns(NDArray expertOutputs) {
    long d = expertOutputs.getShape().get(2);
    long slots = (long) experts * capacity;
    NDManager m = expertOutputs.getManager();
    var device = expertOutputs.getDevice();
    NDArray none = Scalars.constant(slotToken, -1);
    NDArray byExpert = slotToken.transpose(1, 0, 2); // (E, G, C)
    NDArray filled = byExpert.gt(none);
    NDArray token = byExpert.maximum(Scalars.constant(slotToken, 0));
    NDArray gate =
        gates.transpose(2, 0, 1).gather(token, 2).mul(filled.toType(gates.getDataType(), false));
    NDArray weighted =
        expertOutputs.reshape(groups * slots, d).mul(gate.reshape(-1, 1)); // (E*G*C, D)
    NDArray group =
        Scalars.range(slotToken, 0, (long) groups * (tokens + 1), tokens + 1, 1, groups, 1);
    NDArray key =
        NDArrays.where(filled, token, Scalars.constant(token, tokens)).add(group); // (E, G, C)
    NDArray sorted = rows(weighted, key.reshape(-1).argSort(0, true)).reshape(groups, slots, d);
    NDArray running =
        NDArrays.concat(
                new NDList(
                    m.zeros(new Shape(groups, 1, d), sorted.getDataType(), device),
                    sorted.cumSum(1)),
                1)
            .reshape(groups * (slots + 1), d); // (G*(E*C+1), D)
    NDArray count = tokenPosition.gt(none).sum(new int[] {2}); // slots per token, (G, S)
    NDArray base = Scalars.range(slotToken, 0, groups * (slots + 1), slots + 1, groups, 1);
    NDArray end = count.cumSum(1).add(base);
    NDArray start = end.sub(count);
    NDArray y = rows(running, end.reshape(-1)).sub(rows(running, start.reshape(-1)));
    return y.reshape(groups, tokens, d);
  }

  /** Token Choice: each token gathers its K slot outputs. */
  private NDArray combineGathered(NDArray expertOutputs) {
    long d = expertOutputs.getShape().get(2);
    long perToken = tokenExpert.getShape().get(2);
    NDArray offset =
        Scalars.range(expertOutputs, 0, (long) groups * capacity, capacity, groups, 1, 1);
    // row of slot (e, c) of group g in (E*G*C, D): (e*G + g)*C + c
    NDArray row =
        tokenExpert
            .mul(Scalars.constant(tokenExpert, (double) groups * capacity))
            .add(offset)
            .add(tokenPosition.maximum(Scalars.constant(tokenPosition, 0))); // (G, S, M)
    NDArray picked =
        rows(expertOutputs.reshape((long) experts * groups * capacity, d), row.reshape(-1));
    if (perToken == 1) {
      return picked.reshape(groups, tokens, d).mul(weights);
    }
    return picked
        .reshape(groups, tokens, perToken, d)
        .mul(weights.expandDims(3))
        .sum(new int[] {2});
  }

  /**
   * The rows of a (N, D) table at int64 indices, (I) -> (I, D). On a CPU PyTorch's embedding lookup
   * is the cheapest row gather forward and backward (its backward a dense scatter-add; on 2 CPU
   * cores, 7,168 rows of 64 from 6,272: 0.12 ms and 0.70 ms against 0.33 ms and 0.92 ms for an
   * indexed get). On a GPU its backward sorts the indices (some fifteen launches, 0.14 ms of host
   * time per call on an H200), so there the rows are gathered along axis 0 with the index broadcast
   * over D: the backward pass is one scatter-add into zeros.
   */
  static NDArray rows(NDArray table, NDArray index) {
    return rows(table, index, !HostPaths.allowed(table));
  }

  /** {@link #rows(NDArray, NDArray)} by a gather ({@code gather}) or by the embedding lookup. */
  static NDArray rows(NDArray table, NDArray index, boolean gather) {
    if (gather) {
      return table.gather(index.reshape(-1, 1).broadcast(index.size(), table.getShape().get(1)), 0);
    }
    if (table instanceof PtNDArray t && index instanceof PtNDArray i) {
      return JniUtils.embedding(i, t, false);
    }
    return table.get(index);
  }

  @Override
  public NDArray auxLoss() {
    return auxLoss;
  }

  @Override
  public void retainForMetrics(NDManager owner) {
    keptSlotToken = keep(slotToken, owner);
    keptPosition = keep(tokenPosition, owner);
    keptExpert = keep(tokenExpert, owner);
    keptAux = keep(auxLoss, owner);
    gates = keep(gates, owner);
  }

  /** A detached alias of {@code a} owned by {@code owner}, outside any {@link NDScope}. */
  static NDArray keep(NDArray a, NDManager owner) {
    NDArray alias = a.stopGradient();
    NDScope.unregister(alias);
    alias.attach(owner);
    return alias;
  }

  @Override
  public int[][] dominantExpert() {
    long[] expert = keptExpert.toType(DataType.INT64, false).toLongArray(); // (G, S, M)
    long[] position = keptPosition.toType(DataType.INT64, false).toLongArray(); // (G, S, M)
    float[] gate = gates.toType(DataType.FLOAT32, false).toFloatArray(); // (G, S, E)
    int m = (int) keptExpert.getShape().get(2);
    int[][] out = new int[groups][tokens];
    for (int g = 0; g < groups; g++) {
      for (int s = 0; s < tokens; s++) {
        int best = -1;
        float bestGate = Float.NEGATIVE_INFINITY;
        int row = g * tokens + s;
        for (int j = 0; j < m; j++) {
          if (position[row * m + j] < 0) {
            continue;
          }
          int e = (int) expert[row * m + j];
          float v = gate[row * experts + e];
          if (v > bestGate || (v == bestGate && e < best)) {
            best = e;
            bestGate = v;
          }
        }
        out[g][s] = best;
      }
    }
    return out;
  }

  @Override
  public RoutingMetrics metrics() {
    NDArray none = Scalars.constant(keptSlotToken, -1);
    long[] perExpert =
        keptSlotToken
            .gt(none)
            .sum(new int[] {2})
            .toType(DataType.INT64, false)
            .toLongArray(); // (G, E)
    long[] perToken =
        keptPosition
            .gt(none)
            .sum(new int[] {2})
            .toType(DataType.INT64, false)
            .toLongArray(); // (G, S)
    double[] entropy =
        Entropy.rows(gates).toType(DataType.FLOAT64, false).toDoubleArray(); // (G, S)
    RoutingMetrics.Accumulator acc = new RoutingMetrics.Accumulator(experts, k);
    for (int g = 0; g < groups; g++) {
      double[] byExpert = new double[experts];
      int filled = 0;
      for (int e = 0; e < experts; e++) {
        byExpert[e] = perExpert[g * experts + e];
        filled += (int) byExpert[e];
      }
      double[] byToken = new double[tokens];
      double h = 0;
      for (int s = 0; s < tokens; s++) {
        byToken[s] = perToken[g * tokens + s];
        h += entropy[g * tokens + s] / tokens;
      }
      acc.addGroup(byExpert, byToken, filled, experts * capacity, h);
    }
    return acc.build(keptAux.toType(DataType.FLOAT64, false).getDouble());
  }

  @Override
  public ExpertLoad expertLoad() {
    long[] perExpert =
        keptSlotToken
            .gt(Scalars.constant(keptSlotToken, -1))
            .sum(new int[] {2})
            .toType(DataType.INT64, false)
            .toLongArray(); // (G, E)
    double[][] held = new double[groups][experts];
    for (int i = 0; i < perExpert.length; i++) {
      held[i / experts][i % experts] = perExpert[i];
    }
    double[][] requested = new double[groups][experts];
    if (byExpert) {
      long[] top = gates.argMax(2).toType(DataType.INT64, false).toLongArray(); // (G, S)
      for (int i = 0; i < top.length; i++) {
        requested[i / tokens][(int) top[i]]++;
      }
    } else {
      long[] chosen = keptExpert.toType(DataType.INT64, false).toLongArray(); // (G, S, K)
      int perGroup = chosen.length / groups;
      for (int i = 0; i < chosen.length; i++) {
        if (chosen[i] >= 0 && chosen[i] < experts) {
          requested[i / perGroup][(int) chosen[i]]++;
        }
      }
    }
    return new ExpertLoad(capacity, requested, held);
  }

  @Override
  public RoutingViews views() {
    long[] counts =
        keptPosition
            .gt(Scalars.constant(keptPosition, -1))
            .sum(new int[] {2})
            .toType(DataType.INT64, false)
            .toLongArray(); // (G, S)
    long[][] perToken = new long[groups][tokens];
    for (int i = 0; i < counts.length; i++) {
      perToken[i / tokens][i % tokens] = counts[i];
    }
    return RoutingViews.sparse(
        byExpert ? Family.EXPERT_CHOICE : Family.TOKEN_CHOICE, expertLoad(), perToken);
  }

  /** Dsp[g, s, e, c] = 1 where token s sits in slot (e, c). */
  @Override
  public double[][][][] denseDispatch() {
    long[] st = keptSlotToken.toType(DataType.INT64, false).toLongArray();
    double[][][][] out = new double[groups][tokens][experts][capacity];
    int i = 0;
    for (int g = 0; g < groups; g++) {
      for (int e = 0; e < experts; e++) {
        for (int c = 0; c < capacity; c++, i++) {
          if (st[i] >= 0) {
            out[g][(int) st[i]][e][c] = 1;
          }
        }
      }
    }
    return out;
  }

  @Override
  public double[][][][] denseCombine() {
    long[] expert = tokenExpert.toLongArray();
    long[] position = tokenPosition.toLongArray();
    double[] w =
        (weights != null ? weights : weights(false))
            .toType(DataType.FLOAT64, false)
            .toDoubleArray();
    int perToken = (int) tokenExpert.getShape().get(2);
    double[][][][] out = new double[groups][tokens][experts][capacity];
    for (int i = 0; i < w.length; i++) {
      if (position[i] >= 0) {
        int g = i / (tokens * perToken), s = i / perToken % tokens;
        out[g][s][(int) expert[i]][(int) position[i]] = w[i];
      }
    }
    return out;
  }

  /** The slot assignment of every group as Java arrays (for inspection and tests). */
  public GroupSlots[] slots() {
    long[] st = keptSlotToken.toLongArray();
    long[] expert = tokenExpert.toLongArray();
    long[] position = keptPosition.toLongArray();
    int perToken = (int) tokenExpert.getShape().get(2);
    GroupSlots[] out = new GroupSlots[groups];
    for (int g = 0; g < groups; g++) {
      int[] slotTokens = new int[experts * capacity];
      for (int j = 0; j < slotTokens.length; j++) {
        slotTokens[j] = (int) st[g * experts * capacity + j];
      }
      int[][] held = new int[tokens][];
      for (int s = 0; s < tokens; s++) {
        int base = (g * tokens + s) * perToken;
        held[s] =
            java.util.stream.IntStream.range(0, perToken)
                .filter(j -> position[base + j] >= 0)
                .map(j -> (int) (expert[base + j] * capacity + position[base + j]))
                .toArray();
      }
      out[g] = new GroupSlots(slotTokens, held);
    }
    return out;
  }

  /** Entropy of probability rows on the device. */
  static final class Entropy {
    private Entropy() {}

    /** {@code -sum p log p} over the last axis, 0 log 0 = 0; (..., N) -> (...). */
    static NDArray rows(NDArray p) {
      NDArray zero = Scalars.constant(p, 0);
      NDArray positive = p.gt(zero);
      NDArray plogp =
          NDArrays.where(positive, p.mul(NDArrays.where(positive, p, p.onesLike()).log()), zero);
      return plogp.sum(new int[] {p.getShape().dimension() - 1}).neg();
    }
  }
}
