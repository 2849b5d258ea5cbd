package vimoe.study.report;

import java.util.List;
import java.util.Objects;

/**
 * A table of a report: a caption, the column headings and the rows, each cell text already
 * formatted (text between backticks is shown as code, as everywhere in a {@link Page}).
 */
public record Table(String caption, List<String> columns, List<List<String>> rows) {
  /** Copies the lists and checks that every row has one cell per column. */
  public Table {
    Objects.requireNonNull(caption, "caption");
    columns = List.copyOf(columns);
    rows = rows.stream().map(List::copyOf).toList();
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("table \"" + caption + "\" has no columns");
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i).size() != columns.size()) {
        throw new IllegalArgumentException(
            "table \""
                + caption
                + "\": row "
                + i
                + " has "
                + rows.get(i).size()
                + " cells for "
                + columns.size()
                + " columns");
      }
    }
  }
}
