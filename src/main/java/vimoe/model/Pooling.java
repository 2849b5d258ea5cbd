package vimoe.model;

/** How the encoder's tokens become one feature vector per image. */
public enum Pooling {
  /** Global average pooling over the patch tokens (the routers paper's default). */
  GAP,
  /** A learned class token prepended to the patches; its final state is the feature. */
  TOKEN;

  /** Parses {@code gap} or {@code token} (any case); anything else is refused naming --pooling. */
  public static Pooling parse(String text) {
    try {
      return valueOf(text.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--pooling must be gap or token, got \"" + text + "\"");
    }
  }
}
