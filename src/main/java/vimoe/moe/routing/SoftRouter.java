package vimoe.moe.routing;

/**
 * Soft MoE (Puigcerver et al., arXiv 2308.00951): from slot logits Ls (G, S, E, C), Dsp = softmax
 * over tokens for each slot, Cmb = softmax over the E*C slots for each token. The slot parameters
 * Phi and the scale live in {@link vimoe.moe.MoeLayer}; no noise, no auxiliary loss.
 */
final class SoftRouter implements Router {
  private final RouterSpec spec;

  SoftRouter(RouterSpec spec) {
    this.spec = spec;
  }

  @Override
  public RouterSpec spec() {
    return spec;
  }

  @Override
  public RoutingPlan route(RouterLogits logits) {
    if (logits.clean().getShape().dimension() != 4) {
      throw new IllegalArgumentException(
          "soft needs slot logits of shape (G, S, E, C), got " + logits.clean().getShape());
    }
    return new SoftPlan(logits.clean());
  }
}
