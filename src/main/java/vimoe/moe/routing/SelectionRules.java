package vimoe.moe.routing;

/**
 * The selection rules. They live here rather than on {@link SelectionRule} because a superclass
 * whose static initializer makes its own subclasses can deadlock two threads that load a subclass
 * and the superclass at once.
 */
public final class SelectionRules {
  private SelectionRules() {}

  /** Token Choice. */
  public static final SelectionRule TOKEN_CHOICE = new TokenChoice();

  /** Expert Choice. */
  public static final SelectionRule EXPERT_CHOICE = new ExpertChoice();

  /** Global Choice (Expert Race). */
  public static final SelectionRule GLOBAL_CHOICE = new GlobalChoice();

  /**
   * Token Choice of every positive score, each expert capped at its top C (ReMoE, arXiv
   * 2412.14711).
   */
  public static final SelectionRule POSITIVE_CHOICE = new PositiveChoice();
}
