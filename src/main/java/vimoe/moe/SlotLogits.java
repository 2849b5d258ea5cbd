package vimoe.moe;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import vimoe.moe.routing.Capacity;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Scalars;

/**
 * Soft MoE's slot parameters (arXiv 2308.00951): Phi (D, E, C), LeCun-normal, and a scale (init 1);
 * {@code Ls = scale * normalize(X) normalize(Phi)}, where normalize divides by {@code sqrt(sum of
 * squares + 1e-6)} over D. C = P from the spec, or the capacity formula for the group size S seen
 * at initialisation.
 */
public final class SlotLogits extends LogitsBlock {
  private static final byte VERSION = 1;
  private static final double NORM_EPS = 1e-6;

  private final int experts;
  private final RouterSpec spec;
  private final Parameter phi;
  private final Parameter scale;
  private int slots;

  /** Slot logits for E experts with the slots of {@code spec}. */
  public SlotLogits(int experts, RouterSpec spec) {
    super(VERSION);
    this.experts = experts;
    this.spec = spec;
    phi =
        addParameter(
            Parameter.builder()
                .setName("phi")
                .setType(Parameter.Type.WEIGHT)
                .optInitializer(Initializers.lecunNormal())
                .build());
    scale =
        addParameter(
            Parameter.builder()
                .setName("scale")
                .setType(Parameter.Type.OTHER)
                .optInitializer(Initializer.ONES)
                .optShape(new Shape(1))
                .build());
  }

  @Override
  protected void prepare(Shape[] inputShapes) {
    Shape in = inputShapes[0]; // (G, S, D)
    slots = Capacity.of((int) in.get(1), experts, spec);
    phi.setShape(new Shape(in.get(2), experts, slots)); // Phi, (D, E, C)
  }

  @Override
  public RouterLogits logits(ParameterStore ps, NDArray x, boolean training) {
    var device = x.getDevice();
    long width = x.getShape().get(2);
    NDArray p = ps.getValue(phi, device, training).reshape(width, (long) experts * slots);
    NDArray ls =
        normalize(x, 2)
            .matMul(normalize(p, 0))
            .mul(ps.getValue(scale, device, training)); // (G, S, E*C)
    Shape s = x.getShape();
    return RouterLogits.of(ls.reshape(s.get(0), s.get(1), experts, slots)); // Ls, (G, S, E, C)
  }

  private static NDArray normalize(NDArray a, int axis) {
    NDArray sum = a.square().sum(new int[] {axis}, true);
    return a.div(sum.add(Scalars.constant(sum, NORM_EPS)).sqrt());
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    Shape l = new Shape(in.get(0), in.get(1), experts, slots);
    return new Shape[] {l, l};
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    super.saveMetadata(os);
    os.writeInt(slots);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    super.loadMetadata(loadVersion, is);
    slots = is.readInt();
  }
}
