package vimoe.cli;

import ai.djl.Device;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import vimoe.model.Devices;

/** {@code --device}: where the model's arrays live and its computations run. */
final class DeviceOptions {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  private Device device;

  /** Whether a GPU named must be one this machine's engine sees (not for plans run elsewhere). */
  private final boolean checkHere;

  /** Checks a named GPU against this machine's engine. */
  DeviceOptions() {
    this(true);
  }

  private DeviceOptions(boolean checkHere) {
    this.checkHere = checkHere;
  }

  /**
   * For a command that only writes commands for other machines ({@code study plan}): the name's
   * form is checked, not that this machine has the GPU.
   */
  static DeviceOptions forOtherMachines() {
    return new DeviceOptions(false);
  }

  @Option(
      names = "--device",
      paramLabel = "DEVICE",
      description =
          "cpu, gpu (the first GPU) or gpu:N (default: the engine's default, its first GPU when it sees one, else cpu).")
  void setDevice(String name) {
    try {
      device = checkHere ? Devices.parse(name) : Devices.parse(name, Integer.MAX_VALUE);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** The device chosen, or the engine's default. */
  Device device() {
    return device != null ? device : Devices.defaultDevice();
  }
}
