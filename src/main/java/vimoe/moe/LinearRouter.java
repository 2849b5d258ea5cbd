package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import vimoe.moe.routing.RouterLogits;

/**
 * The linear router of the sparse routers (docs/routing.md, "router logits, noise, gates"): {@code
 * L = X Wr} with Wr (D, E), no bias, LeCun-normal init; in training, when sigma > 0, {@code L~ = L
 * + (sigma / E) N(0, 1)}.
 */
public final class LinearRouter extends LogitsBlock {
  private static final byte VERSION = 1;

  private final int experts;
  private final double noiseStd;
  private final Parameter weight;

  /**
   * A router to E experts with training noise sigma (0: none).
   *
   * @param experts E
   * @param noiseStd sigma >= 0
   */
  public LinearRouter(int experts, double noiseStd) {
    super(VERSION);
    this.experts = experts;
    this.noiseStd = noiseStd;
    weight =
        addParameter(
            Parameter.builder()
                .setName("weight")
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(Initializers.lecunNormal())
                .build());
  }

  @Override
  protected void prepare(Shape[] inputShapes) {
    weight.setShape(new Shape(inputShapes[0].get(2), experts)); // Wr, (D, E)
  }

  @Override
  public RouterLogits logits(ParameterStore ps, NDArray x, boolean training) {
    NDArray clean = x.matMul(ps.getValue(weight, x.getDevice(), training)); // L, (G, S, E)
    return noisy(clean, noiseStd, experts, training);
  }

  /**
   * Clean logits L (G, S, E) with, in training when sigma > 0, L~ = L + (sigma / E) N(0, 1).
   *
   * @param experts E
   */
  static RouterLogits noisy(NDArray clean, double noiseStd, int experts, boolean training) {
    if (!training || noiseStd == 0) {
      return RouterLogits.of(clean);
    }
    NDArray noise =
        clean
            .getManager()
            .randomNormal(
                0,
                (float) (noiseStd / experts),
                clean.getShape(),
                clean.getDataType(),
                clean.getDevice());
    return new RouterLogits(clean, clean.add(noise), noiseStd);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    Shape l = new Shape(in.get(0), in.get(1), experts);
    return new Shape[] {l, l};
  }
}
