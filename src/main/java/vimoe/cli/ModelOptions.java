package vimoe.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;
import vimoe.model.Pooling;
import vimoe.model.Variants;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterOption;
import vimoe.moe.routing.RouterSpec;

/**
 * The model options shared by {@code train} and {@code info}: a variant, a router, and overrides.
 */
final class ModelOptions {
  @Option(
      names = "--model",
      defaultValue = "micro",
      paramLabel = "VARIANT",
      description = "Model variant: micro, ti, s, b (default: ${DEFAULT-VALUE}).")
  String variant;

  @Option(
      names = "--router",
      defaultValue = "softmax-ec",
      paramLabel = "NAME",
      description =
          "Router of the MoE layers, or dense (see 'vimoe routers'; default: ${DEFAULT-VALUE}).")
  String router;

  @Option(names = "--k", paramLabel = "K", description = "Experts per token (Token Choice).")
  Integer k;

  @Option(
      names = "--capacity-factor",
      paramLabel = "CF",
      description = "Capacity factor (default 1).")
  Double capacityFactor;

  @Option(
      names = "--router-option",
      paramLabel = "NAME=VALUE",
      description =
          "Any router option by its JSON name (listed by 'vimoe routers'), e.g. noise_std=0.5;"
              + " repeatable.")
  Map<String, String> routerOptions = new LinkedHashMap<>();

  @Option(names = "--experts", paramLabel = "E", description = "Experts per MoE layer (default 8).")
  Integer experts;

  @Option(
      names = "--expert-hidden",
      paramLabel = "H",
      description = "Hidden width of each expert (default: the MLP width).")
  Integer expertHidden;

  @Option(
      names = "--moe-layers",
      paramLabel = "PLACEMENT",
      description = "Which blocks are MoE: last:N, every:N or indices like 1,3 (default last:2).")
  String moeLayers;

  @Option(
      names = "--group-images",
      paramLabel = "N",
      description = "Images per routing group (default 1).")
  Integer groupImages;

  @Option(names = "--patch-size", paramLabel = "P", description = "Patch size (default 4).")
  Integer patchSize;

  @Option(names = "--width", paramLabel = "D", description = "Model width.")
  Integer width;

  @Option(names = "--depth", paramLabel = "N", description = "Encoder blocks.")
  Integer depth;

  @Option(names = "--heads", paramLabel = "N", description = "Attention heads.")
  Integer heads;

  @Option(
      names = "--mlp-dim",
      paramLabel = "N",
      description = "Hidden width of the dense MLP blocks.")
  Integer mlpDim;

  @Option(
      names = "--pooling",
      paramLabel = "gap|token",
      description = "Global average pooling or class token (default gap).")
  String pooling;

  /**
   * The router spec: the router's defaults, then --k, --capacity-factor and every --router-option.
   */
  RouterSpec routerSpec() {
    RouterSpec.Builder b = RouterSpec.of(router).toBuilder();
    if (k != null) {
      b.optK(k);
    }
    if (capacityFactor != null) {
      b.optCapacityFactor(capacityFactor);
    }
    routerOptions.forEach((name, value) -> b.optOption(name, RouterOption.fromText(value)));
    return b.build();
  }

  /** The model configuration for images of the given size, channels and classes. */
  VitConfig config(int imageSize, int channels, int classes) {
    // The overrides replace the variant's defaults before anything is validated.
    Variants.Defaults v = Variants.defaults(variant);
    return new VitConfig(
        imageSize,
        channels,
        or(patchSize, v.patchSize()),
        or(width, v.width()),
        or(depth, v.depth()),
        or(heads, v.heads()),
        or(mlpDim, v.mlpDim()),
        classes,
        pooling == null ? v.pooling() : Pooling.parse(pooling),
        moeLayers == null ? v.moeLayers() : moeLayers,
        routerSpec(),
        or(experts, v.experts()),
        or(expertHidden, mlpDim != null ? mlpDim : v.expertHidden()),
        or(groupImages, v.groupImages()));
  }

  private static int or(Integer value, int fallback) {
    return value == null ? fallback : value;
  }
}
