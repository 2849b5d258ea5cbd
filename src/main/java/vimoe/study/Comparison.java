package vimoe.study;

/**
 * A comparison the user declares before the study ({@code --compare "A>B"}: "A beats B"), tested as
 * the paper's claims are: the paired difference {@code A - B} of test accuracy per seed, its t
 * interval over seeds, the verdict, the minimum detectable effect and the seeds needed ({@link
 * Findings#declared}).
 *
 * @param better the grid entry (router or variant) claimed to be better
 * @param worse the grid entry it is compared with
 */
public record Comparison(String better, String worse) {
  /** Checks that both sides are named and differ. */
  public Comparison {
    if (better == null || better.isBlank() || worse == null || worse.isBlank()) {
      throw bad(
          better + ">" + worse, "write A>B with A and B grid entries, e.g. tc-bias>softmax-tc");
    }
    if (better.equals(worse)) {
      throw bad(better + ">" + worse, "a comparison needs two different grid entries");
    }
  }

  /**
   * Parses {@code A>B}; spaces around the names are ignored.
   *
   * @throws IllegalArgumentException one line saying how to write it
   */
  public static Comparison parse(String text) {
    int gt = text.indexOf('>');
    if (gt < 0 || gt != text.lastIndexOf('>')) {
      throw bad(
          text,
          "write A>B (\"A beats B\") with A and B grid entries, e.g. --compare \"tc-bias>softmax-tc\"");
    }
    return new Comparison(text.substring(0, gt).strip(), text.substring(gt + 1).strip());
  }

  /** As typed: {@code tc-bias>softmax-tc}. */
  public String text() {
    return better + ">" + worse;
  }

  /** The claim in words, the finding's name: "tc-bias beats softmax-tc". */
  public String claim() {
    return better + " beats " + worse;
  }

  static IllegalArgumentException bad(String text, String problem) {
    return new IllegalArgumentException("--compare \"" + text + "\": " + problem);
  }
}
