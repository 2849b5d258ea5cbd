package vimoe.moe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.UniformInitializer;
import ai.djl.util.PairList;

/**
 * The GRU cell of the layerwise recurrent router (RMoE, arXiv 2408.06793; docs/routing.md), one per
 * model, shared by all its MoE layers. With input u and state h, both (G, S, R):
 *
 * <pre>
 *   r  = sigmoid(u Wir + bir + h Whr + bhr)
 *   z  = sigmoid(u Wiz + biz + h Whz + bhz)
 *   n  = tanh(u Win + bin + r * (h Whn + bhn))
 *   h' = (1 - z) * n + z * h
 * </pre>
 *
 * The three gates' matrices are stored side by side in the order r, z, n: {@code w_i} and {@code
 * w_h} are (R, 3R), {@code b_i} and {@code b_h} (3R); weights start uniform in +-1/sqrt(R) (as
 * PyTorch's GRUCell), biases at 0.
 */
public final class RouterGru extends AbstractBlock {
  private static final byte VERSION = 1;

  private final int size;
  private final Parameter wi;
  private final Parameter bi;
  private final Parameter wh;
  private final Parameter bh;

  /**
   * A GRU cell of state size R.
   *
   * @param size R >= 1
   */
  public RouterGru(int size) {
    super(VERSION);
    if (size < 1) {
      throw new IllegalArgumentException("GRU state size R must be >= 1, got " + size);
    }
    this.size = size;
    Initializer uniform = new UniformInitializer((float) (1 / Math.sqrt(size)));
    wi = addParameter(param("w_i", Parameter.Type.WEIGHT, uniform, new Shape(size, 3L * size)));
    bi = addParameter(param("b_i", Parameter.Type.BIAS, Initializer.ZEROS, new Shape(3L * size)));
    wh = addParameter(param("w_h", Parameter.Type.WEIGHT, uniform, new Shape(size, 3L * size)));
    bh = addParameter(param("b_h", Parameter.Type.BIAS, Initializer.ZEROS, new Shape(3L * size)));
  }

  private static Parameter param(String name, Parameter.Type type, Initializer init, Shape shape) {
    return Parameter.builder()
        .setName(name)
        .setType(type)
        .optInitializer(init)
        .optShape(shape)
        .build();
  }

  /** R, the state size. */
  public int size() {
    return size;
  }

  /**
   * One step of the cell.
   *
   * @param u the input, (G, S, R)
   * @param h the previous state, (G, S, R)
   * @return the new state h', (G, S, R)
   */
  public NDArray step(ParameterStore ps, NDArray u, NDArray h, boolean training) {
    var device = u.getDevice();
    NDArray gi = u.matMul(ps.getValue(wi, device, training)).add(ps.getValue(bi, device, training));
    NDArray gh = h.matMul(ps.getValue(wh, device, training)).add(ps.getValue(bh, device, training));
    NDList i = gi.split(3, 2), g = gh.split(3, 2); // each (G, S, R): r, z, n
    NDArray r = Activation.sigmoid(i.get(0).add(g.get(0)));
    NDArray z = Activation.sigmoid(i.get(1).add(g.get(1)));
    NDArray n = i.get(2).add(r.mul(g.get(2))).tanh();
    return n.sub(z.mul(n)).add(z.mul(h));
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    return new NDList(step(ps, inputs.get(0), inputs.get(1), training));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
