package vimoe.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Constant arrays made once per device and kept for the life of the process. Turning a Java number
 * into an array costs a host-to-device copy, and on a GPU that copy waits for all queued work, so a
 * training step must not do it: it takes its constants from here. Constants never take part in
 * autograd as variables, so the backward pass may read them long after the step that used them.
 */
public final class Constants {
  private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();
  private static final Map<String, NDArray> CACHE = new ConcurrentHashMap<>();

  private Constants() {}

  /** {@code value} as a float32 scalar on {@code device}. */
  public static NDArray scalar(double value, Device device) {
    return of("scalar " + value, device, m -> m.create((float) value));
  }

  /**
   * The array {@code make} builds on {@code device} under {@code key}, built the first time only.
   *
   * @param make builds the array in the given manager (on {@code device})
   */
  public static NDArray of(String key, Device device, Function<NDManager, NDArray> make) {
    return CACHE.computeIfAbsent(
        key + " @" + device,
        k -> {
          NDManager manager = MANAGERS.computeIfAbsent(device, d -> NDManager.newBaseManager(d));
          NDArray array = make.apply(manager);
          array.attach(manager);
          NDScope.unregister(array); // a step's scope must not close it
          return array;
        });
  }
}
