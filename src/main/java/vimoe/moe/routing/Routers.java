package vimoe.moe.routing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of routers (docs/routing.md): one {@link RouterInfo} per router, with its family,
 * score, input, the options that apply, its defaults and its factory. Nothing else in the project
 * switches on a router's name.
 */
public final class Routers {
  private static final Map<String, RouterInfo> INFO = new LinkedHashMap<>();

  /** Options every router with slots has. */
  private static final List<String> CAPACITY =
      List.of("capacity_factor", "capacity_rounding", "capacity_multiple_of");

  private static final List<String> TOKEN_CHOICE =
      List.of("k", "batch_priority", "normalize_gates");
  private static final List<String> NOISE = List.of("noise_std");
  private static final List<String> SINKHORN = List.of("sinkhorn_epsilon", "sinkhorn_iterations");
  private static final List<String> OT = List.of("ot_iterations", "ot_learning_rate");
  private static final List<String> VMOE_LOSSES =
      List.of("importance_weight", "load_weight", "z_loss_weight");

  static {
    add(
        "softmax-tc",
        Family.TOKEN_CHOICE,
        SelectionScore.GATES,
        "top-K experts per token by softmax gates",
        "V-MoE, Riquelme et al. 2021 (arXiv 2106.05974)",
        options(TOKEN_CHOICE, CAPACITY, NOISE, VMOE_LOSSES),
        Map.of("noise_std", 1.0, "importance_weight", 0.005, "load_weight", 0.005),
        spec -> new TokenChoiceRouter(spec, SelectionScore.GATES));
    add(
        "sinkhorn-tc",
        Family.TOKEN_CHOICE,
        SelectionScore.SINKHORN,
        "top-K experts per token by a Sinkhorn-balanced plan",
        "S-BASE, Clark et al. 2022 (arXiv 2202.01169)",
        options(TOKEN_CHOICE, CAPACITY, NOISE, SINKHORN),
        Map.of("noise_std", 1.0),
        spec -> new TokenChoiceRouter(spec, SelectionScore.SINKHORN));
    add(
        "sparse-ot-tc",
        Family.TOKEN_CHOICE,
        SelectionScore.SPARSE_OT_ROWS,
        "experts per token from a K-sparse optimal transport plan",
        "Liu, Puigcerver, Blondel 2023 (arXiv 2209.15466)",
        options(TOKEN_CHOICE, CAPACITY, OT),
        Map.of(),
        spec -> new TokenChoiceRouter(spec, SelectionScore.SPARSE_OT_ROWS));
    add(
        "softmax-ec",
        Family.EXPERT_CHOICE,
        SelectionScore.GATES,
        "top-C tokens per expert by softmax gates",
        "Expert Choice, Zhou et al. 2022 (arXiv 2202.09368)",
        options(CAPACITY, NOISE),
        Map.of("noise_std", 1.0),
        spec -> new ExpertChoiceRouter(spec, SelectionScore.GATES));
    add(
        "sinkhorn-ec",
        Family.EXPERT_CHOICE,
        SelectionScore.SINKHORN,
        "top-C tokens per expert by a Sinkhorn-balanced plan",
        "Liu et al. 2024 (arXiv 2401.15969)",
        options(CAPACITY, NOISE, SINKHORN),
        Map.of("noise_std", 1.0),
        spec -> new ExpertChoiceRouter(spec, SelectionScore.SINKHORN));
    add(
        "sparse-ot-ec",
        Family.EXPERT_CHOICE,
        SelectionScore.SPARSE_OT_COLUMNS,
        "tokens per expert from a C-sparse optimal transport plan",
        "Liu et al. 2024 (arXiv 2401.15969)",
        options(CAPACITY, OT),
        Map.of(),
        spec -> new ExpertChoiceRouter(spec, SelectionScore.SPARSE_OT_COLUMNS));
    INFO.put(
        "soft",
        new RouterInfo(
            "soft",
            Family.SOFT,
            null,
            RouterInput.SLOT_LOGITS,
            "every slot a softmax-weighted average of all tokens",
            "Soft MoE, Puigcerver et al. 2023 (arXiv 2308.00951)",
            options(CAPACITY, List.of("slots")),
            Map.of(),
            SoftRouter::new));
    INFO.put(
        "dense",
        new RouterInfo(
            "dense",
            Family.DENSE,
            null,
            RouterInput.NONE,
            "no routing: the ordinary ViT MLP",
            "ViT, Dosovitskiy et al. 2020 (arXiv 2010.11929)",
            List.of(),
            Map.of(),
            null));
  }

  private Routers() {}

  private static void add(
      String name,
      Family family,
      SelectionScore score,
      String selects,
      String paper,
      List<String> options,
      Map<String, Object> defaults,
      Function<RouterSpec, Router> factory) {
    INFO.put(
        name,
        new RouterInfo(
            name,
            family,
            score,
            RouterInput.TOKEN_LOGITS,
            selects,
            paper,
            options,
            defaults,
            factory));
  }

  /** The given option groups, in the order of {@link RouterSpec#OPTION_NAMES}. */
  @SafeVarargs
  private static List<String> options(List<String>... groups) {
    List<String> all = new ArrayList<>();
    for (List<String> g : groups) {
      all.addAll(g);
    }
    return RouterSpec.OPTION_NAMES.stream().filter(all::contains).toList();
  }

  /** Every router name, in the order of docs/routing.md. */
  public static List<String> names() {
    return List.copyOf(INFO.keySet());
  }

  /** Every router's entry, in the order of docs/routing.md. */
  public static List<RouterInfo> all() {
    return List.copyOf(INFO.values());
  }

  /** The entry of one router; an unknown name is refused with the list of known names. */
  public static RouterInfo info(String name) {
    RouterInfo info = name == null ? null : INFO.get(name);
    if (info == null) {
      throw new IllegalArgumentException(
          "unknown router \"" + name + "\"; known routers: " + String.join(", ", INFO.keySet()));
    }
    return info;
  }

  /**
   * The router that turns logits into a plan for {@code spec}. The dense baseline has no router:
   * asking for one is refused (use the dense MLP).
   */
  public static Router create(RouterSpec spec) {
    RouterInfo info = info(spec.router());
    if (info.factory() == null) {
      throw new IllegalArgumentException(
          "router \"" + spec.router() + "\" has no routing plan: it is the dense MLP baseline");
    }
    return info.factory().apply(spec);
  }
}
