package vimoe.moe.routing;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Java numbers as tensors on an array's own device, and arithmetic with them on arrays that take
 * part in autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)} wraps the number in a temporary array backed by a direct
 * buffer and closes it at once; PyTorch's backward of a product still reads that operand, by then
 * freed memory, which showed up as NaN gradients once in a while. Here the number is made once per
 * device, type and value by a fill on the device ({@code torch::full}) and kept for the life of the
 * process, so it outlives every backward pass, and a training step launches no fill for it (on a
 * GPU each fill is a launch; a Java buffer copied there would wait for all queued work). The fill
 * takes a {@code double}, so float64 constants are exact. Constants are operands only: never the
 * receiver of an operation, whose result would live as long as the constant (see {@link #fresh}).
 */
public final class Scalars {
  /**
   * Beyond this many cached numbers (a caller making ever new ones), constants are made per call.
   */
  private static final int MAX_CACHED = 4096;

  private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();
  private static final Map<Key, NDArray> CACHE = new ConcurrentHashMap<>();
  private static final Map<String, NDArray> INDEX_CACHE = new ConcurrentHashMap<>();

  private record Key(Device device, DataType type, long bits) {}

  private Scalars() {}

  /** {@code a * c}, safe to differentiate. */
  public static NDArray mul(NDArray a, double c) {
    return a.mul(constant(a, c));
  }

  /** {@code a / c}, safe to differentiate. */
  public static NDArray div(NDArray a, double c) {
    return a.div(constant(a, c));
  }

  /**
   * The number {@code c} as a scalar of {@code like}'s data type, on its device; an operand only.
   */
  public static NDArray constant(NDArray like, double c) {
    return constant(like, c, like.getDataType());
  }

  /**
   * The number {@code c} as a scalar of the given type, on {@code like}'s device; an operand only.
   */
  public static NDArray constant(NDArray like, double c, DataType type) {
    Key key = new Key(like.getDevice(), type, Double.doubleToLongBits(c));
    NDArray cached = CACHE.get(key);
    if (cached != null) {
      return cached;
    }
    if (CACHE.size() >= MAX_CACHED || !(like.getManager() instanceof PtNDManager)) {
      return fresh(like, c, type);
    }
    return CACHE.computeIfAbsent(
        key,
        k -> {
          NDManager manager =
              MANAGERS.computeIfAbsent(k.device(), d -> NDManager.newBaseManager(d, "PyTorch"));
          NDArray made = fill((PtNDManager) manager, c, type, k.device());
          NDScope.unregister(made); // a step's scope must not close it
          return made;
        });
  }

  /**
   * An array that depends only on shapes (an index pattern such as a reshaped range), made once per
   * key and device by {@code make} in a manager that lives as long as the process, like the numbers
   * of {@link #constant}; an operand only. Beyond the cache's size, made per call in {@code like}'s
   * manager.
   *
   * @param key names the array and every number it depends on
   * @param make builds the array in the given manager, on {@code like}'s device
   */
  public static NDArray cached(NDArray like, String key, Function<NDManager, NDArray> make) {
    Device device = like.getDevice();
    String full = key + " @" + device;
    NDArray hit = INDEX_CACHE.get(full);
    if (hit != null) {
      return hit;
    }
    if (INDEX_CACHE.size() >= MAX_CACHED || !(like.getManager() instanceof PtNDManager)) {
      return make.apply(like.getManager());
    }
    return INDEX_CACHE.computeIfAbsent(
        full,
        k -> {
          NDManager manager =
              MANAGERS.computeIfAbsent(device, d -> NDManager.newBaseManager(d, "PyTorch"));
          NDArray made;
          try (NDScope scope =
              new NDScope()) { // the temporaries of make die here; the result stays
            made = make.apply(manager);
            NDScope.unregister(made);
          }
          return made;
        });
  }

  /**
   * The range start, start+step, ... below stop as int64, reshaped to {@code shape}; cached as
   * {@link #cached}.
   */
  public static NDArray range(NDArray like, long start, long stop, long step, long... shape) {
    return cached(
        like,
        "range " + start + " " + stop + " " + step + " " + java.util.Arrays.toString(shape),
        m ->
            m.arange((float) start, (float) stop, (float) step, DataType.INT64, like.getDevice())
                .reshape(shape));
  }

  /**
   * The number {@code c} as a new scalar in {@code like}'s manager (a fill each call), for use as a
   * receiver.
   */
  public static NDArray fresh(NDArray like, double c, DataType type) {
    NDManager m = like.getManager();
    if (m instanceof PtNDManager pt) {
      return fill(pt, c, type, like.getDevice());
    }
    return m.create(c).toType(type, false);
  }

  private static NDArray fill(PtNDManager manager, double c, DataType type, Device device) {
    return JniUtils.full(
        manager, new Shape(), c, type, device, ai.djl.ndarray.types.SparseFormat.DENSE);
  }
}
