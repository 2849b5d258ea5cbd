package vimoe.moe.routing;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A router and the value of every option (docs/routing.md), validated on construction against the
 * options' declarations ({@link RouterOptions}). Messages name the option as it is spelled in JSON
 * and the bad value, e.g. {@code "capacity_factor must be > 0, got -1.0"}.
 *
 * <p>Start from {@link #of(String)} (the defaults of that router) and change options with {@link
 * #toBuilder()}: {@link Builder#optOption(String, Object)} sets an option by its JSON name, the
 * typed {@code opt*} setters the common ones, {@link Builder#opt(RouterOption, Object)} any
 * declared one. Read a value with {@link #get(RouterOption)} or a typed accessor.
 */
public final class RouterSpec {
  private final String router;
  private final Map<RouterOption<?>, Object> values;

  private RouterSpec(String router, Map<RouterOption<?>, Object> values) {
    RouterInfo info = Routers.info(router);
    for (RouterOption<?> option : RouterOptions.ALL) {
      check(option, info, values.get(option));
    }
    this.router = router;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  @SuppressWarnings("unchecked")
  private static <T> void check(RouterOption<T> option, RouterInfo info, Object value) {
    option.check(info, (T) value);
  }

  /**
   * The defaults of docs/routing.md for the named router: every option's common default ({@link
   * RouterOption#common()}) with the router's own {@link RouterInfo#defaults()} on top. Unknown
   * names are refused with the list.
   */
  public static RouterSpec of(String router) {
    RouterInfo info = Routers.info(router);
    Builder b = new Builder(router);
    info.defaults().forEach(b::optOption);
    return b.build();
  }

  /** The router name, one of {@link Routers#names()}. */
  public String router() {
    return router;
  }

  /** The value of an option. */
  @SuppressWarnings("unchecked")
  public <T> T get(RouterOption<T> option) {
    return (T) values.get(option);
  }

  /** Experts per token K (Token Choice); 1 for the other families. */
  public int k() {
    return get(RouterOptions.K);
  }

  /** CF in the capacity formula, > 0. */
  public double capacityFactor() {
    return get(RouterOptions.CAPACITY_FACTOR);
  }

  /** How S*K*CF/E is rounded. */
  public Rounding capacityRounding() {
    return get(RouterOptions.CAPACITY_ROUNDING);
  }

  /** C is rounded up to a multiple of this, >= 1. */
  public int capacityMultipleOf() {
    return get(RouterOptions.CAPACITY_MULTIPLE_OF);
  }

  /** Batch Priority Routing for Token Choice (descending top score first). */
  public boolean batchPriority() {
    return get(RouterOptions.BATCH_PRIORITY);
  }

  /** Renormalise each token's granted gates to sum to 1 (Token Choice). */
  public boolean normalizeGates() {
    return get(RouterOptions.NORMALIZE_GATES);
  }

  /** Sigma of the training noise (sigma / E) * N(0, 1) on the logits, >= 0. */
  public double noiseStd() {
    return get(RouterOptions.NOISE_STD);
  }

  /** Weight of the importance loss, >= 0. */
  public double importanceWeight() {
    return get(RouterOptions.IMPORTANCE_WEIGHT);
  }

  /** Weight of the load loss, >= 0 (used only when noiseStd > 0). */
  public double loadWeight() {
    return get(RouterOptions.LOAD_WEIGHT);
  }

  /** Weight of the router z-loss, >= 0. */
  public double zLossWeight() {
    return get(RouterOptions.Z_LOSS_WEIGHT);
  }

  /** Entropic regularisation eps of Sinkhorn, > 0. */
  public double sinkhornEpsilon() {
    return get(RouterOptions.SINKHORN_EPSILON);
  }

  /** Sinkhorn iterations T, >= 1. */
  public int sinkhornIterations() {
    return get(RouterOptions.SINKHORN_ITERATIONS);
  }

  /** Adam steps T of the k-sparse OT solver, >= 1. */
  public int otIterations() {
    return get(RouterOptions.OT_ITERATIONS);
  }

  /** Adam learning rate of the k-sparse OT solver, > 0. */
  public double otLearningRate() {
    return get(RouterOptions.OT_LEARNING_RATE);
  }

  /** Soft MoE slots per expert P; {@code null} means the capacity formula. */
  public Integer slots() {
    return get(RouterOptions.SLOTS);
  }

  /** The family of this router. */
  public Family family() {
    return Routers.info(router).family();
  }

  /** A builder that starts from this spec. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * Every option by its JSON name (the router name excluded), in the order of {@link
   * RouterOptions#ALL}; options whose value is {@code null} (e.g. {@code slots} unset) are left
   * out.
   */
  public Map<String, Object> options() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (RouterOption<?> option : RouterOptions.ALL) {
      Object json = json(option, values.get(option));
      if (json != null) {
        m.put(option.name(), json);
      }
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static <T> Object json(RouterOption<T> option, Object value) {
    return value == null ? null : option.json((T) value);
  }

  /**
   * The form of {@code config.json}: the router, then every option under its Java name ({@code
   * capacityFactor}), unset ones as {@code null}, rounding as {@code "CEIL"}; the fields of the
   * record this class once was, so that earlier run directories still load.
   */
  @JsonValue
  Map<String, Object> toConfig() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("router", router);
    for (RouterOption<?> option : RouterOptions.ALL) {
      Object v = values.get(option);
      if (!option.isOmittedAt(v)) {
        m.put(javaName(option), v instanceof Rounding r ? r.name() : v);
      }
    }
    return m;
  }

  /**
   * Reads {@link #toConfig()}'s form; an option left out keeps the router's default, an unknown
   * field is refused.
   */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static RouterSpec fromConfig(Map<String, Object> config) {
    Object router = config.get("router");
    if (!(router instanceof String name)) {
      throw new IllegalArgumentException("router config needs \"router\" as a string");
    }
    Builder b = of(name).toBuilder();
    Map<String, RouterOption<?>> byJava = new LinkedHashMap<>();
    RouterOptions.ALL.forEach(o -> byJava.put(javaName(o), o));
    config.forEach(
        (field, value) -> {
          if (!field.equals("router")) {
            RouterOption<?> option = byJava.get(field);
            if (option == null) {
              throw new IllegalArgumentException("unknown router config field \"" + field + "\"");
            }
            b.optOption(option.name(), value);
          }
        });
    return b.build();
  }

  /** {@code capacity_factor} as {@code capacityFactor}. */
  private static String javaName(RouterOption<?> option) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : option.name().toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RouterSpec s && router.equals(s.router) && values.equals(s.values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(router, values);
  }

  @Override
  public String toString() {
    return "RouterSpec[router=" + router + ", " + options() + "]";
  }

  /** Mutable builder for {@link RouterSpec}; {@link #build()} validates. */
  public static final class Builder {
    private final String router;
    private final Map<RouterOption<?>, Object> values = new LinkedHashMap<>();

    private Builder(String router) {
      this.router = router;
      for (RouterOption<?> option : RouterOptions.ALL) {
        values.put(option, option.common());
      }
    }

    private Builder(RouterSpec s) {
      router = s.router;
      values.putAll(s.values);
    }

    /** Sets a declared option ({@link RouterOptions}). */
    public <T> Builder opt(RouterOption<T> option, T value) {
      values.put(option, value);
      return this;
    }

    /** Sets K, experts per token. */
    public Builder optK(int value) {
      return opt(RouterOptions.K, value);
    }

    /** Sets the capacity factor CF. */
    public Builder optCapacityFactor(double value) {
      return opt(RouterOptions.CAPACITY_FACTOR, value);
    }

    /** Sets the rounding of the capacity formula. */
    public Builder optCapacityRounding(Rounding value) {
      return opt(RouterOptions.CAPACITY_ROUNDING, value);
    }

    /** Sets the multiple C is rounded up to. */
    public Builder optCapacityMultipleOf(int value) {
      return opt(RouterOptions.CAPACITY_MULTIPLE_OF, value);
    }

    /** Turns Batch Priority Routing on or off. */
    public Builder optBatchPriority(boolean value) {
      return opt(RouterOptions.BATCH_PRIORITY, value);
    }

    /** Turns renormalisation of the granted gates on or off. */
    public Builder optNormalizeGates(boolean value) {
      return opt(RouterOptions.NORMALIZE_GATES, value);
    }

    /** Sets the noise sigma. */
    public Builder optNoiseStd(double value) {
      return opt(RouterOptions.NOISE_STD, value);
    }

    /** Sets the importance-loss weight. */
    public Builder optImportanceWeight(double value) {
      return opt(RouterOptions.IMPORTANCE_WEIGHT, value);
    }

    /** Sets the load-loss weight. */
    public Builder optLoadWeight(double value) {
      return opt(RouterOptions.LOAD_WEIGHT, value);
    }

    /** Sets the z-loss weight. */
    public Builder optZLossWeight(double value) {
      return opt(RouterOptions.Z_LOSS_WEIGHT, value);
    }

    /** Sets the Sinkhorn epsilon. */
    public Builder optSinkhornEpsilon(double value) {
      return opt(RouterOptions.SINKHORN_EPSILON, value);
    }

    /** Sets the number of Sinkhorn iterations. */
    public Builder optSinkhornIterations(int value) {
      return opt(RouterOptions.SINKHORN_ITERATIONS, value);
    }

    /** Sets the number of Adam steps of the k-sparse OT solver. */
    public Builder optOtIterations(int value) {
      return opt(RouterOptions.OT_ITERATIONS, value);
    }

    /** Sets the Adam learning rate of the k-sparse OT solver. */
    public Builder optOtLearningRate(double value) {
      return opt(RouterOptions.OT_LEARNING_RATE, value);
    }

    /** Sets the Soft MoE slots per expert P ({@code null}: capacity formula). */
    public Builder optSlots(Integer value) {
      return opt(RouterOptions.SLOTS, value);
    }

    /**
     * Sets an option by its JSON name ({@code "capacity_factor"}, ...) from a JSON-like value
     * (Number, Boolean or String). Unknown names and values of the wrong type are refused.
     */
    public Builder optOption(String name, Object value) {
      RouterOption<?> option = RouterOptions.named(name);
      values.put(option, option.parse(value));
      return this;
    }

    /** Validates and returns the spec. */
    public RouterSpec build() {
      return new RouterSpec(router, values);
    }
  }

  /** The JSON names of every option, in the order of {@link #options()}. */
  public static final List<String> OPTION_NAMES = names();

  private static List<String> names() {
    List<String> names = new ArrayList<>();
    RouterOptions.ALL.forEach(o -> names.add(o.name()));
    return List.copyOf(names);
  }
}
