package vimoe.moe.routing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of router names (ROUTING.md): metadata and construction from a {@link RouterSpec}. */
public final class Routers {
    private static final Map<String, RouterInfo> INFO = new LinkedHashMap<>();

    static {
        add("softmax-tc", Family.TOKEN_CHOICE, "top-K experts per token by softmax gates",
                "V-MoE, Riquelme et al. 2021 (arXiv 2106.05974)", true);
        add("sinkhorn-tc", Family.TOKEN_CHOICE, "top-K experts per token by a Sinkhorn-balanced plan",
                "S-BASE, Clark et al. 2022 (arXiv 2202.01169)", true);
        add("sparse-ot-tc", Family.TOKEN_CHOICE, "experts per token from a K-sparse optimal transport plan",
                "Liu, Puigcerver, Blondel 2023 (arXiv 2209.15466)", false);
        add("softmax-ec", Family.EXPERT_CHOICE, "top-C tokens per expert by softmax gates",
                "Expert Choice, Zhou et al. 2022 (arXiv 2202.09368)", true);
        add("sinkhorn-ec", Family.EXPERT_CHOICE, "top-C tokens per expert by a Sinkhorn-balanced plan",
                "Liu et al. 2024 (arXiv 2401.15969)", true);
        add("sparse-ot-ec", Family.EXPERT_CHOICE, "tokens per expert from a C-sparse optimal transport plan",
                "Liu et al. 2024 (arXiv 2401.15969)", false);
        add("soft", Family.SOFT, "every slot a softmax-weighted average of all tokens",
                "Soft MoE, Puigcerver et al. 2023 (arXiv 2308.00951)", false);
        add("dense", Family.DENSE, "no routing: the ordinary ViT MLP",
                "ViT, Dosovitskiy et al. 2020 (arXiv 2010.11929)", false);
    }

    private Routers() {}

    private static void add(String name, Family family, String selects, String paper, boolean noisy) {
        INFO.put(name, new RouterInfo(name, family, selects, paper, noisy));
    }

    /** Every router name, in the order of ROUTING.md. */
    public static List<String> names() {
        return List.copyOf(INFO.keySet());
    }

    /** Every router's metadata, in the order of ROUTING.md. */
    public static List<RouterInfo> all() {
        return List.copyOf(INFO.values());
    }

    /** The metadata of one router; an unknown name is refused with the list of known names. */
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
     * asking for one is refused (use {@link vimoe.moe.DenseMlp}).
     */
    public static Router create(RouterSpec spec) {
        return switch (spec.router()) {
            case "softmax-tc" -> new TokenChoiceRouter(spec, SelectionScore.GATES);
            case "sinkhorn-tc" -> new TokenChoiceRouter(spec, SelectionScore.SINKHORN);
            case "sparse-ot-tc" -> new TokenChoiceRouter(spec, SelectionScore.SPARSE_OT_ROWS);
            case "softmax-ec" -> new ExpertChoiceRouter(spec, SelectionScore.GATES);
            case "sinkhorn-ec" -> new ExpertChoiceRouter(spec, SelectionScore.SINKHORN);
            case "sparse-ot-ec" -> new ExpertChoiceRouter(spec, SelectionScore.SPARSE_OT_COLUMNS);
            case "soft" -> new SoftRouter(spec);
            default -> throw new IllegalArgumentException(
                    "router \"" + spec.router() + "\" has no routing plan: it is the dense MLP baseline");
        };
    }
}
