package vimoe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import vimoe.model.ModelInfo;
import vimoe.model.VitConfig;

/** {@code vimoe info}: parameters and FLOPs of a model configuration. */
@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description =
        "Parameter count (total and active per token) and forward FLOPs per image of a configuration.")
final class InfoCommand implements Callable<Integer> {
  @Mixin ModelOptions model = new ModelOptions();

  @Mixin InputShapeOptions input = new InputShapeOptions();

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    VitConfig config =
        Errors.input(() -> model.config(input.imageSize, input.channels, input.classes));
    ModelInfo info = ModelInfo.of(config);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("variant", model.variant);
    out.put("router", config.router().router());
    out.put("moe_blocks", config.moeBlocks());
    out.put("tokens_per_image", config.tokensPerImage());
    out.put("parameters_total", info.totalParameters());
    out.put("parameters_active_per_token", info.activeParametersPerToken());
    out.put("flops_per_image", info.flopsPerImage());
    out.put("parameters_by_part", info.parametersByPart());
    if (json) {
      System.out.println(
          new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out));
    } else {
      out.forEach((k, v) -> System.out.printf("%-28s %s%n", k, v));
    }
    return 0;
  }
}
