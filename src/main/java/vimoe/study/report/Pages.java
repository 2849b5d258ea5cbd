package vimoe.study.report;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Writes a {@link Page} as a self-contained HTML file (figures as data URIs, a content security
 * policy that forbids every network request), its Markdown twin and the figures as PNG files.
 */
public final class Pages {
  /** The template, in the jar; Mustache escapes every {@code {{value}}} for HTML. */
  private static final Mustache HTML =
      new DefaultMustacheFactory("vimoe/study/report").compile("report.html.mustache");

  /** A cell that reads as a number (right-aligned): an optional sign or bracket, then a digit. */
  private static final Pattern NUMERIC = Pattern.compile("[-+−±\\[(]?\\s*\\d.*", Pattern.DOTALL);

  private Pages() {}

  /**
   * Writes {@code dir/report.html} (one self-contained file: figures as data URIs, no network),
   * {@code dir/report.md} (its twin, figures as relative links) and {@code dir/figures/<name>.png},
   * each atomically (a temporary name, then a rename); the figures first and the HTML last, so a
   * complete {@code report.html} means a complete report. Creates {@code dir} if needed. PNG files
   * in {@code dir/figures} that the page no longer has (from an earlier report) are deleted last.
   */
  public static void write(Page page, Path dir) throws IOException {
    Path figures = dir.resolve("figures");
    Files.createDirectories(page.figures().isEmpty() ? dir : figures);
    Set<String> written = new HashSet<>();
    for (Figure f : page.figures()) {
      writeAtomically(figures.resolve(f.name() + ".png"), f.png());
      written.add(f.name() + ".png");
    }
    writeAtomically(dir.resolve("report.md"), markdown(page).getBytes(StandardCharsets.UTF_8));
    writeAtomically(dir.resolve("report.html"), html(page).getBytes(StandardCharsets.UTF_8));
    if (Files.isDirectory(figures)) {
      try (Stream<Path> old = Files.list(figures)) {
        for (Path p :
            old.filter(
                    p ->
                        p.getFileName().toString().endsWith(".png")
                            && !written.contains(p.getFileName().toString()))
                .toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** The page as one HTML document. */
  static String html(Page page) {
    StringWriter out = new StringWriter();
    HTML.execute(out, new HtmlPage(page));
    return out.toString();
  }

  /** The page as GitHub-flavoured Markdown, figures linked as {@code figures/<name>.png}. */
  static String markdown(Page page) {
    StringBuilder md = new StringBuilder("# ").append(md(page.title())).append("\n\n");
    for (String line : page.header()) {
      md.append("- ").append(md(line)).append('\n');
    }
    if (!page.header().isEmpty()) {
      md.append('\n');
    }
    if (!page.findings().isEmpty()) {
      md.append("## Findings\n\n");
      for (String f : page.findings()) {
        md.append("- ").append(md(f)).append('\n');
      }
      md.append('\n');
    }
    if (!page.tables().isEmpty()) {
      md.append("## Tables\n\n");
      int number = 1;
      for (Table t : page.tables()) {
        md.append("**Table ")
            .append(number++)
            .append(".** ")
            .append(md(t.caption()))
            .append("\n\n");
        md.append(t.columns().stream().map(Pages::cell).reduce("|", (a, b) -> a + " " + b + " |"))
            .append('\n');
        boolean[] numeric = numericColumns(t);
        md.append(
                IntStream.range(0, numeric.length)
                    .mapToObj(c -> numeric[c] ? " ---: |" : " --- |")
                    .reduce("|", String::concat))
            .append('\n');
        for (List<String> row : t.rows()) {
          md.append(row.stream().map(Pages::cell).reduce("|", (a, b) -> a + " " + b + " |"))
              .append('\n');
        }
        md.append('\n');
      }
    }
    if (!page.figures().isEmpty()) {
      md.append("## Figures\n\n");
      int number = 1;
      for (Figure f : page.figures()) {
        String alt = plain(f.caption()).replaceAll("([\\\\\\[\\]])", "\\\\$1");
        md.append("![")
            .append(alt)
            .append("](figures/")
            .append(f.name())
            .append(".png)\n\n")
            .append("*Figure ")
            .append(number++)
            .append(".* ")
            .append(md(f.caption()))
            .append("\n\n");
      }
    }
    return md.toString();
  }

  /**
   * A Markdown table cell: {@link #md} text, its pipes escaped (in code spans too, as tables need).
   */
  private static String cell(String text) {
    return md(text).replace("|", "\\|");
  }

  /**
   * Text as Markdown on one line: code spans kept, and outside them the characters that Markdown
   * would read as emphasis, HTML or an escape ({@code \ * _ <}) escaped, so the text reads as
   * written.
   */
  static String md(String text) {
    StringBuilder out = new StringBuilder();
    for (Span span : spans(oneLine(text))) {
      out.append(
          span.code() ? "`" + span.text() + "`" : span.text().replaceAll("([\\\\*_<])", "\\\\$1"));
    }
    return out.toString();
  }

  /** Text on one line without the backticks of code spans, for titles and alternative text. */
  static String plain(String text) {
    return spans(oneLine(text)).stream().map(Span::text).reduce("", String::concat);
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s*\\R\\s*", " ").strip();
  }

  /** Columns whose cells all read as numbers (or are empty or {@code -}), at least one of them. */
  static boolean[] numericColumns(Table t) {
    boolean[] numeric = new boolean[t.columns().size()];
    for (int c = 0; c < numeric.length; c++) {
      boolean any = false, all = true;
      for (List<String> row : t.rows()) {
        String v = row.get(c).strip();
        if (NUMERIC.matcher(v).matches()) {
          any = true;
        } else if (!v.isEmpty() && !v.equals("-")) {
          all = false;
        }
      }
      numeric[c] = any && all;
    }
    return numeric;
  }

  /**
   * Writes {@code bytes} to a fresh temporary name beside {@code target}, then renames it onto
   * {@code target}, so that a reader sees the old file or the new one, never a part.
   */
  static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Path temp =
        target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      Files.write(temp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** A piece of text: plain, or code (between backticks in the source text). */
  record Span(String text, boolean code) {}

  /** Splits text at backticks: odd pieces are code; an unmatched backtick stays as written. */
  static List<Span> spans(String text) {
    List<Span> out = new ArrayList<>();
    int from = 0;
    while (from < text.length()) {
      int open = text.indexOf('`', from);
      int close = open < 0 ? -1 : text.indexOf('`', open + 1);
      if (close < 0) {
        out.add(new Span(text.substring(from), false));
        break;
      }
      if (open > from) {
        out.add(new Span(text.substring(from, open), false));
      }
      out.add(new Span(text.substring(open + 1, close), true));
      from = close + 1;
    }
    return out;
  }

  /**
   * The view of a page that the template reads (Mustache resolves these record components by name).
   */
  record HtmlPage(
      String title,
      List<Span> heading,
      List<List<Span>> header,
      List<List<Span>> findings,
      List<HtmlTable> tables,
      List<HtmlFigure> figures) {
    HtmlPage(Page p) {
      this(
          plain(p.title()),
          spans(p.title()),
          p.header().stream().map(Pages::spans).toList(),
          p.findings().stream().map(Pages::spans).toList(),
          IntStream.range(0, p.tables().size())
              .mapToObj(i -> new HtmlTable(i + 1, p.tables().get(i)))
              .toList(),
          IntStream.range(0, p.figures().size())
              .mapToObj(i -> new HtmlFigure(i + 1, p.figures().get(i)))
              .toList());
    }

    boolean hasHeader() {
      return !header.isEmpty();
    }

    boolean hasFindings() {
      return !findings.isEmpty();
    }

    boolean hasTables() {
      return !tables.isEmpty();
    }

    boolean hasFigures() {
      return !figures.isEmpty();
    }
  }

  /** A table for the template: numbered, cells split into spans and marked numeric. */
  record HtmlTable(
      int number, List<Span> caption, List<HtmlCell> columns, List<List<HtmlCell>> rows) {
    HtmlTable(int number, Table t) {
      this(
          number,
          spans(t.caption()),
          cells(t.columns(), numericColumns(t)),
          t.rows().stream().map(r -> cells(r, numericColumns(t))).toList());
    }

    private static List<HtmlCell> cells(List<String> texts, boolean[] numeric) {
      return IntStream.range(0, texts.size())
          .mapToObj(c -> new HtmlCell(spans(texts.get(c)), numeric[c]))
          .toList();
    }
  }

  /** A table cell (or heading) for the template. */
  record HtmlCell(List<Span> spans, boolean numeric) {}

  /** A figure for the template: its PNG as a data URI and its pixel size. */
  record HtmlFigure(
      int number,
      String name,
      List<Span> caption,
      String alt,
      String dataUri,
      int width,
      int height) {
    HtmlFigure(int number, Figure f) {
      this(
          number,
          f.name(),
          spans(f.caption()),
          plain(f.caption()),
          "data:image/png;base64," + Base64.getEncoder().encodeToString(f.png()),
          pngSize(f.png(), 16),
          pngSize(f.png(), 20));
    }
  }

  /**
   * A dimension from the PNG IHDR chunk (width at byte 16, height at byte 20), 0 if the header is
   * short.
   */
  private static int pngSize(byte[] png, int offset) {
    return png.length >= offset + 4 ? ByteBuffer.wrap(png, offset, 4).getInt() : 0;
  }
}
