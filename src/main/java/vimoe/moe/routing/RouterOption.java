package vimoe.moe.routing;

import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * The declaration of one router option (docs/routing.md): its JSON name, its type, its common
 * default, its valid values, what it does, and which routers it applies to. {@link RouterSpec}
 * parsing and validation, {@code vimoe routers}, {@code route} and {@code --router-option} all read
 * these declarations ({@link RouterOptions#ALL}); nothing else lists the options.
 *
 * @param <T> the Java type of the value
 */
public final class RouterOption<T> {
  private final String name;
  private final Type type;
  private final T common;
  private final Predicate<T> valid;
  private final String rule;
  private final String description;
  private final Predicate<RouterInfo> appliesTo;
  private final BiFunction<String, T, String> refusal;
  private boolean omittedAtDefault;

  /** The value types of options, each with its JSON form and the message for a wrong one. */
  public enum Type {
    /** A whole number (JSON numbers with no fraction). */
    INTEGER,
    /** Any finite or infinite number (validation decides). */
    NUMBER,
    /** true or false. */
    BOOLEAN,
    /** {@code "ceil"} or {@code "round"}. */
    ROUNDING
  }

  private RouterOption(
      String name,
      Type type,
      T common,
      Predicate<T> valid,
      String rule,
      String description,
      Predicate<RouterInfo> appliesTo,
      BiFunction<String, T, String> refusal) {
    this.name = name;
    this.type = type;
    this.common = common;
    this.valid = valid;
    this.rule = rule;
    this.description = description;
    this.appliesTo = appliesTo;
    this.refusal = refusal;
  }

  /**
   * Declares an option that routers it does not apply to ignore.
   *
   * @param name the JSON name, e.g. {@code "capacity_factor"}
   * @param type the value type
   * @param common the default of every router whose registry entry does not override it
   * @param valid the valid values ({@code null} is always valid where it is the default)
   * @param rule what {@code valid} asks, for the message, e.g. {@code "must be > 0"}
   * @param description one line for the help text and {@code vimoe routers}
   * @param appliesTo the routers whose plans the option changes
   */
  public static <T> RouterOption<T> of(
      String name,
      Type type,
      T common,
      Predicate<T> valid,
      String rule,
      String description,
      Predicate<RouterInfo> appliesTo) {
    return new RouterOption<>(name, type, common, valid, rule, description, appliesTo, null);
  }

  /**
   * This option, but a router it does not apply to refuses any value other than the common default,
   * with the message {@code refusal(router, value)}; a {@code null} message lets that router ignore
   * the value instead.
   */
  public RouterOption<T> refusedElsewhere(BiFunction<String, T, String> message) {
    return new RouterOption<>(name, type, common, valid, rule, description, appliesTo, message);
  }

  /**
   * This option, left out of {@code config.json} at its common default: an option added after run
   * directories were first written, so that their form stays as it was.
   */
  RouterOption<T> omittedAtDefault() {
    omittedAtDefault = true;
    return this;
  }

  /** Whether {@code config.json} leaves this option out at its common default. */
  boolean isOmittedAt(Object value) {
    return omittedAtDefault && value != null && isCommon(cast(value));
  }

  @SuppressWarnings("unchecked")
  private T cast(Object value) {
    return (T) value;
  }

  /** The JSON name. */
  public String name() {
    return name;
  }

  /** The value type. */
  public Type type() {
    return type;
  }

  /** The common default. */
  public T common() {
    return common;
  }

  /** One line on what the option does. */
  public String description() {
    return description;
  }

  /** Whether the option changes the plans of this router. */
  public boolean appliesTo(RouterInfo info) {
    return appliesTo.test(info);
  }

  /**
   * The value of a JSON-like input (Number, Boolean, String, or {@code null} for an option whose
   * default is {@code null}); a value of the wrong type is refused with a message naming it.
   */
  @SuppressWarnings("unchecked")
  T parse(Object value) {
    if (value == null && common == null) {
      return null;
    }
    Object parsed =
        switch (type) {
          case INTEGER -> integer(value);
          case NUMBER -> number(value);
          case BOOLEAN -> bool(value);
          case ROUNDING -> Rounding.parse(string(value));
        };
    return (T) parsed;
  }

  /** The value as JSON writes it ({@link Rounding} as its id). */
  Object json(T value) {
    return value instanceof Rounding r ? r.id() : value;
  }

  /** Refuses an invalid value for {@code router}: first its range, then where it applies. */
  void check(RouterInfo router, T value) {
    if (value == null && common == null) {
      return;
    }
    if (value == null || !valid.test(value)) {
      throw new IllegalArgumentException(name + " " + rule + ", got " + value);
    }
    if (refusal != null && !isCommon(value) && !appliesTo(router)) {
      String message = refusal.apply(router.name(), value);
      if (message != null) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /** Whether a value is the common default (numbers by value: -0.0 is 0). */
  private boolean isCommon(T value) {
    if (value instanceof Number n && common instanceof Number c) {
      return n.doubleValue() == c.doubleValue();
    }
    return value.equals(common);
  }

  /**
   * A command-line value as JSON would type it: true/false, a number, or a string ({@code
   * --router-option NAME=VALUE}).
   */
  public static Object fromText(String text) {
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return text;
    }
  }

  private Double number(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw wrong("a number", v);
  }

  private Integer integer(Object v) {
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE) {
        return (int) d;
      }
    }
    throw wrong("an integer", v);
  }

  private Boolean bool(Object v) {
    if (v instanceof Boolean b) {
      return b;
    }
    throw wrong("true or false", v);
  }

  private String string(Object v) {
    if (v instanceof String s) {
      return s;
    }
    throw wrong("a string", v);
  }

  private IllegalArgumentException wrong(String what, Object v) {
    String shown =
        v instanceof String s ? "\"" + s + "\"" : String.valueOf(v).toLowerCase(Locale.ROOT);
    return new IllegalArgumentException(name + " must be " + what + ", got " + shown);
  }

  /** Valid finite numbers above 0. */
  static Predicate<Double> positive() {
    return v -> Double.isFinite(v) && v > 0;
  }

  /** Valid finite numbers at or above 0. */
  static Predicate<Double> nonNegative() {
    return v -> Double.isFinite(v) && v >= 0;
  }

  /** Valid integers at or above {@code min}. */
  static Predicate<Integer> atLeast(int min) {
    return v -> v >= min;
  }

  /** Any value. */
  static <T> Predicate<T> any() {
    return v -> true;
  }

  /** The JSON name. */
  @Override
  public String toString() {
    return name;
  }
}
