package vimoe.moe.routing;

/** The logits a router takes, and so what the MoE layer learns to produce them. */
public enum RouterInput {
  /** L = X Wr, (G, S, E), plus training noise for noisy routers: a linear router. */
  TOKEN_LOGITS,
  /** Soft MoE's slot logits Ls = scale * normalize(X) normalize(Phi), (G, S, E, C). */
  SLOT_LOGITS,
  /** No router at all (the dense baseline). */
  NONE
}
