package vimoe.model;

import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which encoder blocks are MoE layers: {@code last:N} (the last N blocks), {@code every:N} (blocks
 * N-1, 2N-1, ...: every N-th block, 0-based), or an explicit comma-separated list of 0-based block
 * indices such as {@code 1,3,5}.
 */
public final class MoePlacement {
  private MoePlacement() {}

  /**
   * The sorted 0-based indices of the MoE blocks among {@code depth} blocks.
   *
   * @throws IllegalArgumentException naming the bad text, with the accepted forms
   */
  public static SortedSet<Integer> parse(String text, int depth) {
    TreeSet<Integer> blocks = new TreeSet<>();
    String t = text == null ? "" : text.strip();
    try {
      if (t.startsWith("last:")) {
        int n = Integer.parseInt(t.substring(5));
        check(n >= 0 && n <= depth, text, depth);
        for (int i = depth - n; i < depth; i++) {
          blocks.add(i);
        }
      } else if (t.startsWith("every:")) {
        int n = Integer.parseInt(t.substring(6));
        check(n >= 1, text, depth);
        for (int i = n - 1; i < depth; i += n) {
          blocks.add(i);
        }
      } else if (!t.isEmpty()) {
        // limit 0: a trailing separator adds no empty entry
        for (String part : t.split(",", 0)) {
          int i = Integer.parseInt(part.strip());
          check(i >= 0 && i < depth, text, depth);
          blocks.add(i);
        }
      } else {
        check(false, text, depth);
      }
    } catch (NumberFormatException e) {
      check(false, text, depth);
    }
    return blocks;
  }

  private static void check(boolean ok, String text, int depth) {
    if (!ok) {
      throw new IllegalArgumentException(
          "moe_layers \""
              + text
              + "\" is not valid for depth "
              + depth
              + "; use last:N, every:N or a list of block indices 0.."
              + (depth - 1)
              + " such as 1,3");
    }
  }
}
