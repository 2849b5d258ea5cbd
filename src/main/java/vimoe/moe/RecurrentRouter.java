package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import vimoe.moe.routing.RouterLogits;

/**
 * The layerwise recurrent router of one MoE layer (RMoE, arXiv 2408.06793; docs/routing.md): with
 * the tokens X (G, S, D) and the state h_prev (G, S, R) the previous MoE layer left (0 at the
 * first),
 *
 * <pre>
 *   h = GRU(X Wp, h_prev)      Wp (D, R): this layer's projection
 *   L = h Wo                   Wo (R, E): this layer's output; then noise as the linear router
 * </pre>
 *
 * The GRU cell ({@link RouterGru}) is shared by every MoE layer of the model and is not a child of
 * this block; Wp ({@code proj}) and Wo ({@code weight}) start LeCun-normal, no biases, as in the
 * authors' code.
 */
public final class RecurrentRouter extends LogitsBlock {
  private static final byte VERSION = 1;

  private final int experts;
  private final double noiseStd;
  private final RouterGru gru;
  private final Parameter proj;
  private final Parameter weight;

  /** The logits and the new state of one MoE layer. */
  public record Step(RouterLogits logits, NDArray state) {}

  /**
   * A recurrent router to E experts around a GRU cell.
   *
   * @param experts E
   * @param noiseStd sigma >= 0 of the training noise
   * @param gru the model's GRU cell, of state size R
   */
  public RecurrentRouter(int experts, double noiseStd, RouterGru gru) {
    super(VERSION);
    this.experts = experts;
    this.noiseStd = noiseStd;
    this.gru = gru;
    proj =
        addParameter(
            Parameter.builder()
                .setName("proj")
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(Initializers.lecunNormal())
                .build());
    weight =
        addParameter(
            Parameter.builder()
                .setName("weight")
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(Initializers.lecunNormal())
                .optShape(new Shape(gru.size(), experts))
                .build());
  }

  @Override
  protected void prepare(Shape[] inputShapes) {
    proj.setShape(new Shape(inputShapes[0].get(2), gru.size())); // Wp, (D, R)
  }

  /**
   * The logits of this layer and the state it passes on.
   *
   * @param x tokens (G, S, D)
   * @param previous the previous MoE layer's state (G, S, R), or {@code null} for h_0 = 0
   */
  public Step step(ParameterStore ps, NDArray x, NDArray previous, boolean training) {
    var device = x.getDevice();
    NDArray u = x.matMul(ps.getValue(proj, device, training)); // (G, S, R)
    NDArray h =
        previous != null
            ? previous
            : x.getManager()
                .zeros(
                    new Shape(x.getShape().get(0), x.getShape().get(1), gru.size()),
                    x.getDataType(),
                    device);
    NDArray state = gru.step(ps, u, h, training);
    NDArray clean = state.matMul(ps.getValue(weight, device, training)); // L, (G, S, E)
    return new Step(LinearRouter.noisy(clean, noiseStd, experts, training), state);
  }

  @Override
  public RouterLogits logits(ParameterStore ps, NDArray x, boolean training) {
    return step(ps, x, null, training).logits();
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    Shape l = new Shape(in.get(0), in.get(1), experts);
    return new Shape[] {l, l};
  }
}
