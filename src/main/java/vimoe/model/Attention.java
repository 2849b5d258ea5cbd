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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head(); // (B, T, D)
        Shape s = x.getShape();
        long b = s.get(0), t = s.get(1), d = s.get(2), hd = d / heads;
        NDArray fused = qkv.forward(ps, new NDList(x), training).head().reshape(b, t, 3, heads, hd);
        // one split, not three selects (a select's backward pass fills a zero tensor the size of all
        // three), along the axis whose backward concatenation writes the fused layout directly
        NDList parts = fused.split(3, 2);
        NDArray q = head(parts.get(0)).mul(Constants.scalar(1.0 / Math.sqrt(hd), x.getDevice())); // (B, h, T, hd)
        NDArray k = head(parts.get(1)), v = head(parts.get(2));
        NDArray weights = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1); // (B, h, T, T)
        NDArray out = weights.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, d); // (B, T, D)
        return proj.forward(ps, new NDList(out), training);
    }

    /** (B, T, 1, h, hd) -> (B, h, T, hd). */
    private static NDArray head(NDArray part) {
        return part.squeeze(2).transpose(0, 2, 1, 3);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
