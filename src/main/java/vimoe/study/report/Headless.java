package vimoe.study.report;

/** Drawing needs no display: AWT runs headless unless the JVM was told otherwise. */
final class Headless {
  private Headless() {}

  /** Sets {@code java.awt.headless=true} if unset; effective when called before AWT's first use. */
  static void ensure() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }
}
