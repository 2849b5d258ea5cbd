package vimoe.moe.routing;

/** How the capacity formula rounds S * K * CF / E to an integer. */
public enum Rounding {
  /** Round up (the default). */
  CEIL,
  /** Round to the nearest integer, halves up. */
  ROUND;

  /** Parses {@code "ceil"} or {@code "round"} (any case); the message names the bad value. */
  public static Rounding parse(String text) {
    for (Rounding r : values()) {
      if (r.name().equalsIgnoreCase(text)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "capacity_rounding must be \"ceil\" or \"round\", got \"" + text + "\"");
  }

  /** The lower-case name used in JSON and on the command line. */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
