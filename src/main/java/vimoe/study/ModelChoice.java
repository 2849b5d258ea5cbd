package vimoe.study;

import java.util.Map;
import vimoe.model.Pooling;
import vimoe.model.Variants;
import vimoe.model.VitConfig;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterSpec;

/**
 * The model of a study: a variant and the overrides of {@code train}'s model options (null: the
 * variant's value). The router is not part of it: the study sets it per run.
 *
 * @param variant micro, ti, s or b
 * @param k experts per token K of Token Choice; other routers get K times the capacity factor
 *     instead
 * @param capacityFactor CF
 * @param routerOptions options of docs/routing.md by JSON name, as typed on the command line
 * @param experts E
 * @param expertHidden H
 * @param moeLayers placement of the MoE blocks
 * @param groupImages images per routing group
 * @param patchSize patch size
 * @param width D
 * @param depth encoder blocks
 * @param heads attention heads
 * @param mlpDim hidden width of the dense MLP
 * @param pooling gap or token
 */
public record ModelChoice(
    String variant,
    Integer k,
    Double capacityFactor,
    Map<String, String> routerOptions,
    Integer experts,
    Integer expertHidden,
    String moeLayers,
    Integer groupImages,
    Integer patchSize,
    Integer width,
    Integer depth,
    Integer heads,
    Integer mlpDim,
    String pooling) {

  /** Copies the options map; the variant defaults to micro. */
  public ModelChoice {
    variant = variant == null ? "micro" : variant;
    routerOptions =
        routerOptions == null ? Map.of() : Map.copyOf(new java.util.TreeMap<>(routerOptions));
  }

  /**
   * The model of one run at equal compute: every router gets the same E*C slots per group. Token
   * Choice takes K and CF as given; Expert Choice and Soft MoE take K = 1 and a capacity factor of
   * K * CF (docs/routing.md, "Capacity"), so that C = S*K*CF/E for all of them.
   *
   * @param router the router, or dense
   * @param point the swept values of this run (capacity_factor, experts, k, group_images)
   */
  public VitConfig config(
      String router, GridPoint point, int imageSize, int channels, int classes) {
    RouterSpec spec = RouterSpec.of(router);
    if (spec.family() == Family.DENSE) {
      return config(spec, point, imageSize, channels, classes);
    }
    RouterSpec.Builder b = RouterVariant.builder(router, routerOptions, Map.of());
    return config(equalCompute(b, spec.family(), point), point, imageSize, channels, classes);
  }

  /**
   * As {@link #config(String, GridPoint, int, int, int)} for a router variant: its router with the
   * study's router options and then its own, at the same equal compute as every router.
   */
  public VitConfig config(
      RouterVariant entry, GridPoint point, int imageSize, int channels, int classes) {
    RouterSpec.Builder b = entry.builder(routerOptions);
    return config(
        equalCompute(b, RouterSpec.of(entry.router()).family(), point),
        point,
        imageSize,
        channels,
        classes);
  }

  /** Sets K and the capacity factor so that C = S*K*CF/E for every family (docs/routing.md). */
  private RouterSpec equalCompute(RouterSpec.Builder b, Family family, GridPoint point) {
    int kk = point.intOr("k", k == null ? 1 : k);
    double cf = point.doubleOr("capacity_factor", capacityFactor == null ? 1.0 : capacityFactor);
    if (family.takesK()) {
      b.optK(kk).optCapacityFactor(cf);
    } else {
      b.optCapacityFactor(cf * kk);
    }
    return b.build();
  }

  private VitConfig config(
      RouterSpec spec, GridPoint point, int imageSize, int channels, int classes) {
    Variants.Defaults v =
        Variants.defaults(variant); // overrides replace the defaults before anything is validated
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
        spec,
        point.intOr("experts", or(experts, v.experts())),
        or(expertHidden, mlpDim != null ? mlpDim : v.expertHidden()),
        point.intOr("group_images", or(groupImages, v.groupImages())));
  }

  private static int or(Integer value, int fallback) {
    return value == null ? fallback : value;
  }
}
