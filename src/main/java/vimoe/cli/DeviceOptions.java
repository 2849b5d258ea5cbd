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

  @Option(
      names = "--device",
      paramLabel = "DEVICE",
      description =
          "cpu, gpu (the first GPU) or gpu:N (default: the engine's default, its first GPU when it sees one, else cpu).")
  void setDevice(String name) {
    try {
      device = Devices.parse(name);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** The device chosen, or the engine's default. */
  Device device() {
    return device != null ? device : Devices.defaultDevice();
  }
}
