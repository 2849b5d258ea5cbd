package vimoe.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import vimoe.model.Constants;
import vimoe.model.EncodedLayout;
import vimoe.moe.routing.HostPaths;

/**
 * AdamW (Loshchilov and Hutter, arXiv 1711.05101) with decoupled weight decay applied only to
 * weight matrices ({@link Parameter.Type#WEIGHT}): norms, biases, position embeddings, class token
 * and Soft MoE's scale are not decayed. Its state (step and moments) can be saved and restored, so
 * a resumed run continues exactly.
 *
 * <p>Speed: on a GPU, where every engine call is a launch, before the first update the parameters
 * of each decay group, and their moments, are moved into one flat array per group, each parameter
 * becoming a view of its slice, and an update is one call of the engine's fused in-place AdamW per
 * group; nothing is read back to the host. A step whose forward pass reads the parameters through
 * {@link #trainingStore} gets one flat gradient per group from the backward pass (see there);
 * otherwise the update concatenates the parameters' gradients and zeroes them. When the model's
 * arrays are replaced (a checkpoint loaded into it) the groups are rebuilt. On a CPU, where the
 * memory is the host's, float32 parameters are updated by Java loops in place (see {@link
 * #hostUpdate}); other types by the fused call per parameter (see {@link #parameterUpdate}).
 */
public final class AdamW {
  private static final double BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;
  private final List<Parameter> params;
  private final double weightDecay;
  private final NDManager manager;
  private final List<NDArray> means = new ArrayList<>();
  private final List<NDArray> variances = new ArrayList<>();

  /** The flat groups, built lazily; null when they must be (re)built. */
  private List<Group> groups;

  /** The parameter arrays the groups were built on, to notice a replaced array. */
  private NDArray[] viewed;

  private int step;

  /** The path the last step took. */
  private Mode lastPath;

  /**
   * How to update; null: flat groups on a GPU, host loops on a CPU (float32 arrays), else per
   * parameter.
   */
  private Mode mode;

  /**
   * Each group's fresh leaf of the step begun by {@link #trainingStore}, in group order; null
   * otherwise.
   */
  private List<NDArray> leaves;

  /** Whether the last step took its gradients from the leaves of {@link #trainingStore}. */
  private boolean lastFromLeaves;

  /** The parameter arrays found to be updatable in place through a host view. */
  private final java.util.Set<NDArray> aliased =
      java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

  /** The update paths; see the class comment. */
  enum Mode {
    /** One fused engine call per decay group, on flat arrays that the parameters view. */
    FLAT_GROUPS,
    /** One fused engine call per parameter. */
    PER_PARAMETER,
    /** Java loops over the parameters' and moments' memory, in place (CPU float32 only). */
    HOST
  }

  /**
   * The parameters sharing a decay rate, as views of one flat weight, mean and variance array (N).
   */
  private record Group(
      int[] members, float decay, NDArray weights, NDArray means, NDArray variances) {}

  /**
   * Creates the optimizer; its moments live in {@code manager}.
   *
   * @param params the trainable parameters, in a fixed order
   */
  public AdamW(List<Parameter> params, double weightDecay, NDManager manager) {
    this.params = List.copyOf(params);
    this.weightDecay = weightDecay;
    this.manager = manager;
    for (Parameter p : this.params) {
      means.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
      variances.add(manager.zeros(p.getArray().getShape(), p.getArray().getDataType()));
    }
  }

  /**
   * The parameter store for the forward pass of one training step. On the flat path (a GPU) each
   * decay group's flat weights are detached as a fresh leaf that requires a gradient, and the
   * parameters are read as views of its split (one engine call per group, then views): the backward
   * pass writes one flat gradient per group by a single concatenation, where otherwise each
   * parameter accumulates its own (a kernel each) and must be zeroed after the update (another
   * kernel each), and the update concatenates them again. Elsewhere the plain store. The next
   * {@link #step(double, double, NDManager)} takes the gradients from these leaves.
   *
   * @param manager the step's manager: the leaves and views live there
   */
  public ParameterStore trainingStore(NDManager manager) {
    leaves = null;
    if ((mode != null ? mode : defaultMode()) != Mode.FLAT_GROUPS) {
      return new ParameterStore(manager, false);
    }
    flatten();
    List<NDArray> fresh = new ArrayList<>(groups.size());
    IdentityHashMap<Parameter, NDArray> values = new IdentityHashMap<>();
    for (Group g : groups) {
      NDArray leaf = g.weights().stopGradient();
      leaf.attach(manager);
      leaf.setRequiresGradient(true);
      long[] sizes = new long[g.members().length];
      for (int j = 0; j < sizes.length; j++) {
        sizes[j] = params.get(g.members()[j]).getArray().size();
      }
      NDList parts =
          JniUtils.split((PtNDArray) leaf, sizes, 0); // split_with_sizes: its backward is one cat
      for (int j = 0; j < sizes.length; j++) {
        Parameter p = params.get(g.members()[j]);
        Shape shape = p.getArray().getShape(); // a 1-D piece is already the parameter: no view node
        values.put(p, shape.dimension() == 1 ? parts.get(j) : parts.get(j).reshape(shape));
      }
      fresh.add(leaf);
    }
    leaves = fresh;
    return new StepStore(manager, values);
  }

  /** A store that answers with the given arrays (views of the step's leaves) for its parameters. */
  private static final class StepStore extends ParameterStore {
    private final IdentityHashMap<Parameter, NDArray> values;

    StepStore(NDManager manager, IdentityHashMap<Parameter, NDArray> values) {
      super(manager, false);
      this.values = values;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
      NDArray v = values.get(parameter);
      return v != null && v.getDevice().equals(device)
          ? v
          : super.getValue(parameter, device, training);
    }
  }

  /**
   * Updates every parameter from its gradient at learning rate {@code lr}, then zeroes the
   * gradients.
   */
  public void step(double lr) {
    step(lr, 0, manager).close();
  }

  /**
   * Clips the gradients to the global L2 norm {@code maxNorm} (as PyTorch's {@code
   * clip_grad_norm_}: all scaled by {@code min(1, maxNorm / (norm + 1e-6))}; no clipping when
   * {@code maxNorm <= 0}), updates every parameter at learning rate {@code lr}, and zeroes the
   * gradients.
   *
   * <p>The engine's fused update computes {@code w -= lr wd w; m = b1 m + (1-b1) g; v = b2 v +
   * (1-b2) g^2; w -= lr' m / (sqrt(v) + eps')}; with {@code lr' = lr sqrt(c2) / c1} and {@code eps'
   * = eps sqrt(c2)} ({@code c_i = 1 - b_i^t}) this is exactly Adam's bias-corrected {@code w -= lr
   * (m / c1) / (sqrt(v / c2) + eps)}.
   *
   * @param manager where the returned norm lives (e.g. the step's manager)
   * @return the global gradient norm before clipping, a scalar on the parameters' device
   */
  public NDArray step(double lr, double maxNorm, NDManager manager) {
    step++;
    double c1 = 1 - Math.pow(BETA1, step), c2 = 1 - Math.pow(BETA2, step);
    float corrected = (float) (lr * Math.sqrt(c2) / c1), eps = (float) (EPS * Math.sqrt(c2));
    List<NDArray> stepLeaves = leaves;
    leaves = null;
    try (NDScope scope = new NDScope()) { // temporaries, and the gradient handles, die here
      Mode chosen = mode != null ? mode : defaultMode();
      lastFromLeaves = chosen == Mode.FLAT_GROUPS && stepLeaves != null;
      if (lastFromLeaves) {
        lastPath = chosen;
        NDArray norm = leafUpdate(stepLeaves, lr, maxNorm, corrected, eps);
        norm.attach(manager);
        NDScope.unregister(norm);
        return norm;
      }
      NDList grads = new NDList(params.size());
      for (Parameter p : params) {
        grads.add(p.getArray().getGradient());
      }
      if (chosen == Mode.HOST && !hostViewsAlias()) {
        chosen = Mode.PER_PARAMETER;
      }
      lastPath = chosen;
      NDArray norm =
          switch (chosen) {
            case FLAT_GROUPS -> flatUpdate(grads, lr, maxNorm, corrected, eps);
            case PER_PARAMETER -> parameterUpdate(grads, lr, maxNorm, corrected, eps);
            case HOST -> hostUpdate(grads, lr, maxNorm, corrected, eps);
          };
      for (NDArray g : grads) {
        g.subi(g);
      }
      norm.attach(manager);
      NDScope.unregister(norm);
      return norm;
    }
  }

  private Mode defaultMode() {
    NDArray first = params.get(0).getArray();
    if (!HostPaths.allowed(first)) {
      return Mode.FLAT_GROUPS;
    }
    boolean float32 = params.stream().allMatch(p -> p.getArray().getDataType() == DataType.FLOAT32);
    return float32 ? Mode.HOST : Mode.PER_PARAMETER;
  }

  /**
   * The update as Java loops over direct views of the CPU memory of the parameters, gradients and
   * moments: one pass for the norm, one for the update, both over all parameters in parallel
   * chunks. The engine's fused call makes 13 passes over each parameter, with temporaries; at micro
   * with two MoE layers (0.77M parameters, 2 cores) it took 9-10 ms per step, the loops about 2 ms.
   * Same arithmetic as {@link #fused}, in float32.
   */
  private NDArray hostUpdate(NDList grads, double lr, double maxNorm, float corrected, float eps) {
    int n = params.size();
    FloatBuffer[] w = new FloatBuffer[n],
        g = new FloatBuffer[n],
        m = new FloatBuffer[n],
        v = new FloatBuffer[n];
    float[] keep = new float[n];
    List<int[]> chunks = new ArrayList<>(); // {parameter, from, to}
    for (int i = 0; i < n; i++) {
      w[i] = view(params.get(i).getArray());
      g[i] = view(grads.get(i));
      m[i] = view(means.get(i));
      v[i] = view(variances.get(i));
      boolean decayed = weightDecay > 0 && params.get(i).getType() == Parameter.Type.WEIGHT;
      keep[i] = decayed ? (float) (1 - lr * weightDecay) : 1f;
      int size = w[i].capacity();
      for (int from = 0; from < size; from += HOST_CHUNK) {
        chunks.add(new int[] {i, from, Math.min(size, from + HOST_CHUNK)});
      }
    }
    double squares =
        chunks.parallelStream()
            .mapToDouble(
                c -> {
                  double sum = 0;
                  FloatBuffer gi = g[c[0]];
                  for (int j = c[1]; j < c[2]; j++) {
                    double x = gi.get(j);
                    sum += x * x;
                  }
                  return sum;
                })
            .sum();
    double norm = Math.sqrt(squares);
    float scale = maxNorm > 0 ? (float) (maxNorm / Math.max(norm + 1e-6, maxNorm)) : 1f;
    float b1 = (float) BETA1,
        b2 = (float) BETA2,
        a1 = (float) (1 - BETA1),
        a2 = (float) (1 - BETA2);
    chunks.parallelStream()
        .forEach(
            c -> {
              int i = c[0];
              FloatBuffer wi = w[i], gi = g[i], mi = m[i], vi = v[i];
              float k = keep[i];
              for (int j = c[1]; j < c[2]; j++) {
                float gj = gi.get(j) * scale;
                float mj = b1 * mi.get(j) + a1 * gj;
                float vj = b2 * vi.get(j) + a2 * gj * gj;
                mi.put(j, mj);
                vi.put(j, vj);
                wi.put(j, wi.get(j) * k - corrected * mj / ((float) Math.sqrt(vj) + eps));
              }
            });
    return manager.create((float) norm);
  }

  /** Parameters per parallel task of {@link #hostUpdate}. */
  private static final int HOST_CHUNK = 1 << 15;

  /**
   * A float view of a contiguous CPU array's own memory (a copy if it is not contiguous: see {@link
   * #hostViewsAlias}).
   */
  private static FloatBuffer view(NDArray a) {
    return a.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /**
   * Whether writes through {@link #view} reach every parameter and moment (they do for contiguous
   * arrays, which is what DJL creates; checked once per array by writing through the view and
   * reading the element back through the engine).
   */
  private boolean hostViewsAlias() {
    List<NDArray> arrays = new ArrayList<>(means);
    arrays.addAll(variances);
    params.forEach(p -> arrays.add(p.getArray()));
    for (NDArray a : arrays) {
      if (a.size() == 0 || aliased.contains(a)) {
        continue;
      }
      FloatBuffer view = view(a);
      float old = view.get(0), probe = old == 0f ? 1f : -old;
      view.put(0, probe);
      float seen = a.reshape(-1).get(0).toFloatArray()[0];
      view.put(0, old);
      if (seen != probe) {
        return false;
      }
      aliased.add(a);
    }
    return true;
  }

  /**
   * The update on flat groups from the flat gradients of the leaves of {@link #trainingStore}: one
   * fused call per group, nothing to concatenate or zero.
   *
   * @return the gradient norm before clipping
   */
  private NDArray leafUpdate(
      List<NDArray> stepLeaves, double lr, double maxNorm, float corrected, float eps) {
    List<NDArray> flat = new ArrayList<>(stepLeaves.size()); // per group, its gradient (N)
    for (NDArray leaf : stepLeaves) {
      NDArray grad = leaf.getGradient(); // null when no parameter of the group took part
      flat.add(grad != null ? grad : leaf.zerosLike());
    }
    return groupUpdate(flat, lr, maxNorm, corrected, eps);
  }

  /**
   * The update on flat groups (on a GPU) from the parameters' own gradients: one concatenation of
   * the gradients and one fused call per group, few launches.
   *
   * @return the gradient norm before clipping
   */
  private NDArray flatUpdate(NDList grads, double lr, double maxNorm, float corrected, float eps) {
    flatten(); // after taking the gradients: a parameter made a view starts without one
    List<NDArray> flat = new ArrayList<>(); // per group, its gradients (N)
    for (Group g : groups) {
      NDList parts = new NDList(g.members().length);
      for (int i : g.members()) {
        parts.add(grads.get(i).reshape(-1));
      }
      flat.add(parts.size() == 1 ? parts.head() : NDArrays.concat(parts));
    }
    return groupUpdate(flat, lr, maxNorm, corrected, eps);
  }

  /**
   * Clips the groups' flat gradients (N) together and updates each group by one fused call; returns
   * the norm.
   */
  private NDArray groupUpdate(
      List<NDArray> flat, double lr, double maxNorm, float corrected, float eps) {
    NDArray norm =
        flat.size() == 1
            ? flat.get(0).norm()
            : NDArrays.stack(new NDList(flat.stream().map(NDArray::norm).toList())).norm();
    clip(flat, norm, maxNorm);
    for (int k = 0; k < groups.size(); k++) {
      Group g = groups.get(k);
      fused(g.weights(), flat.get(k), g.means(), g.variances(), lr, corrected, g.decay(), eps);
    }
    return norm;
  }

  /**
   * The update parameter by parameter (a CPU's arrays that are not float32): the same fused call on
   * each parameter. The engine's update makes temporaries the size of its input; flat groups made
   * them the size of the model (284 MB at ViT-S with 6 MoE layers), which the C allocator maps
   * fresh on every step: 2.2 times the page faults of the per-parameter update, and MoE models (3.4
   * times the parameters of dense) fell from 0.86x to 0.64x of dense in `bench` at `s`.
   *
   * @return the gradient norm before clipping
   */
  private NDArray parameterUpdate(
      NDList grads, double lr, double maxNorm, float corrected, float eps) {
    NDArray norm = NDArrays.stack(new NDList(grads.stream().map(NDArray::norm).toList())).norm();
    clip(grads, norm, maxNorm);
    for (int i = 0; i < params.size(); i++) {
      Parameter p = params.get(i);
      float decay =
          weightDecay > 0 && p.getType() == Parameter.Type.WEIGHT ? (float) weightDecay : 0f;
      fused(p.getArray(), grads.get(i), means.get(i), variances.get(i), lr, corrected, decay, eps);
    }
    return norm;
  }

  /**
   * Scales the gradients by min(1, maxNorm / (norm + 1e-6)), as PyTorch's clip_grad_norm_; none
   * when maxNorm <= 0.
   */
  private static void clip(List<NDArray> grads, NDArray norm, double maxNorm) {
    if (maxNorm > 0) {
      // min(1, maxNorm / (norm + 1e-6)) = maxNorm / max(norm + 1e-6, maxNorm), with device
      // constants
      NDArray max = Constants.scalar(maxNorm, norm.getDevice());
      NDArray coefficient =
          max.div(norm.add(Constants.scalar(1e-6, norm.getDevice())).maximum(max));
      grads.forEach(f -> f.muli(coefficient));
    }
  }

  /**
   * The engine's fused in-place AdamW update of {@code w} and its moments (see {@link #step(double,
   * double, NDManager)}).
   */
  private static void fused(
      NDArray w,
      NDArray grad,
      NDArray mean,
      NDArray variance,
      double lr,
      float corrected,
      float decay,
      float eps) {
    // rescale 1 and clip -1: no element-wise rescaling or clamping; the last flag selects AdamW
    w.getNDArrayInternal()
        .adamUpdate(
            new NDList(w, grad, mean, variance),
            new NDList(w),
            (float) lr,
            corrected,
            decay,
            1f,
            -1f,
            (float) BETA1,
            (float) BETA2,
            eps,
            false,
            true);
  }

  /**
   * Makes each parameter and its moments views of flat per-group arrays, unless they already are.
   * The values are kept; the Java arrays stay the same objects (their engine handles change).
   */
  private void flatten() {
    if (groups != null) {
      boolean same = true;
      for (int i = 0; i < params.size() && same; i++) {
        same = params.get(i).getArray() == viewed[i];
      }
      if (same) {
        return;
      }
    }
    List<Group> old = groups;
    groups = new ArrayList<>();
    viewed = new NDArray[params.size()];
    for (boolean decayed : new boolean[] {true, false}) {
      int[] members =
          java.util.stream.IntStream.range(0, params.size())
              .filter(
                  i ->
                      (weightDecay > 0 && params.get(i).getType() == Parameter.Type.WEIGHT)
                          == decayed)
              .toArray();
      if (members.length == 0) {
        continue;
      }
      List<NDArray> w = new ArrayList<>();
      for (int i : members) {
        w.add(params.get(i).getArray());
      }
      Group g =
          new Group(
              members,
              decayed ? (float) weightDecay : 0f,
              flat(w),
              flat(members, means),
              flat(members, variances));
      long offset = 0;
      for (int i : members) {
        NDArray p = params.get(i).getArray();
        long n = p.size();
        NDIndex slice = new NDIndex().addSliceDim(offset, offset + n);
        p.intern(g.weights().get(slice).reshape(p.getShape()));
        p.setRequiresGradient(true);
        means.get(i).intern(g.means().get(slice).reshape(p.getShape()));
        variances.get(i).intern(g.variances().get(slice).reshape(p.getShape()));
        viewed[i] = p;
        offset += n;
      }
      groups.add(g);
    }
    if (old != null) { // the moments and parameters now view the new arrays
      old.forEach(g -> new NDList(g.weights(), g.means(), g.variances()).close());
    }
  }

  private NDArray flat(int[] members, List<NDArray> arrays) {
    List<NDArray> picked = new ArrayList<>();
    for (int i : members) {
      picked.add(arrays.get(i));
    }
    return flat(picked);
  }

  /** The arrays' values, one after the other, in a new 1-D array of this optimizer's manager. */
  private NDArray flat(List<NDArray> arrays) {
    try (NDScope scope = new NDScope()) {
      NDList parts = new NDList(arrays.size());
      for (NDArray a : arrays) {
        parts.add(a.stopGradient().reshape(-1));
      }
      NDArray out = NDArrays.concat(parts);
      out.attach(manager);
      NDScope.unregister(out);
      return out;
    }
  }

  /**
   * A copy of {@code a} on {@code device} that owns its memory. A decoded array only borrows the
   * Java buffer it was read from, and {@code toDevice} to its own device returns the same tensor:
   * the moments must not point into a buffer the garbage collector may free (seen as NaN losses a
   * few steps after a resume).
   */
  private static NDArray ownCopy(NDArray a, ai.djl.Device device) {
    return a.getDevice().equals(device) ? a.duplicate() : a.toDevice(device, true);
  }

  /** Chooses the update path on any device, for tests. */
  AdamW mode(Mode value) {
    mode = value;
    return this;
  }

  /** The update path of the last step, for tests. */
  Mode lastPath() {
    return lastPath;
  }

  /**
   * Whether the last step took its gradients from the leaves of {@link #trainingStore}, for tests.
   */
  boolean lastFromLeaves() {
    return lastFromLeaves;
  }

  /** Steps taken so far. */
  public int steps() {
    return step;
  }

  /** The state: step count and moments, for a checkpoint. */
  public byte[] encodeState() {
    NDList state = new NDList();
    state.addAll(means);
    state.addAll(variances);
    return encode(step, state);
  }

  private static byte[] encode(int step, NDList moments) {
    byte[] encoded = moments.encode();
    byte[] out = new byte[encoded.length + 4];
    java.nio.ByteBuffer.wrap(out).putInt(step).put(encoded);
    return out;
  }

  /**
   * The layout of {@link #encodeState()} for these parameters, to check a state file before it is
   * decoded (see {@link EncodedLayout}).
   */
  public EncodedLayout stateLayout() {
    try (NDManager scratch = NDManager.newBaseManager()) {
      byte[][] encodings = new byte[2][];
      for (int fill = 0; fill < 2; fill++) {
        NDList moments = new NDList();
        for (int copy = 0; copy < 2; copy++) {
          for (NDArray m : means) {
            moments.add(
                fill == 0
                    ? scratch.zeros(m.getShape(), m.getDataType())
                    : scratch.full(m.getShape(), EncodedLayout.PATTERN, m.getDataType()));
          }
        }
        encodings[fill] = encode(fill == 0 ? 0 : 0x01010101, moments);
      }
      return EncodedLayout.of(encodings[0], encodings[1]);
    }
  }

  /** Restores a state written by {@link #encodeState()} for the same parameters. */
  public void decodeState(byte[] bytes, NDManager manager) {
    java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
    int savedStep = buffer.getInt();
    byte[] moments = new byte[bytes.length - 4];
    buffer.get(moments);
    NDList state = NDList.decode(manager, moments);
    if (state.size() != 2 * params.size()) {
      throw new IllegalArgumentException(
          "optimizer state has "
              + state.size() / 2
              + " parameters, the model has "
              + params.size());
    }
    for (int i = 0; i < params.size(); i++) {
      means.get(i).intern(ownCopy(state.get(i), means.get(i).getDevice()));
      variances.get(i).intern(ownCopy(state.get(params.size() + i), variances.get(i).getDevice()));
    }
    state.close();
    groups = null;
    step = savedStep;
  }
}
