package vimoe.moe;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.Router;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterOptions;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;
import vimoe.moe.routing.RoutingMetrics;
import vimoe.moe.routing.RoutingPlan;

/**
 * A Mixture-of-Experts layer (docs/routing.md, "the unified formulation") as a DJL block: a logits
 * child ({@link LogitsBlock#of}: a {@link LinearRouter} with training noise, or Soft MoE's {@link
 * SlotLogits}), a {@link RoutingPlan} from the router of the registry, the {@link Experts} on the
 * dispatched slots, and the combine. Nothing here depends on which router it is.
 *
 * <p>Input: tokens (G, S, D), one routing group per row. Output: {@code [Y (G, S, D), aux loss
 * (scalar)]}; add the aux loss to the training loss. With {@code recurrent_router} R > 0 the router
 * is a {@link RecurrentRouter}: the input may add the previous MoE layer's state (G, S, R) (0 when
 * absent) and the output adds this layer's. {@link #lastMetrics()} gives the routing metrics of the
 * most recent forward pass, computed only when asked (the forward pass keeps the few tensors they
 * need, and copies nothing to the host).
 *
 * <p>With {@code shared_experts} N > 0 a third child, N {@link Experts} named {@code shared_*},
 * runs on every token and its outputs are added to the combine (DeepSeekMoE, arXiv 2401.06066).
 *
 * <p>Parameters are named {@code router_*} (the logits child) and {@code experts_*}; checkpoints
 * written before this layout (MoeLayer version 1) do not load.
 */
public final class MoeLayer extends AbstractBlock {
  private static final byte VERSION = 2;

  private final RouterSpec spec;
  private final Router router;
  private final int experts;
  private final LogitsBlock logitsBlock;
  private final Experts expertBlock;
  private final Experts sharedBlock;
  private final RecurrentRouter recurrent;
  private final RouterGru ownGru;
  private final Parameter selectionBias;
  private final Parameter l1Weight;
  private NDArray lastRequests;
  private NDArray lastActiveGates;
  private NDArray trainActiveGates;
  private NDManager stateManager;
  private RoutingPlan lastPlan;
  private RoutingMetrics lastMetrics;
  private NDManager kept;

  private MoeLayer(Builder builder) {
    super(VERSION);
    spec = builder.spec;
    router = Routers.create(spec);
    experts = builder.experts;
    int stateSize = spec.get(RouterOptions.RECURRENT_ROUTER);
    RouterGru gru = null;
    if (stateSize > 0) {
      gru = builder.gru != null ? builder.gru : new RouterGru(stateSize);
      if (gru.size() != stateSize) {
        throw new IllegalArgumentException(
            "recurrent_router = " + stateSize + " but the GRU cell has R = " + gru.size());
      }
    }
    recurrent = gru == null ? null : new RecurrentRouter(experts, spec.noiseStd(), gru);
    logitsBlock =
        addChildBlock("router", recurrent != null ? recurrent : LogitsBlock.of(spec, experts));
    expertBlock =
        addChildBlock(
            "experts",
            Experts.builder().setNumExperts(experts).setHiddenDim(builder.hidden).build());
    int shared = spec.get(RouterOptions.SHARED_EXPERTS);
    sharedBlock =
        shared > 0
            ? addChildBlock(
                "shared",
                Experts.builder().setNumExperts(shared).setHiddenDim(builder.hidden).build())
            : null;
    // a layer built alone owns its GRU cell; in a model the cell is the model's, shared
    ownGru = gru != null && builder.gru == null ? addChildBlock("gru", gru) : null;
    selectionBias =
        spec.get(RouterOptions.BIAS_UPDATE_RATE) > 0
            ? addParameter(
                Parameter.builder()
                    .setName("selection_bias")
                    .setType(Parameter.Type.OTHER)
                    .optRequiresGrad(false)
                    .optInitializer(new ConstantInitializer(0))
                    .optShape(new Shape(experts))
                    .build())
            : null;
    l1Weight =
        Routers.info(spec.router()).options().contains(RouterOptions.L1_INITIAL_WEIGHT.name())
            ? addParameter(
                Parameter.builder()
                    .setName("l1_weight")
                    .setType(Parameter.Type.OTHER)
                    .optRequiresGrad(false)
                    .optInitializer(
                        new ConstantInitializer(
                            spec.get(RouterOptions.L1_INITIAL_WEIGHT).floatValue()))
                    .optShape(new Shape(1))
                    .build())
            : null;
  }

  /**
   * ReMoE's adaptive L1 weight (arXiv 2412.14711, eq. 11): after an optimizer step, lambda <-
   * lambda * alpha^sign(target sparsity - sparsity), the target 1 - K/E and the sparsity the
   * fraction of zero gates of this layer in the last training forward pass: a layer whose tokens
   * activate more than K experts on average is pushed harder toward zero gates. Lambda (1) is a
   * parameter without gradient, saved in checkpoints, updated on its device (no read to the host).
   * Does nothing for a router without the L1 penalty.
   */
  public synchronized void updateL1Weight() {
    if (l1Weight == null || lastActiveGates == null) {
      return;
    }
    NDArray lambda = l1Weight.getArray();
    double target = (double) spec.k() / experts; // active fraction at sparsity 1 - K/E
    // sign(target sparsity - sparsity) = sign(active fraction - K/E)
    NDArray sign = lastActiveGates.sub(target).sign();
    NDArray factor = sign.mul(Math.log(spec.get(RouterOptions.L1_ADAPT_RATE))).exp();
    lambda.muli(factor.toType(lambda.getDataType(), false));
    if (stateManager == null) {
      stateManager = NDManager.newBaseManager(lambda.getDevice());
    }
    NDArray previous = trainActiveGates;
    trainActiveGates = lastActiveGates.stopGradient(); // a detached alias the step cannot close
    ai.djl.ndarray.NDScope.unregister(trainActiveGates);
    trainActiveGates.attach(stateManager);
    if (previous != null) {
      previous.close();
    }
    lastActiveGates = null;
  }

  /** Lambda, the current weight of the L1 penalty (ReLU routing), or NaN for other routers. */
  public double l1Weight() {
    return l1Weight == null ? Double.NaN : l1Weight.getArray().getFloat();
  }

  /**
   * The state this layer's router adapts as it trains, read to the host: for ReLU routing {@code
   * l1_weight} (lambda) and {@code positive_gates_per_token} (E times the fraction of positive
   * gates in the last training step, before capacity: where the L1 weight steers it, toward K); an
   * empty map for the other routers.
   */
  public synchronized java.util.Map<String, Double> adaptiveState() {
    if (l1Weight == null) {
      return java.util.Map.of();
    }
    java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
    m.put("l1_weight", l1Weight());
    m.put(
        "positive_gates_per_token",
        trainActiveGates == null ? Double.NaN : trainActiveGates.getFloat() * experts);
    return m;
  }

  /**
   * Auxiliary-loss-free balancing (Wang et al. 2024, arXiv 2408.15664; DeepSeek-V3, arXiv
   * 2412.19437): after an optimizer step, moves each expert's selection bias by u * sign(mean load
   * - load), the load being the tokens that asked for the expert in the last training forward pass.
   * The bias (E) is a parameter without gradient, saved in checkpoints; it only selects, the
   * combine weights stay the gates. Does nothing for a router without {@code bias_update_rate}.
   */
  public synchronized void updateSelectionBias() {
    if (selectionBias == null || lastRequests == null) {
      return;
    }
    NDArray load = lastRequests;
    NDArray bias = selectionBias.getArray();
    NDArray step = load.mean().sub(load).sign().mul(spec.get(RouterOptions.BIAS_UPDATE_RATE));
    bias.addi(step.toType(bias.getDataType(), false));
    lastRequests = null;
  }

  /** A builder; the router spec, E and H are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The router options of this layer. */
  public RouterSpec spec() {
    return spec;
  }

  /**
   * The routing metrics of the most recent forward pass, or {@code null} before the first. The
   * first call after a forward pass reduces them on the device and reads them back (it waits for
   * the device): ask only when they are logged.
   */
  public synchronized RoutingMetrics lastMetrics() {
    if (lastMetrics == null && lastPlan != null) {
      lastMetrics = lastPlan.metrics();
    }
    return lastMetrics;
  }

  /**
   * The plan of the most recent forward pass, or {@code null} before the first; its {@link
   * RoutingPlan#metrics()} and {@link RoutingPlan#dominantExpert()} work after the step.
   */
  public synchronized RoutingPlan lastPlan() {
    return lastPlan;
  }

  /**
   * Keeps what the plan's metrics need beyond the step, in a manager of this layer, dropping the
   * previous.
   */
  private synchronized void keep(RoutingPlan plan, NDArray x) {
    NDManager previous = kept;
    kept = NDManager.newBaseManager(x.getDevice());
    plan.retainForMetrics(kept);
    lastPlan = plan;
    lastMetrics = null;
    if (previous != null) {
      previous.close();
    }
  }

  @Override
  protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape in = inputShapes[0];
    logitsBlock.initialize(manager, dataType, in);
    expertBlock.initialize(manager, dataType, new Shape(experts, in.get(0), in.get(2)));
    if (ownGru != null) {
      Shape state = new Shape(in.get(0), in.get(1), ownGru.size());
      ownGru.initialize(manager, dataType, state, state);
    }
    if (sharedBlock != null) {
      sharedBlock.initialize(
          manager, dataType, new Shape(sharedBlock.numExperts(), in.get(0) * in.get(1), in.get(2)));
    }
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.head(); // (G, S, D)
    if (x.getShape().dimension() != 3) {
      throw new IllegalArgumentException(
          "MoeLayer expects tokens of shape (G, S, D), got " + x.getShape());
    }
    NDArray state = null;
    RouterLogits logits;
    if (recurrent != null) {
      RecurrentRouter.Step step =
          recurrent.step(ps, x, inputs.size() > 1 ? inputs.get(1) : null, training);
      logits = step.logits();
      state = step.state();
    } else {
      logits = logitsBlock.logits(ps, x, training);
    }
    if (selectionBias != null) {
      logits = logits.withBias(ps.getValue(selectionBias, x.getDevice(), training));
    }
    if (l1Weight != null) {
      logits = logits.withL1Weight(ps.getValue(l1Weight, x.getDevice(), training));
    }
    RoutingPlan plan = router.route(logits);
    if (training && selectionBias != null) {
      synchronized (this) {
        lastRequests = plan.expertRequests();
      }
    }
    if (training && l1Weight != null) {
      synchronized (this) {
        lastActiveGates = plan.activeGateFraction();
      }
    }
    NDArray expertOutputs = expertBlock.forward(ps, new NDList(plan.dispatch(x)), training).head();
    NDArray y = plan.combine(expertOutputs); // (G, S, D)
    if (sharedBlock != null) {
      y = y.add(shared(ps, x, training));
    }
    keep(plan, x);
    return state == null ? new NDList(y, plan.auxLoss()) : new NDList(y, plan.auxLoss(), state);
  }

  /** Whether this layer's router is recurrent: it takes and returns a GRU state (G, S, R). */
  public boolean recurrent() {
    return recurrent != null;
  }

  /**
   * The sum of the N shared experts' outputs for every token (DeepSeekMoE, arXiv 2401.06066): the
   * G*S tokens go to each shared expert as its slots, and the N outputs are added.
   *
   * @param x (G, S, D)
   * @return (G, S, D)
   */
  private NDArray shared(ParameterStore ps, NDArray x, boolean training) {
    Shape s = x.getShape();
    long tokens = s.get(0) * s.get(1), d = s.get(2);
    NDArray slots = x.reshape(1, tokens, d).broadcast(sharedBlock.numExperts(), tokens, d);
    NDArray out = sharedBlock.forward(ps, new NDList(slots), training).head(); // (N, G*S, D)
    return out.sum(new int[] {0}).reshape(s);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    if (recurrent != null) {
      Shape in = inputShapes[0];
      return new Shape[] {
        in, new Shape(), new Shape(in.get(0), in.get(1), spec.get(RouterOptions.RECURRENT_ROUTER))
      };
    }
    return new Shape[] {inputShapes[0], new Shape()};
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    saveInputShapes(os);
    os.writeUTF(spec.router());
    os.writeInt(experts);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion != VERSION) {
      throw new MalformedModelException(
          "MoeLayer: unsupported version " + loadVersion + ", expected " + VERSION);
    }
    readInputShapes(is);
    String name = is.readUTF();
    int e = is.readInt();
    if (!name.equals(spec.router()) || e != experts) {
      throw new MalformedModelException(
          String.format(
              "MoeLayer: saved with router %s and E=%d, but this layer has router %s and E=%d",
              name, e, spec.router(), experts));
    }
  }

  /** Builder for {@link MoeLayer}. */
  public static final class Builder {
    private RouterSpec spec;
    private int experts;
    private int hidden;
    private RouterGru gru;

    private Builder() {}

    /**
     * Sets the GRU cell a recurrent router shares with the model's other MoE layers; without it a
     * layer with {@code recurrent_router} owns its own cell (child {@code gru}).
     */
    public Builder setRecurrentCell(RouterGru value) {
      gru = value;
      return this;
    }

    /** Sets the router and its options (not {@code dense}: use {@link DenseMlp}). */
    public Builder setRouter(RouterSpec value) {
      spec = value;
      return this;
    }

    /** Sets E, the number of experts. */
    public Builder setNumExperts(int value) {
      experts = value;
      return this;
    }

    /** Sets H, the hidden width of each expert. */
    public Builder setHiddenDim(int value) {
      hidden = value;
      return this;
    }

    /** Validates and builds. */
    public MoeLayer build() {
      if (spec == null) {
        throw new IllegalArgumentException("MoeLayer needs a router spec");
      }
      if (spec.family() == Family.DENSE) {
        throw new IllegalArgumentException("router dense has no experts to route to: use DenseMlp");
      }
      if (experts < 1) {
        throw new IllegalArgumentException("experts must be >= 1, got " + experts);
      }
      if (spec.k() > experts) {
        throw new IllegalArgumentException(
            "k = " + spec.k() + " exceeds the number of experts E = " + experts);
      }
      return new MoeLayer(this);
    }
  }
}
