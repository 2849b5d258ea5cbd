package vimoe.moe.routing;

/** The softmax gates G = softmax(L~) as the score (V-MoE, arXiv 2106.05974; Expert Choice). */
final class SoftmaxScore extends GateScore {

  @Override
  public String id() {
    return "softmax";
  }

  @Override
  public boolean noisy() {
    return true;
  }
}
