package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import vimoe.moe.routing.Scalars;

/**
 * The dense baseline: the ordinary ViT MLP D -> H -> D (GELU), with the same interface as {@link
 * MoeLayer} so the two are interchangeable: input (G, S, D), output {@code [Y (G, S, D), aux loss =
 * 0]}. It is one {@link Experts} block with E = 1 applied to every token.
 */
public final class DenseMlp extends AbstractBlock {
  private static final byte VERSION = 1;
  private final Experts mlp;

  /**
   * Creates the MLP.
   *
   * @param hidden H, the hidden width
   */
  public DenseMlp(int hidden) {
    super(VERSION);
    mlp = addChildBlock("mlp", Experts.builder().setNumExperts(1).setHiddenDim(hidden).build());
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape in = inputShapes[0];
    mlp.initialize(manager, dataType, new Shape(1, in.get(0) * in.get(1), in.get(2)));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.head(); // (G, S, D)
    Shape s = x.getShape();
    NDArray y =
        mlp.forward(ps, new NDList(x.reshape(1, s.get(0) * s.get(1), s.get(2))), training)
            .head()
            .reshape(s); // (1, G*S, D) -> (G, S, D)
    return new NDList(y, Scalars.constant(x, 0)); // a cached 0: no fill launched per block
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0], new Shape()};
  }
}
