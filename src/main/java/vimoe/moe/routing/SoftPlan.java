package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The plan of Soft MoE (arXiv 2308.00951): dense weights, every slot a convex combination of all
 * tokens ({@code Dsp} = softmax over s) and every output a convex combination of all slots ({@code
 * Cmb} = softmax over the E*C slots). Dispatch and combine are batched matrix products.
 */
public final class SoftPlan implements RoutingPlan {
  private final int groups;
  private final int tokens;
  private final int experts;
  private final int capacity;
  private final NDArray dispatchWeights;
  private final NDArray combineWeights;
  private final NDArray auxLoss;
  private NDArray keptDispatch;
  private NDArray keptCombine;

  /**
   * Builds the plan from the slot logits.
   *
   * @param logits Ls, (G, S, E, C)
   */
  public SoftPlan(NDArray logits) {
    var shape = logits.getShape();
    groups = (int) shape.get(0);
    tokens = (int) shape.get(1);
    experts = (int) shape.get(2);
    capacity = (int) shape.get(3);
    NDArray flat = logits.reshape(groups, tokens, (long) experts * capacity); // (G, S, E*C)
    dispatchWeights = flat.softmax(1);
    combineWeights = flat.softmax(2);
    keptDispatch = dispatchWeights;
    keptCombine = combineWeights;
    auxLoss = logits.getManager().zeros(new Shape(), logits.getDataType(), logits.getDevice());
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
    NDArray slotInputs = dispatchWeights.transpose(0, 2, 1).batchMatMul(x); // (G, E*C, D)
    return slotInputs
        .reshape(groups, experts, capacity, d)
        .transpose(1, 0, 2, 3)
        .reshape(experts, (long) groups * capacity, d); // (E, G*C, D)
  }

  @Override
  public NDArray combine(NDArray expertOutputs) {
    long d = expertOutputs.getShape().get(2);
    NDArray slotOutputs =
        expertOutputs
            .reshape(experts, groups, capacity, d)
            .transpose(1, 0, 2, 3)
            .reshape(groups, (long) experts * capacity, d); // (G, E*C, D)
    return combineWeights.batchMatMul(slotOutputs); // (G, S, D)
  }

  @Override
  public NDArray auxLoss() {
    return auxLoss;
  }

  @Override
  public void retainForMetrics(NDManager owner) {
    keptDispatch = SparsePlan.keep(dispatchWeights, owner);
    keptCombine = SparsePlan.keep(combineWeights, owner);
  }

  @Override
  public RoutingMetrics metrics() {
    int slots = experts * capacity;
    // tokens per expert: the dispatch mass of its slots, (G, E)
    double[] mass =
        f64(keptDispatch.reshape(groups, tokens, experts, capacity).sum(new int[] {1, 3}));
    // experts a token reaches: those with a slot of positive combine weight, (G, S)
    NDArray reached =
        keptCombine
            .reshape(groups, tokens, experts, capacity)
            .gt(Scalars.constant(keptCombine, 0))
            .sum(new int[] {3})
            .gt(Scalars.constant(keptCombine, 0, DataType.INT64));
    double[] perTokenAll = f64(reached.sum(new int[] {2}));
    double[] entropy = f64(SparsePlan.Entropy.rows(keptCombine)); // (G, S)
    RoutingMetrics.Accumulator acc = new RoutingMetrics.Accumulator(experts, 1);
    for (int g = 0; g < groups; g++) {
      double[] perExpert = java.util.Arrays.copyOfRange(mass, g * experts, (g + 1) * experts);
      double[] perToken = java.util.Arrays.copyOfRange(perTokenAll, g * tokens, (g + 1) * tokens);
      double h = 0;
      for (int s = 0; s < tokens; s++) {
        h += entropy[g * tokens + s] / tokens;
      }
      acc.addGroup(perExpert, perToken, slots, slots, h);
    }
    return acc.build(0);
  }

  @Override
  public ExpertLoad expertLoad() {
    double[] mass =
        f64(keptDispatch.reshape(groups, tokens, experts, capacity).sum(new int[] {1, 3}));
    double[][] held = new double[groups][experts];
    for (int i = 0; i < mass.length; i++) {
      held[i / experts][i % experts] = mass[i];
    }
    return new ExpertLoad(capacity, held, held);
  }

  @Override
  public RoutingViews views() {
    // H of each slot's column Dsp[:, e, c] (a softmax over s, so it sums to 1), (G, E*C)
    double[] h = f64(SparsePlan.Entropy.rows(keptDispatch.transpose(0, 2, 1)));
    int slots = experts * capacity;
    double[][] effective = new double[groups][slots];
    for (int i = 0; i < h.length; i++) {
      effective[i / slots][i % slots] = Math.exp(h[i]);
    }
    return RoutingViews.soft(capacity, tokens, effective);
  }

  private static double[] f64(NDArray w) {
    return w.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  @Override
  public int[][] dominantExpert() {
    // Share of token s in expert e: sum over c of Dsp[s,e,c], (G, S, E); argMax takes the first
    // maximum.
    long[] top =
        keptDispatch
            .reshape(groups, tokens, experts, capacity)
            .sum(new int[] {3})
            .argMax(2)
            .toLongArray();
    int[][] out = new int[groups][tokens];
    for (int g = 0; g < groups; g++) {
      for (int s = 0; s < tokens; s++) {
        out[g][s] = (int) top[g * tokens + s];
      }
    }
    return out;
  }

  @Override
  public double[][][][] denseDispatch() {
    return unflatten(keptDispatch);
  }

  @Override
  public double[][][][] denseCombine() {
    return unflatten(keptCombine);
  }

  /** (G, S, E*C) weights as (G, S, E, C) doubles. */
  private double[][][][] unflatten(NDArray w) {
    double[] v = f64(w);
    double[][][][] out = new double[groups][tokens][experts][capacity];
    int i = 0;
    for (int g = 0; g < groups; g++) {
      for (int s = 0; s < tokens; s++) {
        for (int e = 0; e < experts; e++) {
          for (int c = 0; c < capacity; c++) {
            out[g][s][e][c] = v[i++];
          }
        }
      }
    }
    return out;
  }
}
