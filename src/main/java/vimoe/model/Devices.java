package vimoe.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * The device a model runs on, named as on the command line: {@code cpu}, {@code gpu} or {@code
 * gpu:N}.
 */
public final class Devices {
  private Devices() {}

  /** The engine's default device: its first GPU when it sees one, else the CPU. */
  public static Device defaultDevice() {
    return Engine.getInstance().defaultDevice();
  }

  /**
   * The device {@code name} names, checked against the GPUs the engine sees.
   *
   * @throws IllegalArgumentException naming the option, the problem and the remedy
   */
  public static Device parse(String name) {
    return parse(name, Engine.getInstance().getGpuCount());
  }

  /** As {@link #parse(String)}, on a machine with {@code gpus} GPUs. */
  public static Device parse(String name, int gpus) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    Device device;
    if (n.equals("cpu")) {
      device = Device.cpu();
    } else if (n.equals("gpu")) {
      device = Device.gpu(0);
    } else if (n.matches("gpu:[0-9]{1,4}")) {
      device = Device.gpu(Integer.parseInt(n.substring(4)));
    } else {
      throw new IllegalArgumentException("--device must be cpu, gpu or gpu:N, got '" + name + "'");
    }
    if (device.isGpu() && device.getDeviceId() >= gpus) {
      throw new IllegalArgumentException(
          "--device "
              + name
              + ": "
              + (gpus == 0
                  ? "the engine sees no GPU here (a CPU build of PyTorch, or no CUDA driver); use --device cpu, "
                      + "or see README 'Running on a GPU'"
                  : "the engine sees "
                      + gpus
                      + " GPU"
                      + (gpus == 1 ? "" : "s")
                      + " (gpu:0 to gpu:"
                      + (gpus - 1)
                      + "); pick one of them"));
    }
    return device;
  }
}
