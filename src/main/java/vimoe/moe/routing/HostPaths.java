package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;

/**
 * Whether work on an array may take the host paths (Java loops over its memory, reads to decide):
 * on a CPU, where a read costs nothing, yes; on a GPU, where a read waits for all queued work, no.
 * The system property {@code vimoe.devicePaths=true} makes a CPU take the GPU's tensor programs
 * too, so that their engine calls can be counted and profiled on a machine without a GPU.
 */
public final class HostPaths {
  private static final boolean DEVICE_PATHS = Boolean.getBoolean("vimoe.devicePaths");

  private HostPaths() {}

  /** Whether {@code vimoe.devicePaths=true} forces the device paths on a CPU. */
  public static boolean forced() {
    return DEVICE_PATHS;
  }

  /** True when {@code a} lives on a CPU and the device paths are not forced. */
  public static boolean allowed(NDArray a) {
    return !DEVICE_PATHS && !a.getDevice().isGpu();
  }
}
