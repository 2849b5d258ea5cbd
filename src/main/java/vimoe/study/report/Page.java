package vimoe.study.report;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A report page: the title, header lines (setup, scale, caveats), findings (one sentence each),
 * tables and figures, shown in that order. Text between backticks is shown as code ({@code
 * `softmax-ec`}); all other text is shown as written.
 */
public record Page(
    String title,
    List<String> header,
    List<String> findings,
    List<Table> tables,
    List<Figure> figures) {
  /** Copies the lists and checks that figure names are distinct (each is a file). */
  public Page {
    Objects.requireNonNull(title, "title");
    header = List.copyOf(header);
    findings = List.copyOf(findings);
    tables = List.copyOf(tables);
    figures = List.copyOf(figures);
    Set<String> names = new HashSet<>();
    for (Figure f : figures) {
      if (!names.add(f.name())) {
        throw new IllegalArgumentException("two figures are named " + f.name());
      }
    }
  }
}
