package vimoe.moe.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of routers (docs/routing.md): one {@link RouterInfo} per router, with its family,
 * score, selection rule, input, its defaults and its factory. Nothing else in the project switches
 * on a router's name: the study pairs routers by {@link RouterInfo#scoreId()} and {@link
 * RouterInfo#family()}, the options come from their declarations ({@link RouterOptions}).
 */
public final class Routers {
  private static final Map<String, RouterInfo> INFO = new LinkedHashMap<>();

  /** The sparse routers of the 2024 study (arXiv 2401.15969). */
  private static final List<String> STUDIED =
      List.of(
          "softmax-tc", "sinkhorn-tc", "sparse-ot-tc", "softmax-ec", "sinkhorn-ec", "sparse-ot-ec");

  static {
    sparse(
        "softmax-tc",
        SelectionScores.SOFTMAX,
        SelectionRules.TOKEN_CHOICE,
        "top-K experts per token by softmax gates",
        "V-MoE, Riquelme et al. 2021 (arXiv 2106.05974)",
        Map.of("noise_std", 1.0, "importance_weight", 0.005, "load_weight", 0.005));
    sparse(
        "sinkhorn-tc",
        SelectionScores.SINKHORN,
        SelectionRules.TOKEN_CHOICE,
        "top-K experts per token by a Sinkhorn-balanced plan",
        "S-BASE, Clark et al. 2022 (arXiv 2202.01169)",
        Map.of("noise_std", 1.0));
    sparse(
        "sparse-ot-tc",
        SelectionScores.SPARSE_OT,
        SelectionRules.TOKEN_CHOICE,
        "experts per token from a K-sparse optimal transport plan",
        "Liu, Puigcerver, Blondel 2023 (arXiv 2209.15466)",
        Map.of());
    sparse(
        "softmax-ec",
        SelectionScores.SOFTMAX,
        SelectionRules.EXPERT_CHOICE,
        "top-C tokens per expert by softmax gates",
        "Expert Choice, Zhou et al. 2022 (arXiv 2202.09368)",
        Map.of("noise_std", 1.0));
    sparse(
        "sinkhorn-ec",
        SelectionScores.SINKHORN,
        SelectionRules.EXPERT_CHOICE,
        "top-C tokens per expert by a Sinkhorn-balanced plan",
        "Liu et al. 2024 (arXiv 2401.15969)",
        Map.of("noise_std", 1.0));
    sparse(
        "sparse-ot-ec",
        SelectionScores.SPARSE_OT,
        SelectionRules.EXPERT_CHOICE,
        "tokens per expert from a C-sparse optimal transport plan",
        "Liu et al. 2024 (arXiv 2401.15969)",
        Map.of());
    sparse(
        "sigmoid-tc",
        SigmoidScore.INSTANCE,
        SelectionRules.TOKEN_CHOICE,
        "top-K experts per token by sigmoid gates, renormalised over the K",
        "DeepSeek-V3 2024 (arXiv 2412.19437)",
        Map.of("normalize_gates", true));
    sparse(
        "sigmoid-ec",
        SigmoidScore.INSTANCE,
        SelectionRules.EXPERT_CHOICE,
        "top-C tokens per expert by sigmoid gates",
        "DeepSeek-V3 gates (arXiv 2412.19437) under Expert Choice",
        Map.of());
    sparse(
        "relu-tc",
        ReluScore.INSTANCE,
        SelectionRules.POSITIVE_CHOICE,
        "every expert with a positive ReLU gate, each expert its top C; adaptive L1 toward K",
        "ReMoE, Wang et al. 2025 (arXiv 2412.14711)",
        Map.of());
    sparse(
        "softmax-gc",
        SelectionScores.SOFTMAX,
        SelectionRules.GLOBAL_CHOICE,
        "the top K*S (token, expert) pairs of a group by softmax gates, each expert its top C",
        "Expert Race, Yuan et al. 2025 (arXiv 2503.16057)",
        Map.of());
    sparse(
        "sigmoid-gc",
        SigmoidScore.INSTANCE,
        SelectionRules.GLOBAL_CHOICE,
        "the top K*S (token, expert) pairs of a group by sigmoid gates, each expert its top C",
        "Expert Race (arXiv 2503.16057) with DeepSeek-V3's sigmoid gates",
        Map.of());
    INFO.put(
        "soft",
        new RouterInfo(
            "soft",
            Family.SOFT,
            null,
            null,
            RouterInput.SLOT_LOGITS,
            "every slot a softmax-weighted average of all tokens",
            "Soft MoE, Puigcerver et al. 2023 (arXiv 2308.00951)",
            Map.of(),
            SoftRouter::new,
            true));
    INFO.put(
        "dense",
        new RouterInfo(
            "dense",
            Family.DENSE,
            null,
            null,
            RouterInput.NONE,
            "no routing: the ordinary ViT MLP",
            "ViT, Dosovitskiy et al. 2020 (arXiv 2010.11929)",
            Map.of(),
            null,
            true));
  }

  private Routers() {}

  /**
   * Registers a sparse router: a score and a selection rule; its options are those whose
   * declarations apply to it ({@link RouterOptions}).
   *
   * @param defaults the options whose default differs from the common one
   */
  private static void sparse(
      String name,
      SelectionScore score,
      SelectionRule rule,
      String selects,
      String paper,
      Map<String, Object> defaults) {
    INFO.put(
        name,
        new RouterInfo(
            name,
            rule.family(),
            score,
            rule,
            RouterInput.TOKEN_LOGITS,
            selects,
            paper,
            defaults,
            spec -> new SparseRouter(spec, score, rule),
            STUDIED.contains(name)));
  }

  /** Every router name, in the order of docs/routing.md. */
  public static List<String> names() {
    return List.copyOf(INFO.keySet());
  }

  /**
   * The routers of the 2024 study (arXiv 2401.15969), dense included, in the order of
   * docs/routing.md: what a study and {@code bench} run when no routers are named.
   */
  public static List<String> studied() {
    return INFO.values().stream().filter(RouterInfo::studied).map(RouterInfo::name).toList();
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
