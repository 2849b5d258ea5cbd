package vimoe.moe.routing;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every option of a router (docs/routing.md), validated on construction. Messages name the option
 * as it is spelled in JSON and the bad value, e.g. {@code "capacity_factor must be > 0, got -1.0"}.
 *
 * <p>Start from {@link #of(String)} (the defaults of that router) and change options with {@link
 * #toBuilder()}; {@link Builder#option(String, Object)} sets an option by its JSON name.
 *
 * @param router the router name, one of {@link Routers#names()}
 * @param k experts per token K (Token Choice); must be 1 for the other families
 * @param capacityFactor CF in the capacity formula, > 0
 * @param capacityRounding how S*K*CF/E is rounded
 * @param capacityMultipleOf C is rounded up to a multiple of this, >= 1
 * @param batchPriority Batch Priority Routing for Token Choice (descending top score first)
 * @param normalizeGates renormalise each token's granted gates to sum to 1 (Token Choice)
 * @param noiseStd sigma of the training noise (sigma / E) * N(0, 1) on the logits, >= 0
 * @param importanceWeight weight of the importance loss, >= 0
 * @param loadWeight weight of the load loss, >= 0 (used only when noiseStd > 0)
 * @param zLossWeight weight of the router z-loss, >= 0
 * @param sinkhornEpsilon entropic regularisation eps of Sinkhorn, > 0
 * @param sinkhornIterations Sinkhorn iterations T, >= 1
 * @param otIterations Adam steps T of the k-sparse OT solver, >= 1
 * @param otLearningRate Adam learning rate of the k-sparse OT solver, > 0
 * @param slots Soft MoE slots per expert P; {@code null} means the capacity formula
 */
public record RouterSpec(
    String router,
    int k,
    double capacityFactor,
    Rounding capacityRounding,
    int capacityMultipleOf,
    boolean batchPriority,
    boolean normalizeGates,
    double noiseStd,
    double importanceWeight,
    double loadWeight,
    double zLossWeight,
    double sinkhornEpsilon,
    int sinkhornIterations,
    int otIterations,
    double otLearningRate,
    Integer slots) {

  /** Validates every option; the message names the first bad one and its value. */
  public RouterSpec {
    RouterInfo info = Routers.info(router);
    require(k >= 1, "k must be >= 1, got " + k);
    require(
        k == 1 || info.family() == Family.TOKEN_CHOICE,
        "k applies to Token Choice routers only; " + router + " uses K = 1, got k = " + k);
    require(
        Double.isFinite(capacityFactor) && capacityFactor > 0,
        "capacity_factor must be > 0, got " + capacityFactor);
    require(capacityRounding != null, "capacity_rounding must be \"ceil\" or \"round\", got null");
    require(
        capacityMultipleOf >= 1, "capacity_multiple_of must be >= 1, got " + capacityMultipleOf);
    require(
        !normalizeGates || info.family() == Family.TOKEN_CHOICE,
        "normalize_gates applies to Token Choice routers only, not " + router);
    require(nonNegative(noiseStd), "noise_std must be >= 0, got " + noiseStd);
    require(
        noiseStd == 0 || info.noisy(),
        router + " takes no noise: noise_std must be 0, got " + noiseStd);
    require(
        nonNegative(importanceWeight), "importance_weight must be >= 0, got " + importanceWeight);
    require(nonNegative(loadWeight), "load_weight must be >= 0, got " + loadWeight);
    require(nonNegative(zLossWeight), "z_loss_weight must be >= 0, got " + zLossWeight);
    require(
        Double.isFinite(sinkhornEpsilon) && sinkhornEpsilon > 0,
        "sinkhorn_epsilon must be > 0, got " + sinkhornEpsilon);
    require(sinkhornIterations >= 1, "sinkhorn_iterations must be >= 1, got " + sinkhornIterations);
    require(otIterations >= 1, "ot_iterations must be >= 1, got " + otIterations);
    require(
        Double.isFinite(otLearningRate) && otLearningRate > 0,
        "ot_learning_rate must be > 0, got " + otLearningRate);
    require(slots == null || slots >= 1, "slots must be >= 1, got " + slots);
    require(
        slots == null || info.family() == Family.SOFT,
        "slots applies to the soft router only; "
            + router
            + " derives C from the capacity formula");
  }

  /**
   * The defaults of docs/routing.md for the named router: the common defaults (K = 1, CF = 1, ceil,
   * multiple of 1, BPR on, no renormalisation, no noise, no auxiliary loss, eps = 1, T = 20, 20 OT
   * steps at learning rate 0.01, P from the capacity formula) with the router's own {@link
   * RouterInfo#defaults()} on top. Unknown names are refused with the list.
   */
  public static RouterSpec of(String router) {
    RouterInfo info = Routers.info(router);
    Builder b =
        new RouterSpec(
                router,
                1,
                1.0,
                Rounding.CEIL,
                1,
                true,
                false,
                0.0,
                0.0,
                0.0,
                0.0,
                1.0,
                20,
                20,
                0.01,
                null)
            .toBuilder();
    info.defaults().forEach(b::option);
    return b.build();
  }

  /** The family of this router. */
  public Family family() {
    return Routers.info(router).family();
  }

  /** A builder that starts from this spec. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Every option by its JSON name (the router name excluded); {@code slots} only when set. */
  public Map<String, Object> options() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("k", k);
    m.put("capacity_factor", capacityFactor);
    m.put("capacity_rounding", capacityRounding.id());
    m.put("capacity_multiple_of", capacityMultipleOf);
    m.put("batch_priority", batchPriority);
    m.put("normalize_gates", normalizeGates);
    m.put("noise_std", noiseStd);
    m.put("importance_weight", importanceWeight);
    m.put("load_weight", loadWeight);
    m.put("z_loss_weight", zLossWeight);
    m.put("sinkhorn_epsilon", sinkhornEpsilon);
    m.put("sinkhorn_iterations", sinkhornIterations);
    m.put("ot_iterations", otIterations);
    m.put("ot_learning_rate", otLearningRate);
    if (slots != null) {
      m.put("slots", slots);
    }
    return m;
  }

  private static boolean nonNegative(double v) {
    return Double.isFinite(v) && v >= 0;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Mutable builder for {@link RouterSpec}; {@link #build()} validates. */
  public static final class Builder {
    private String router;
    private int k;
    private double capacityFactor;
    private Rounding capacityRounding;
    private int capacityMultipleOf;
    private boolean batchPriority;
    private boolean normalizeGates;
    private double noiseStd;
    private double importanceWeight;
    private double loadWeight;
    private double zLossWeight;
    private double sinkhornEpsilon;
    private int sinkhornIterations;
    private int otIterations;
    private double otLearningRate;
    private Integer slots;

    private Builder(RouterSpec s) {
      router = s.router;
      k = s.k;
      capacityFactor = s.capacityFactor;
      capacityRounding = s.capacityRounding;
      capacityMultipleOf = s.capacityMultipleOf;
      batchPriority = s.batchPriority;
      normalizeGates = s.normalizeGates;
      noiseStd = s.noiseStd;
      importanceWeight = s.importanceWeight;
      loadWeight = s.loadWeight;
      zLossWeight = s.zLossWeight;
      sinkhornEpsilon = s.sinkhornEpsilon;
      sinkhornIterations = s.sinkhornIterations;
      otIterations = s.otIterations;
      otLearningRate = s.otLearningRate;
      slots = s.slots;
    }

    /** Sets K, experts per token. */
    public Builder k(int value) {
      k = value;
      return this;
    }

    /** Sets the capacity factor CF. */
    public Builder capacityFactor(double value) {
      capacityFactor = value;
      return this;
    }

    /** Sets the rounding of the capacity formula. */
    public Builder capacityRounding(Rounding value) {
      capacityRounding = value;
      return this;
    }

    /** Sets the multiple C is rounded up to. */
    public Builder capacityMultipleOf(int value) {
      capacityMultipleOf = value;
      return this;
    }

    /** Turns Batch Priority Routing on or off. */
    public Builder batchPriority(boolean value) {
      batchPriority = value;
      return this;
    }

    /** Turns renormalisation of the granted gates on or off. */
    public Builder normalizeGates(boolean value) {
      normalizeGates = value;
      return this;
    }

    /** Sets the noise sigma. */
    public Builder noiseStd(double value) {
      noiseStd = value;
      return this;
    }

    /** Sets the importance-loss weight. */
    public Builder importanceWeight(double value) {
      importanceWeight = value;
      return this;
    }

    /** Sets the load-loss weight. */
    public Builder loadWeight(double value) {
      loadWeight = value;
      return this;
    }

    /** Sets the z-loss weight. */
    public Builder zLossWeight(double value) {
      zLossWeight = value;
      return this;
    }

    /** Sets the Sinkhorn epsilon. */
    public Builder sinkhornEpsilon(double value) {
      sinkhornEpsilon = value;
      return this;
    }

    /** Sets the number of Sinkhorn iterations. */
    public Builder sinkhornIterations(int value) {
      sinkhornIterations = value;
      return this;
    }

    /** Sets the number of Adam steps of the k-sparse OT solver. */
    public Builder otIterations(int value) {
      otIterations = value;
      return this;
    }

    /** Sets the Adam learning rate of the k-sparse OT solver. */
    public Builder otLearningRate(double value) {
      otLearningRate = value;
      return this;
    }

    /** Sets the Soft MoE slots per expert P ({@code null}: capacity formula). */
    public Builder slots(Integer value) {
      slots = value;
      return this;
    }

    /** A command-line value as JSON would type it: true/false, a number, or a string. */
    public static Object optionValue(String text) {
      if (text.equals("true") || text.equals("false")) {
        return Boolean.parseBoolean(text);
      }
      try {
        return Double.parseDouble(text);
      } catch (NumberFormatException e) {
        return text;
      }
    }

    /**
     * Sets an option by its JSON name ({@code "capacity_factor"}, ...) from a JSON-like value
     * (Number, Boolean or String). Unknown names and values of the wrong type are refused.
     */
    public Builder option(String name, Object value) {
      switch (name) {
        case "k" -> k = integer(name, value);
        case "capacity_factor" -> capacityFactor = number(name, value);
        case "capacity_rounding" -> capacityRounding = Rounding.parse(string(name, value));
        case "capacity_multiple_of" -> capacityMultipleOf = integer(name, value);
        case "batch_priority" -> batchPriority = bool(name, value);
        case "normalize_gates" -> normalizeGates = bool(name, value);
        case "noise_std" -> noiseStd = number(name, value);
        case "importance_weight" -> importanceWeight = number(name, value);
        case "load_weight" -> loadWeight = number(name, value);
        case "z_loss_weight" -> zLossWeight = number(name, value);
        case "sinkhorn_epsilon" -> sinkhornEpsilon = number(name, value);
        case "sinkhorn_iterations" -> sinkhornIterations = integer(name, value);
        case "ot_iterations" -> otIterations = integer(name, value);
        case "ot_learning_rate" -> otLearningRate = number(name, value);
        case "slots" -> slots = value == null ? null : integer(name, value);
        default ->
            throw new IllegalArgumentException(
                "unknown option \""
                    + name
                    + "\"; known options: "
                    + String.join(", ", OPTION_NAMES));
      }
      return this;
    }

    /** Validates and returns the spec. */
    public RouterSpec build() {
      return new RouterSpec(
          router,
          k,
          capacityFactor,
          capacityRounding,
          capacityMultipleOf,
          batchPriority,
          normalizeGates,
          noiseStd,
          importanceWeight,
          loadWeight,
          zLossWeight,
          sinkhornEpsilon,
          sinkhornIterations,
          otIterations,
          otLearningRate,
          slots);
    }

    private static double number(String name, Object v) {
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      throw new IllegalArgumentException(name + " must be a number, got " + describe(v));
    }

    private static int integer(String name, Object v) {
      if (v instanceof Number n) {
        double d = n.doubleValue();
        if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
          return (int) d;
        }
      }
      throw new IllegalArgumentException(name + " must be an integer, got " + describe(v));
    }

    private static boolean bool(String name, Object v) {
      if (v instanceof Boolean b) {
        return b;
      }
      throw new IllegalArgumentException(name + " must be true or false, got " + describe(v));
    }

    private static String string(String name, Object v) {
      if (v instanceof String s) {
        return s;
      }
      throw new IllegalArgumentException(name + " must be a string, got " + describe(v));
    }

    private static String describe(Object v) {
      return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v).toLowerCase(Locale.ROOT);
    }
  }

  /** The JSON names of every option, in the order of {@link #options()}. */
  public static final java.util.List<String> OPTION_NAMES =
      java.util.List.of(
          "k",
          "capacity_factor",
          "capacity_rounding",
          "capacity_multiple_of",
          "batch_priority",
          "normalize_gates",
          "noise_std",
          "importance_weight",
          "load_weight",
          "z_loss_weight",
          "sinkhorn_epsilon",
          "sinkhorn_iterations",
          "ot_iterations",
          "ot_learning_rate",
          "slots");
}
