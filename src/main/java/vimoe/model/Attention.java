package vimoe.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import vimoe.moe.Initializers;

/** Multi-head self-attention: one fused QKV projection, scaled dot products, output projection. */
public final class Attention extends AbstractBlock {
  private static final byte VERSION = 1;
  private final int heads;
  private final Linear qkv;
  private final Linear proj;

  /**
   * Creates the block.
   *
   * @param width D
   * @param heads attention heads, dividing D
   */
  public Attention(int width, int heads) {
    super(VERSION);
    this.heads = heads;
    qkv = addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
    proj = addChildBlock("proj", Linear.builder().setUnits(width).build());
    qkv.setInitializer(Initializers.xavierUniform(), Parameter.Type.WEIGHT);
    proj.setInitializer(Initializers.xavierUniform(), Parameter.Type.WEIGHT);
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    qkv.initialize(manager, dataType, inputShapes[0]);
    proj.initialize(manager, dataType, inputShapes[0]);
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.head(); // (B, T, D)
    Shape s = x.getShape();
    long b = s.get(0), t = s.get(1), d = s.get(2), hd = d / heads;
    // the projections on (B*T, D) rows: one addmm each, where a (B, T, D) input takes a matmul
    // and a separate bias addition, forward and backward
    NDArray fused = qkv.forward(ps, new NDList(x.reshape(b * t, d)), training).head(); // (B*T, 3D)
    // (B, T, 3, h, hd) -> (3, B, h, T, hd) in one copy; split along the leading axis, each of
    // q, k, v is a contiguous (B*h, T, hd) block for plain batched products (a 4-D matmul
    // expands and copies its operands), and the split's backward is one concatenation
    NDList qkvHeads =
        fused
            .reshape(b, t, 3, heads, hd)
            .transpose(2, 0, 3, 1, 4)
            .reshape(3 * b * heads, t, hd)
            .split(3, 0);
    NDArray q = qkvHeads.get(0).mul(Constants.scalar(1.0 / Math.sqrt((double) hd), x.getDevice()));
    NDArray k = qkvHeads.get(1), v = qkvHeads.get(2);
    NDArray weights = q.batchMatMul(k.transpose(0, 2, 1)).softmax(-1); // (B*h, T, T)
    NDArray out =
        weights.batchMatMul(v).reshape(b, heads, t, hd).transpose(0, 2, 1, 3).reshape(b * t, d);
    return new NDList(proj.forward(ps, new NDList(out), training).head().reshape(b, t, d));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
