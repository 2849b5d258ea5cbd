package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The output of every router (docs/routing.md, "the unified formulation"): for each of G groups, a
 * dispatch tensor Dsp and a combine tensor Cmb of shape S x E x C. Implementations keep whatever
 * form is cheapest ({@link SparsePlan} uses indices, {@link SoftPlan} dense weights); the dense
 * tensors are materialised only on request ({@link #denseDispatch()}).
 */
public sealed interface RoutingPlan permits SparsePlan, SoftPlan {

  /** G, the number of groups. */
  int groups();

  /** S, tokens per group. */
  int tokens();

  /** E, the number of experts. */
  int experts();

  /** C, slots per expert per group. */
  int capacity();

  /**
   * Expert inputs {@code Xe[e,c,:] = sum_s Dsp[s,e,c] X[s,:]} for every group.
   *
   * @param x tokens, (G, S, D)
   * @return expert inputs, (E, G*C, D), slot c of group g at row {@code g*C + c}
   */
  NDArray dispatch(NDArray x);

  /**
   * Layer output {@code Y[s,:] = sum_{e,c} Cmb[s,e,c] Ye[e,c,:]} for every group.
   *
   * @param expertOutputs (E, G*C, D), laid out as {@link #dispatch} returns
   * @return (G, S, D)
   */
  NDArray combine(NDArray expertOutputs);

  /** The weighted auxiliary loss, a scalar; 0 where the router has none. */
  NDArray auxLoss();

  /**
   * How many tokens asked for each expert in this plan, summed over groups, (E) float32; {@code
   * null} unless the router balances by a selection bias (auxiliary-loss-free balancing).
   */
  default NDArray expertRequests() {
    return null;
  }

  /**
   * The fraction of (token, expert) pairs whose gate is positive, over all groups, a scalar on the
   * device; {@code null} unless the router weighs an adaptive L1 penalty (ReLU routing), whose
   * weight it steers.
   */
  default NDArray activeGateFraction() {
    return null;
  }

  /**
   * The routing metrics of docs/routing.md, averaged over the groups. They are reduced on the
   * plan's device and read back here, so call this only when they are wanted (it waits for the
   * device).
   */
  RoutingMetrics metrics();

  /**
   * Tokens per expert of every group, before and after capacity ({@link ExpertLoad}). Reads back to
   * the host, like {@link #metrics()}.
   */
  ExpertLoad expertLoad();

  /**
   * The per-family views of this plan ({@link RoutingViews}): load before and after capacity and
   * experts per token for a sparse plan, slot concentration for Soft MoE. Reads back to the host,
   * like {@link #metrics()}.
   */
  RoutingViews views();

  /**
   * Keeps the small tensors that {@link #metrics()} reads alive in {@code owner}, beyond the
   * manager or scope of the step that made the plan, so metrics can be asked for after the step.
   * Detached aliases only: no computation, no copy. The dense views need the step's tensors.
   */
  void retainForMetrics(NDManager owner);

  /**
   * The expert that processed each token, (G, S): for a sparse plan the expert of the token's slot
   * with the largest combine weight (its gate), -1 for a dropped token; for Soft MoE the expert
   * whose slots take the largest share of the token's dispatch weight (sum over c of Dsp[s,e,c]).
   * Ties go to the lower expert. Reads back to the host, like {@link #metrics()}.
   */
  int[][] dominantExpert();

  /** Dsp materialised as (G, S, E, C) doubles, for inspection, tests and {@code route}. */
  double[][][][] denseDispatch();

  /** Cmb materialised as (G, S, E, C) doubles, for inspection, tests and {@code route}. */
  double[][][][] denseCombine();
}
