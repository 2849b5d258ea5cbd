package vimoe.moe;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The E expert MLPs {@code f_e(x) = W2_e gelu(W1_e x + b1_e) + b2_e} (D -> H -> D, exact GELU), run
 * as two batched matrix products over all experts at once: input and output are (E, N, D), where N
 * is the number of slots per expert in the batch (G*C).
 */
public final class Experts extends AbstractBlock {
  private static final byte VERSION = 1;

  private final int experts;
  private final int hidden;
  private final Parameter w1;
  private final Parameter b1;
  private final Parameter w2;
  private final Parameter b2;

  private Experts(Builder builder) {
    super(VERSION);
    experts = builder.experts;
    hidden = builder.hidden;
    w1 = addParameter(param("w1", Parameter.Type.WEIGHT, Initializers.xavierUniform()));
    b1 = addParameter(param("b1", Parameter.Type.BIAS, Initializer.ZEROS));
    w2 = addParameter(param("w2", Parameter.Type.WEIGHT, Initializers.xavierUniform()));
    b2 = addParameter(param("b2", Parameter.Type.BIAS, Initializer.ZEROS));
  }

  private static Parameter param(String name, Parameter.Type type, Initializer init) {
    return Parameter.builder().setName(name).setType(type).optInitializer(init).build();
  }

  /** A builder; E and H are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** E, the number of experts. */
  public int numExperts() {
    return experts;
  }

  /** H, the hidden width of every expert. */
  public int hiddenDim() {
    return hidden;
  }

  @Override
  protected void prepare(Shape[] inputShapes) {
    long width = inputShapes[0].get(2);
    w1.setShape(new Shape(experts, width, hidden)); // (E, D, H)
    b1.setShape(new Shape(experts, 1, hidden)); // (E, 1, H)
    w2.setShape(new Shape(experts, hidden, width)); // (E, H, D)
    b2.setShape(new Shape(experts, 1, width)); // (E, 1, D)
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.head(); // (E, N, D)
    var device = x.getDevice();
    NDArray h =
        Activation.gelu(
            x.batchMatMul(ps.getValue(w1, device, training))
                .add(ps.getValue(b1, device, training))); // (E, N, H)
    return new NDList(
        h.batchMatMul(ps.getValue(w2, device, training))
            .add(ps.getValue(b2, device, training))); // (E, N, D)
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    saveInputShapes(os);
    os.writeInt(experts);
    os.writeInt(hidden);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion != VERSION) {
      throw new MalformedModelException(
          "Experts: unsupported version " + loadVersion + ", expected " + VERSION);
    }
    readInputShapes(is);
    int e = is.readInt(), h = is.readInt();
    if (e != experts || h != hidden) {
      throw new MalformedModelException(
          String.format(
              "Experts: saved with E=%d, H=%d but this block has E=%d, H=%d",
              e, h, experts, hidden));
    }
  }

  /** Builder for {@link Experts}. */
  public static final class Builder {
    private int experts;
    private int hidden;

    private Builder() {}

    /** Sets E, the number of experts. */
    public Builder setNumExperts(int value) {
      experts = value;
      return this;
    }

    /** Sets H, the hidden width of every expert. */
    public Builder setHiddenDim(int value) {
      hidden = value;
      return this;
    }

    /** Validates and builds. */
    public Experts build() {
      if (experts < 1) {
        throw new IllegalArgumentException("experts must be >= 1, got " + experts);
      }
      if (hidden < 1) {
        throw new IllegalArgumentException("expert hidden width H must be >= 1, got " + hidden);
      }
      return new Experts(this);
    }
  }
}
