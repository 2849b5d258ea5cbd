package vimoe.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import vimoe.moe.MoeLayer;

/**
 * A pre-norm Transformer encoder block: {@code x + Attn(LN(x))}, then {@code x + FFN(LN(x))}, where
 * FFN is a {@link vimoe.moe.DenseMlp} or a {@link MoeLayer}. Before an MoE layer the tokens of
 * {@code groupImages} consecutive images are put in one routing group: (B, T, D) -> (B/n, n*T, D).
 * Input (B, T, D); output {@code [x (B, T, D), aux loss (scalar)]}. An MoE layer with a recurrent
 * router also takes the previous MoE layer's state (G, S, R) as a second input, when there is one,
 * and adds its own state to the output.
 */
public final class EncoderBlock extends AbstractBlock {
  private static final byte VERSION = 1;
  private final LayerNorm norm1;
  private final Attention attention;
  private final LayerNorm norm2;
  private final Block ffn;
  private final int groupImages;

  /**
   * Creates the block.
   *
   * @param ffn the MLP or MoE block: input (G, S, D), output [Y (G, S, D), aux]
   * @param groupImages images per routing group (only used when ffn is an MoE layer)
   */
  public EncoderBlock(int width, int heads, Block ffn, int groupImages) {
    super(VERSION);
    norm1 = addChildBlock("norm1", LayerNorm.builder().axis(2).build());
    attention = addChildBlock("attention", new Attention(width, heads));
    norm2 = addChildBlock("norm2", LayerNorm.builder().axis(2).build());
    this.ffn = addChildBlock(ffn instanceof MoeLayer ? "moe" : "mlp", ffn);
    this.groupImages = ffn instanceof MoeLayer ? groupImages : 1;
  }

  /** The MoE layer of this block, or {@code null} when its FFN is dense. */
  public MoeLayer moe() {
    return ffn instanceof MoeLayer m ? m : null;
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape in = inputShapes[0]; // (B, T, D)
    norm1.initialize(manager, dataType, in);
    attention.initialize(manager, dataType, in);
    norm2.initialize(manager, dataType, in);
    ffn.initialize(manager, dataType, new Shape(1, groupImages * in.get(1), in.get(2)));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.head(); // (B, T, D)
    x = x.add(attention.forward(ps, norm1.forward(ps, new NDList(x), training), training).head());
    NDArray h = norm2.forward(ps, new NDList(x), training).head();
    Shape s = h.getShape();
    long b = s.get(0), t = s.get(1), d = s.get(2);
    VitConfig.checkWholeGroups(b, groupImages);
    NDList in = new NDList(h.reshape(b / groupImages, groupImages * t, d)); // (G, S, D)
    if (inputs.size() > 1) {
      in.add(inputs.get(1)); // a recurrent router's state (G, S, R)
    }
    NDList out = ffn.forward(ps, in, training);
    NDList result = new NDList(x.add(out.head().reshape(b, t, d)), out.get(1));
    if (out.size() > 2) {
      result.add(out.get(2));
    }
    return result;
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0], new Shape()};
  }
}
