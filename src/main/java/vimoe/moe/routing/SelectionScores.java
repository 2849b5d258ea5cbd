package vimoe.moe.routing;

/**
 * The selection scores. They live here rather than on {@link SelectionScore} because a superclass
 * whose static initializer makes its own subclasses can deadlock two threads that load a subclass
 * and the superclass at once.
 */
public final class SelectionScores {
  private SelectionScores() {}

  /** The gates G = softmax(L~) themselves (Softmax Token / Expert Choice). */
  public static final SelectionScore SOFTMAX = new SoftmaxScore();

  /** The Sinkhorn plan of L~, eps and T from the spec (S-BASE). */
  public static final SelectionScore SINKHORN = new SinkhornScore();

  /**
   * The k-sparse OT plan of Sim = G (no noise): row-sparse (at most K per token) for Token Choice,
   * column-sparse (at most C per expert) otherwise.
   */
  public static final SelectionScore SPARSE_OT = new SparseOtScore();
}
