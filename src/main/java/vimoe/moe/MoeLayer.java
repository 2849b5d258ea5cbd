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
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.Router;
import vimoe.moe.routing.RouterLogits;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/**
 * A Mixture-of-Experts layer (ROUTING.md, "the unified formulation") as a DJL block: router logits,
 * a {@link RoutingPlan} from any router, the {@link Experts} on the dispatched slots, and the
 * combine.
 *
 * <p>Input: tokens (G, S, D), one routing group per row. Output: {@code [Y (G, S, D), aux loss
 * (scalar)]}; add the aux loss to the training loss. {@link #lastMetrics()} gives the routing
 * metrics of the most recent forward pass, computed only when asked (the forward pass keeps the
 * few tensors they need, and copies nothing to the host).
 *
 * <p>Sparse routers learn {@code Wr} (D x E, no bias, LeCun-normal init); in training, logits get
 * noise {@code (sigma/E) N(0,1)} when the spec's sigma is > 0. Soft MoE learns Phi (D x E x C,
 * LeCun-normal) and a scale (init 1): {@code Ls = scale * normalize(X) normalize(Phi)}, where
 * normalize divides by {@code sqrt(sum of squares + 1e-6)} over D.
 */
public final class MoeLayer extends AbstractBlock {
    private static final byte VERSION = 1;
    private static final double NORM_EPS = 1e-6;

    private final RouterSpec spec;
    private final Router router;
    private final int experts;
    private final Experts expertBlock;
    private Parameter routerWeight;
    private Parameter slotWeight;
    private Parameter slotScale;
    private int slots;
    private RoutingPlan lastPlan;
    private RoutingMetrics lastMetrics;
    private NDManager kept;

    private MoeLayer(Builder builder) {
        super(VERSION);
        spec = builder.spec;
        router = Routers.create(spec);
        experts = builder.experts;
        expertBlock = addChildBlock("experts",
                Experts.builder().setNumExperts(experts).setHiddenDim(builder.hidden).build());
        if (spec.family() == Family.SOFT) {
            slotWeight = addParameter(Parameter.builder().setName("slot_weight")
                    .setType(Parameter.Type.WEIGHT).optInitializer(Initializers.lecunNormal()).build());
            slotScale = addParameter(Parameter.builder().setName("slot_scale")
                    .setType(Parameter.Type.OTHER).optInitializer(Initializer.ONES).optShape(new Shape(1))
                    .build());
        } else {
            routerWeight = addParameter(Parameter.builder().setName("router_weight")
                    .setType(Parameter.Type.WEIGHT).optInitializer(Initializers.lecunNormal()).build());
        }
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

    /** Keeps what the plan's metrics need beyond the step, in a manager of this layer, dropping the previous. */
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
    protected void prepare(Shape[] inputShapes) {
        Shape in = inputShapes[0]; // (G, S, D)
        long width = in.get(2);
        int tokens = (int) in.get(1);
        if (slotWeight != null) {
            slots = Capacity.of(tokens, experts, spec);
            slotWeight.setShape(new Shape(width, experts, slots)); // Phi, (D, E, C)
        } else {
            routerWeight.setShape(new Shape(width, experts)); // Wr, (D, E)
        }
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        expertBlock.initialize(manager, dataType, new Shape(experts, in.get(0), in.get(2)));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head(); // (G, S, D)
        if (x.getShape().dimension() != 3) {
            throw new IllegalArgumentException("MoeLayer expects tokens of shape (G, S, D), got " + x.getShape());
        }
        RoutingPlan plan = router.route(logits(ps, x, training));
        NDArray expertOutputs = expertBlock.forward(ps, new NDList(plan.dispatch(x)), training).head();
        NDArray y = plan.combine(expertOutputs); // (G, S, D)
        keep(plan, x);
        return new NDList(y, plan.auxLoss());
    }

    /** Router logits: L (and L~ in training) for sparse routers, Ls (G, S, E, C) for Soft MoE. */
    private RouterLogits logits(ParameterStore ps, NDArray x, boolean training) {
        var device = x.getDevice();
        if (slotWeight != null) {
            NDArray phi = ps.getValue(slotWeight, device, training);
            long width = x.getShape().get(2);
            NDArray phiN = normalize(phi.reshape(width, (long) experts * slots), 0); // (D, E*C)
            NDArray ls = normalize(x, 2).matMul(phiN).mul(ps.getValue(slotScale, device, training));
            Shape s = x.getShape();
            return RouterLogits.of(ls.reshape(s.get(0), s.get(1), experts, slots)); // Ls, (G, S, E, C)
        }
        NDArray clean = x.matMul(ps.getValue(routerWeight, device, training)); // L, (G, S, E)
        double sigma = spec.noiseStd();
        if (!training || sigma == 0) {
            return RouterLogits.of(clean);
        }
        NDArray noise = x.getManager().randomNormal(0, (float) (sigma / experts), clean.getShape(),
                clean.getDataType(), device);
        return new RouterLogits(clean, clean.add(noise), sigma);
    }

    private static NDArray normalize(NDArray a, int axis) {
        NDArray sum = a.square().sum(new int[] {axis}, true);
        return a.div(sum.add(Scalars.constant(sum, NORM_EPS)).sqrt());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0], new Shape()};
    }

    @Override
    protected void saveMetadata(DataOutputStream os) throws IOException {
        saveInputShapes(os);
        os.writeUTF(spec.router());
        os.writeInt(experts);
        os.writeInt(slots);
    }

    @Override
    public void loadMetadata(byte loadVersion, DataInputStream is) throws IOException, MalformedModelException {
        if (loadVersion != VERSION) {
            throw new MalformedModelException("MoeLayer: unsupported version " + loadVersion + ", expected " + VERSION);
        }
        readInputShapes(is);
        String name = is.readUTF();
        int e = is.readInt();
        if (!name.equals(spec.router()) || e != experts) {
            throw new MalformedModelException(String.format(
                    "MoeLayer: saved with router %s and E=%d, but this layer has router %s and E=%d",
                    name, e, spec.router(), experts));
        }
        slots = is.readInt();
    }

    /** Builder for {@link MoeLayer}. */
    public static final class Builder {
        private RouterSpec spec;
        private int experts;
        private int hidden;

        private Builder() {}

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
                throw new IllegalArgumentException("k = " + spec.k() + " exceeds the number of experts E = " + experts);
            }
            return new MoeLayer(this);
        }
    }
}
