package vimoe.moe.routing;

/** How a router decides which tokens reach which expert slots. */
public enum Family {
  /** Each token picks its top K experts; experts take requests up to capacity C. */
  TOKEN_CHOICE("Token Choice"),
  /** Each expert picks its top C tokens. */
  EXPERT_CHOICE("Expert Choice"),
  /** Every slot is a convex combination of all tokens (Soft MoE). */
  SOFT("Soft MoE"),
  /** No router: the ordinary MLP. */
  DENSE("dense");

  private final String label;

  Family(String label) {
    this.label = label;
  }

  /** The human-readable name of the family, e.g. "Token Choice". */
  public String label() {
    return label;
  }
}
