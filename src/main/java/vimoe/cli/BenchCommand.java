package vimoe.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import vimoe.bench.TrainingThroughput;
import vimoe.model.VitConfig;
import vimoe.moe.routing.Routers;

/**
 * {@code vimoe bench}: training throughput of every router against the dense baseline, in one run.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Measure training throughput (images/s, training mode) of the dense baseline and each router "
            + "on random images, and print each router's ratio to dense measured in the same run.")
final class BenchCommand implements Callable<Integer> {
  @Mixin ModelOptions model = new ModelOptions();

  @Mixin InputShapeOptions input = new InputShapeOptions();

  @Mixin DeviceOptions device = new DeviceOptions();

  @Option(
      names = "--routers",
      split = ",",
      paramLabel = "NAMES",
      description = "Routers to measure (default: the eight of the 2024 study).")
  List<String> routers;

  @Option(
      names = "--batch-size",
      defaultValue = "128",
      paramLabel = "B",
      description = "Images per step (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(
      names = "--steps",
      defaultValue = "10",
      paramLabel = "N",
      description = "Timed steps per router per round (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      paramLabel = "N",
      description =
          "Rounds; a router's ratio is the median of its ratios to dense in each round "
              + "(default ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws IOException {
    List<VitConfig> configs = Errors.input(this::configs);
    System.err.printf(
        "training throughput of %s on %s, batch %d, %d steps x %d rounds per router...%n",
        model.variant, device.device(), batch, steps, rounds);
    var rows =
        TrainingThroughput.measure(configs, batch, 3, steps, rounds, device.device(), System.err);
    System.out.printf("%-13s %12s %10s%n", "router", "images/s", "vs dense");
    for (var row : rows) {
      System.out.printf(
          "%-13s %12.1f %9.2fx%n", row.router(), row.imagesPerSecond(), row.ratioToDense());
    }
    return 0;
  }

  /** The model of each router to measure, dense first, checked against the options. */
  private List<VitConfig> configs() {
    for (var option :
        List.of(
            Map.entry("--batch-size", batch),
            Map.entry("--steps", steps),
            Map.entry("--rounds", rounds))) {
      if (option.getValue() < 1) {
        throw new IllegalArgumentException(
            option.getKey() + " must be >= 1, got " + option.getValue());
      }
    }
    List<String> names = new ArrayList<>(List.of("dense"));
    for (String r : routers != null ? routers : Routers.studied()) {
      if (!r.equals("dense")) {
        names.add(r);
      }
    }
    List<VitConfig> configs = new ArrayList<>();
    Map<String, String> routerOptions = model.routerOptions;
    for (String name : names) {
      model.router = name;
      // the baseline has no router: --router-option is for the routers it is compared with
      model.routerOptions = name.equals("dense") ? Map.of() : routerOptions;
      try {
        configs.add(model.config(input.imageSize, input.channels, input.classes));
      } finally {
        model.routerOptions = routerOptions;
      }
    }
    VitConfig.checkWholeGroups(batch, configs.get(0).groupImages());
    return configs;
  }
}
