package vimoe.study.report;

import java.util.Objects;

/**
 * A figure of a report: {@code name} is the file stem ({@code [a-z0-9-]+}, written as {@code
 * figures/<name>.png}), {@code caption} one line of text, {@code png} the encoded image.
 */
public record Figure(String name, String caption, byte[] png) {
  /** Validates the name (a safe file stem) and that {@code png} starts with the PNG signature. */
  public Figure {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(caption, "caption");
    Objects.requireNonNull(png, "png");
    if (!name.matches("[a-z0-9-]+")) {
      throw new IllegalArgumentException(
          "figure name \"" + name + "\" is not a file stem of [a-z0-9-]+");
    }
    if (png.length < 24
        || (png[0] & 0xff) != 0x89
        || png[1] != 'P'
        || png[2] != 'N'
        || png[3] != 'G') {
      throw new IllegalArgumentException("figure " + name + " is not a PNG image");
    }
  }
}
