package vimoe.moe.routing;

import static vimoe.moe.routing.RouterOption.Type.BOOLEAN;
import static vimoe.moe.routing.RouterOption.Type.INTEGER;
import static vimoe.moe.routing.RouterOption.Type.NUMBER;
import static vimoe.moe.routing.RouterOption.Type.ROUNDING;

import java.util.List;

/**
 * Every router option of docs/routing.md, declared once: name, type, common default, valid values,
 * description and the routers it applies to. The order of {@link #ALL} is the order of {@link
 * RouterSpec#options()}, of {@code vimoe routers} and of the help text.
 */
public final class RouterOptions {
  private RouterOptions() {}

  /** Whether a router has slots to fill (every router but dense). */
  private static boolean routed(RouterInfo r) {
    return r.family() != Family.DENSE;
  }

  private static boolean tokenChoice(RouterInfo r) {
    return r.family() == Family.TOKEN_CHOICE;
  }

  /**
   * Whether a router is Token Choice with a top-K request per token, served in a priority order
   * (every Token Choice router but ReLU routing, whose tokens request every positive gate and whose
   * experts keep their largest).
   */
  private static boolean topKTokenChoice(RouterInfo r) {
    return r.rule() == SelectionRules.TOKEN_CHOICE;
  }

  /** Whether a router has ReLU gates (ReMoE), which the adaptive L1 penalty applies to. */
  private static boolean relu(RouterInfo r) {
    return r.score() == ReluScore.INSTANCE;
  }

  /** K, experts per token. */
  public static final RouterOption<Integer> K =
      RouterOption.of(
              "k",
              INTEGER,
              1,
              RouterOption.atLeast(1),
              "must be >= 1",
              "experts per token K",
              r -> r.family().takesK())
          .refusedElsewhere(
              (router, k) ->
                  "k applies to Token Choice and Global Choice routers only; "
                      + router
                      + " uses K = 1, got k = "
                      + k);

  /** CF in the capacity formula. */
  public static final RouterOption<Double> CAPACITY_FACTOR =
      RouterOption.of(
          "capacity_factor",
          NUMBER,
          1.0,
          RouterOption.positive(),
          "must be > 0",
          "capacity factor CF in C = S*K*CF/E",
          RouterOptions::routed);

  /** How S*K*CF/E is rounded. */
  public static final RouterOption<Rounding> CAPACITY_ROUNDING =
      RouterOption.of(
          "capacity_rounding",
          ROUNDING,
          Rounding.CEIL,
          RouterOption.any(),
          "must be \"ceil\" or \"round\"",
          "ceil or round of S*K*CF/E",
          RouterOptions::routed);

  /** C is rounded up to a multiple of this. */
  public static final RouterOption<Integer> CAPACITY_MULTIPLE_OF =
      RouterOption.of(
          "capacity_multiple_of",
          INTEGER,
          1,
          RouterOption.atLeast(1),
          "must be >= 1",
          "C rounded up to a multiple of this",
          RouterOptions::routed);

  /** Batch Priority Routing (descending top score first). */
  public static final RouterOption<Boolean> BATCH_PRIORITY =
      RouterOption.of(
              "batch_priority",
              BOOLEAN,
              true,
              RouterOption.any(),
              "must be true or false",
              "Batch Priority Routing: tokens with the largest top score first",
              RouterOptions::topKTokenChoice)
          .refusedElsewhere(
              (router, v) ->
                  relu(Routers.info(router))
                      ? "batch_priority does not apply to "
                          + router
                          + ": each expert keeps its largest gates whatever the token order;"
                          + " leave it at true"
                      : null);

  /** Renormalise each token's granted gates to sum to 1. */
  public static final RouterOption<Boolean> NORMALIZE_GATES =
      RouterOption.of(
              "normalize_gates",
              BOOLEAN,
              false,
              RouterOption.any(),
              "must be true or false",
              "renormalise each token's granted gates to sum to 1",
              RouterOptions::topKTokenChoice)
          .refusedElsewhere(
              (router, v) ->
                  relu(Routers.info(router))
                      ? "normalize_gates does not apply to "
                          + router
                          + ": ReMoE's combine weights are the ReLU gates, not renormalised;"
                          + " use false"
                      : "normalize_gates applies to Token Choice routers only, not " + router);

  /** Sigma of the training noise (sigma / E) * N(0, 1) on the logits. */
  public static final RouterOption<Double> NOISE_STD =
      RouterOption.of(
              "noise_std",
              NUMBER,
              0.0,
              RouterOption.nonNegative(),
              "must be >= 0",
              "sigma of the training noise (sigma/E) N(0,1) on the logits",
              r -> r.score() != null && r.score().noisy())
          .refusedElsewhere(
              (router, v) -> router + " takes no noise: noise_std must be 0, got " + v);

  /** Whether a router takes V-MoE's auxiliary losses (softmax Token Choice). */
  private static boolean vmoeLosses(RouterInfo r) {
    return tokenChoice(r) && r.score() == SelectionScores.SOFTMAX;
  }

  /** Weight of the importance loss. */
  public static final RouterOption<Double> IMPORTANCE_WEIGHT =
      RouterOption.of(
          "importance_weight",
          NUMBER,
          0.0,
          RouterOption.nonNegative(),
          "must be >= 0",
          "weight of V-MoE's importance loss",
          RouterOptions::vmoeLosses);

  /** Weight of the load loss (used only with noise). */
  public static final RouterOption<Double> LOAD_WEIGHT =
      RouterOption.of(
          "load_weight",
          NUMBER,
          0.0,
          RouterOption.nonNegative(),
          "must be >= 0",
          "weight of V-MoE's load loss (with noise only)",
          RouterOptions::vmoeLosses);

  /** Weight of the router z-loss. */
  public static final RouterOption<Double> Z_LOSS_WEIGHT =
      RouterOption.of(
          "z_loss_weight",
          NUMBER,
          0.0,
          RouterOption.nonNegative(),
          "must be >= 0",
          "weight of the router z-loss",
          RouterOptions::vmoeLosses);

  /** Entropic regularisation eps of Sinkhorn. */
  public static final RouterOption<Double> SINKHORN_EPSILON =
      RouterOption.of(
          "sinkhorn_epsilon",
          NUMBER,
          1.0,
          RouterOption.positive(),
          "must be > 0",
          "entropic regularisation eps of Sinkhorn",
          r -> r.score() == SelectionScores.SINKHORN);

  /** Sinkhorn iterations T. */
  public static final RouterOption<Integer> SINKHORN_ITERATIONS =
      RouterOption.of(
          "sinkhorn_iterations",
          INTEGER,
          20,
          RouterOption.atLeast(1),
          "must be >= 1",
          "Sinkhorn iterations T",
          r -> r.score() == SelectionScores.SINKHORN);

  /** Adam steps T of the k-sparse OT solver. */
  public static final RouterOption<Integer> OT_ITERATIONS =
      RouterOption.of(
          "ot_iterations",
          INTEGER,
          20,
          RouterOption.atLeast(1),
          "must be >= 1",
          "Adam steps T of the k-sparse OT solver",
          r -> r.score() == SelectionScores.SPARSE_OT);

  /** Adam learning rate of the k-sparse OT solver. */
  public static final RouterOption<Double> OT_LEARNING_RATE =
      RouterOption.of(
          "ot_learning_rate",
          NUMBER,
          0.01,
          RouterOption.positive(),
          "must be > 0",
          "Adam learning rate of the k-sparse OT solver",
          r -> r.score() == SelectionScores.SPARSE_OT);

  /** Soft MoE slots per expert P; {@code null} means the capacity formula. */
  public static final RouterOption<Integer> SLOTS =
      RouterOption.of(
              "slots",
              INTEGER,
              (Integer) null,
              RouterOption.atLeast(1),
              "must be >= 1",
              "Soft MoE slots per expert P (default: the capacity formula)",
              r -> r.family() == Family.SOFT)
          .refusedElsewhere(
              (router, v) ->
                  "slots applies to the soft router only; "
                      + router
                      + " derives C from the capacity formula");

  /**
   * Auxiliary-loss-free balancing (Wang et al. 2024, arXiv 2408.15664; DeepSeek-V3): the step u of
   * the per-expert selection bias, updated after each optimizer step by u * sign(mean load - load);
   * 0 turns it off.
   */
  public static final RouterOption<Double> BIAS_UPDATE_RATE =
      RouterOption.of(
              "bias_update_rate",
              NUMBER,
              0.0,
              RouterOption.nonNegative(),
              "must be >= 0",
              "auxiliary-loss-free balancing: step of the per-expert selection bias (0: off)",
              r -> topKTokenChoice(r) && !r.score().computed())
          .refusedElsewhere(
              (router, v) ->
                  "bias_update_rate applies to Token Choice routers with pointwise scores"
                      + " (softmax-tc, sigmoid-tc), not "
                      + router)
          .omittedAtDefault();

  /**
   * ReMoE's adaptive L1 penalty (arXiv 2412.14711, eq. 10-11): its initial weight lambda_0. The
   * weight is a per-layer buffer, multiplied after each optimizer step by {@link #L1_ADAPT_RATE} to
   * the power sign(target sparsity - sparsity), saved in checkpoints.
   */
  public static final RouterOption<Double> L1_INITIAL_WEIGHT =
      RouterOption.of(
              "l1_initial_weight",
              NUMBER,
              1e-8,
              RouterOption.positive(),
              "must be > 0",
              "ReLU routing: initial weight lambda_0 of the adaptive L1 penalty on the gates",
              RouterOptions::relu)
          .refusedElsewhere(
              (router, v) ->
                  "l1_initial_weight applies to ReLU routing (relu-tc) only, not " + router)
          .omittedAtDefault();

  /**
   * ReMoE's adaptive L1 penalty: alpha, the factor by which lambda moves after each optimizer step
   * (up when the gates are denser than 1 - K/E zeros, down when sparser); 1 keeps it constant.
   */
  public static final RouterOption<Double> L1_ADAPT_RATE =
      RouterOption.of(
              "l1_adapt_rate",
              NUMBER,
              1.2,
              v -> Double.isFinite(v) && v >= 1,
              "must be >= 1",
              "ReLU routing: factor alpha of lambda's update after each optimizer step",
              RouterOptions::relu)
          .refusedElsewhere(
              (router, v) -> "l1_adapt_rate applies to ReLU routing (relu-tc) only, not " + router)
          .omittedAtDefault();

  /** Whether a router selects sparse slots ({@link Family#sparse}). */
  private static boolean sparse(RouterInfo r) {
    return r.family().sparse();
  }

  /**
   * Shared experts (DeepSeekMoE, arXiv 2401.06066): N always-active expert MLPs (D -> H -> D, H as
   * a routed expert) applied to every token, their outputs added to the routed output; 0 turns them
   * off. They change no routing plan.
   */
  public static final RouterOption<Integer> SHARED_EXPERTS =
      RouterOption.of(
              "shared_experts",
              INTEGER,
              0,
              RouterOption.atLeast(0),
              "must be >= 0",
              "shared experts N: always-active expert MLPs added to the routed output (0: none)",
              RouterOptions::sparse)
          .refusedElsewhere(
              (router, v) ->
                  "shared_experts applies to routers with sparse slots only, not "
                      + router
                      + "; use 0")
          .omittedAtDefault();

  /**
   * The layerwise recurrent router (RMoE, arXiv 2408.06793): the GRU state size R; each MoE layer's
   * logits come from a GRU state carried from the previous MoE layer. 0 keeps the linear router.
   */
  public static final RouterOption<Integer> RECURRENT_ROUTER =
      RouterOption.of(
              "recurrent_router",
              INTEGER,
              0,
              RouterOption.atLeast(0),
              "must be >= 0",
              "layerwise recurrent router (RMoE): GRU state size R carried across MoE layers (0: off)",
              r -> r.input() == RouterInput.TOKEN_LOGITS)
          .refusedElsewhere(
              (router, v) ->
                  "recurrent_router applies to routers with token logits (Token Choice, Expert"
                      + " Choice), not "
                      + router
                      + "; use 0")
          .omittedAtDefault();

  /** Every option, in the order of {@link RouterSpec#options()}. */
  public static final List<RouterOption<?>> ALL =
      List.of(
          K,
          CAPACITY_FACTOR,
          CAPACITY_ROUNDING,
          CAPACITY_MULTIPLE_OF,
          BATCH_PRIORITY,
          NORMALIZE_GATES,
          NOISE_STD,
          IMPORTANCE_WEIGHT,
          LOAD_WEIGHT,
          Z_LOSS_WEIGHT,
          SINKHORN_EPSILON,
          SINKHORN_ITERATIONS,
          OT_ITERATIONS,
          OT_LEARNING_RATE,
          SLOTS,
          BIAS_UPDATE_RATE,
          L1_INITIAL_WEIGHT,
          L1_ADAPT_RATE,
          SHARED_EXPERTS,
          RECURRENT_ROUTER);

  /** The declaration of an option by its JSON name; an unknown name is refused with the list. */
  public static RouterOption<?> named(String name) {
    for (RouterOption<?> o : ALL) {
      if (o.name().equals(name)) {
        return o;
      }
    }
    throw new IllegalArgumentException(
        "unknown option \""
            + name
            + "\"; known options: "
            + String.join(", ", ALL.stream().map(RouterOption::name).toList()));
  }
}
