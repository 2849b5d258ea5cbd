package vimoe.moe.routing;

/**
 * The contract of every router: a pure function from router logits to a {@link RoutingPlan}. It has
 * no parameters and no randomness of its own; the learned projection and the training noise live in
 * {@link vimoe.moe.MoeLayer}, so {@code route} and the tests call a router directly.
 */
public interface Router {

  /** The options this router was built with. */
  RouterSpec spec();

  /**
   * Routes G groups at once.
   *
   * @param logits L and L~, (G, S, E) for sparse routers; for Soft MoE the slot logits Ls, (G, S,
   *     E, C)
   * @return the plan, whose tensors live in the manager of the logits
   */
  RoutingPlan route(RouterLogits logits);
}
