package vimoe.moe.routing;

/** How a router decides which tokens reach which expert slots. */
public enum Family {
  /** Each token picks its top K experts; experts take requests up to capacity C. */
  TOKEN_CHOICE("Token Choice", true, true),
  /** Each expert picks its top C tokens. */
  EXPERT_CHOICE("Expert Choice", false, true),
  /** The top K*S (token, expert) pairs of a group win; each expert keeps up to C of them. */
  GLOBAL_CHOICE("Global Choice", true, true),
  /** Every slot is a convex combination of all tokens (Soft MoE). */
  SOFT("Soft MoE", false, false),
  /** No router: the ordinary MLP. */
  DENSE("dense", false, false);

  private final String label;
  private final boolean takesK;
  private final boolean sparse;

  Family(String label, boolean takesK, boolean sparse) {
    this.label = label;
    this.takesK = takesK;
    this.sparse = sparse;
  }

  /** The human-readable name of the family, e.g. "Token Choice". */
  public String label() {
    return label;
  }

  /**
   * Whether K, the experts per token, is the family's option and sets its capacity C = S*K*CF/E
   * (otherwise K = 1 there, and equal compute moves K into the capacity factor).
   */
  public boolean takesK() {
    return takesK;
  }

  /** Whether the family fills sparse slots, whose capacity can change after training. */
  public boolean sparse() {
    return sparse;
  }
}
