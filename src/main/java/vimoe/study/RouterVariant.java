package vimoe.study;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterOption;
import vimoe.moe.routing.RouterOptions;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/**
 * A grid entry of a study that is a registry router with options of its own ({@code --variant
 * NAME=ROUTER:OPT=V,...}), e.g. {@code tc-bias = softmax-tc with bias_update_rate=0.001}: its runs
 * are named after it and it takes part in the tables, figures, ranking and all pairs as a router
 * does. Its options apply on top of the study's {@code --router-option}s.
 *
 * @param name the grid entry's name: a-z, 0-9, {@code -}, {@code +} and {@code _}, no router's name
 * @param router the registry router it configures (not dense)
 * @param options router options by JSON name, values as text in a canonical form (numbers without a
 *     needless ".0"), sorted by name
 */
public record RouterVariant(String name, String router, Map<String, String> options) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9+_-]+");

  /**
   * Options a variant may not set: they fix every entry's compute (equal E*C slots per group), so
   * the study sets them for all ({@code --k}, {@code --capacity-factor}, {@code --sweep}).
   */
  static final List<String> FIXED = List.of("k", "capacity_factor");

  /** Validates the name, the router and the option names and values; canonicalises the values. */
  public RouterVariant {
    String text = name + "=" + router + (options == null ? "" : text(options));
    if (name == null || !NAME.matcher(name).matches()) {
      throw bad(
          text,
          "the name \""
              + name
              + "\" may hold only a-z, 0-9, -, + and _; write e.g. --variant "
              + "tc-bias=softmax-tc:bias_update_rate=0.001");
    }
    if (Routers.names().contains(name)) {
      throw bad(
          text, name + " is a router's name; give the variant its own name, e.g. " + name + "-v");
    }
    try {
      Routers.info(router);
    } catch (IllegalArgumentException e) {
      throw bad(text, e.getMessage());
    }
    if (Routers.info(router).family() == Family.DENSE) {
      throw bad(text, "dense has no router options; a variant configures a routed router");
    }
    Map<String, String> canonical = new TreeMap<>();
    if (options != null) {
      for (Map.Entry<String, String> o : options.entrySet()) {
        try {
          RouterOptions.named(o.getKey());
        } catch (IllegalArgumentException e) {
          throw bad(text, e.getMessage());
        }
        if (FIXED.contains(o.getKey())) {
          throw bad(
              text,
              o.getKey()
                  + " is set for every router of a study, so that all have the same compute: use"
                  + " --k, --capacity-factor or --sweep");
        }
        canonical.put(o.getKey(), canonical(o.getValue()));
      }
    }
    options = java.util.Collections.unmodifiableMap(canonical);
    try {
      // each value's type and range, and whether it applies to the router
      build(router, Map.of(), options);
    } catch (IllegalArgumentException e) {
      throw bad(text, e.getMessage());
    }
  }

  /**
   * Parses {@code NAME=ROUTER[:OPT=V[,OPT=V...]]}, e.g. {@code
   * tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0}.
   *
   * @throws IllegalArgumentException one line naming the option and what is wrong
   */
  public static RouterVariant parse(String text) {
    int eq = text.indexOf('=');
    if (eq < 0) {
      throw bad(
          text, "write NAME=ROUTER[:OPT=V,...], e.g. tc-bias=softmax-tc:bias_update_rate=0.001");
    }
    String name = text.substring(0, eq).strip();
    String rest = text.substring(eq + 1).strip();
    int colon = rest.indexOf(':');
    String router = (colon < 0 ? rest : rest.substring(0, colon)).strip();
    Map<String, String> options = new LinkedHashMap<>();
    if (colon >= 0) {
      // limit 0: a trailing comma adds no empty entry
      for (String pair : rest.substring(colon + 1).split(",", 0)) {
        int at = pair.indexOf('=');
        if (at <= 0 || at == pair.length() - 1) {
          throw bad(
              text,
              "\""
                  + pair.strip()
                  + "\" is not OPT=VALUE; write the options as e.g. "
                  + "bias_update_rate=0.001,importance_weight=0");
        }
        String key = pair.substring(0, at).strip();
        if (options.put(key, pair.substring(at + 1).strip()) != null) {
          throw bad(text, "option " + key + " is given twice");
        }
      }
    }
    return new RouterVariant(name, router, options);
  }

  /**
   * The variant's router with the study's options ({@code studyOptions}, as typed) and then its own
   * applied, before the study sets K and the capacity factor.
   *
   * @throws IllegalArgumentException naming the option whose value is refused
   */
  RouterSpec.Builder builder(Map<String, String> studyOptions) {
    return builder(router, studyOptions, options);
  }

  /**
   * Checks the variant's options on top of the study's {@code studyOptions} (as typed).
   *
   * @throws IllegalArgumentException one line naming the variant and the option refused
   */
  void check(Map<String, String> studyOptions) {
    try {
      build(router, studyOptions, Map.of());
    } catch (IllegalArgumentException e) {
      throw bad(
          text(), "the study's --router-option does not fit " + router + ": " + e.getMessage());
    }
    try {
      build(router, studyOptions, options);
    } catch (IllegalArgumentException e) {
      throw bad(text(), e.getMessage());
    }
  }

  /**
   * The spec builder of {@code router} with the study's options (as typed), then {@code options} on
   * top: what every grid entry's model is built from.
   */
  static RouterSpec.Builder builder(
      String router, Map<String, String> studyOptions, Map<String, String> options) {
    RouterSpec.Builder b = RouterSpec.of(router).toBuilder();
    studyOptions.forEach((k, v) -> b.optOption(k, RouterOption.fromText(v)));
    options.forEach((k, v) -> b.optOption(k, RouterOption.fromText(v)));
    return b;
  }

  private static RouterSpec build(
      String router, Map<String, String> studyOptions, Map<String, String> options) {
    return builder(router, studyOptions, options).build();
  }

  /**
   * As typed on the command line, canonically: {@code tc-bias=softmax-tc:bias_update_rate=0.001}.
   */
  public String text() {
    return name + "=" + router + text(options);
  }

  /** What the variant is, for a report: "softmax-tc with bias_update_rate=0.001". */
  public String description() {
    return options.isEmpty()
        ? router + " (no options of its own)"
        : router + " with " + optionsText();
  }

  /** Its own options, e.g. "bias_update_rate=0.001, importance_weight=0" (empty without any). */
  public String optionsText() {
    return options.isEmpty() ? "" : text(options).substring(1).replace(",", ", ");
  }

  private static String text(Map<String, String> options) {
    if (options.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(":");
    options.forEach(
        (k, v) -> out.append(out.length() == 1 ? "" : ",").append(k).append('=').append(v));
    return out.toString();
  }

  /** A value as text in one form: numbers as {@link GridPoint#number}, others as typed. */
  private static String canonical(String value) {
    Object v = RouterOption.fromText(value);
    return v instanceof Double d ? GridPoint.number(d) : v.toString();
  }

  private static IllegalArgumentException bad(String text, String problem) {
    return new IllegalArgumentException("--variant " + text + ": " + problem);
  }
}
