package vimoe.study.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report files: what they contain, how text is escaped, and that they are whole. */
class PagesTest {
  /** A small page: two figures (real PNGs), a table, two findings, one of them hostile HTML. */
  static Page page() {
    byte[] bars =
        Charts.bars(
            "Dropped tokens",
            "fraction",
            List.of("softmax-tc", "softmax-ec"),
            new double[] {0.08, 0});
    byte[] lines =
        Charts.lines(
            "Validation accuracy",
            "epoch",
            "accuracy (%)",
            new java.util.LinkedHashMap<>(
                java.util.Map.of("dense", new double[][] {{1, 2, 3}, {80, 84, 86}})));
    return new Page(
        "Study `quick`: which router?",
        List.of("Fashion-MNIST, `micro` model, 2 seeds x 1 epoch", "Caveat: 2 cores <b>only</b>"),
        List.of(
            "Expert Choice beats Token Choice: +0.41 points, 95% CI [0.12, 0.70]: holds.",
            "<script>alert('x')</script> & a | pipe"),
        List.of(
            new Table(
                "Test accuracy per router",
                List.of("router", "test accuracy", "95% CI", "n"),
                List.of(
                    List.of("`dense`", "88.08%", "[87.10, 88.90]", "2"),
                    List.of("`soft`", "87.90%", "-", "1")))),
        List.of(
            new Figure("dropped", "Dropped tokens per router", bars),
            new Figure("curves", "Validation accuracy per epoch", lines)));
  }

  @Test
  void writesHtmlMarkdownAndFiguresAndNothingElse(@TempDir Path tmp) throws IOException {
    Page page = page();
    Path dir = tmp.resolve("study");
    Pages.write(page, dir);
    try (Stream<Path> files = Files.walk(dir)) {
      assertEquals(
          List.of(
              "figures", "figures/curves.png", "figures/dropped.png", "report.html", "report.md"),
          files
              .filter(p -> !p.equals(dir))
              .map(p -> dir.relativize(p).toString())
              .sorted()
              .toList(),
          "no temporary file is left behind");
    }
    assertArrayEquals(
        page.figures().get(0).png(), Files.readAllBytes(dir.resolve("figures/dropped.png")));
    String html = Files.readString(dir.resolve("report.html"));
    Matcher uris =
        Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=&#;]+)\"").matcher(html);
    for (Figure f : page.figures()) {
      assertTrue(uris.find(), "an <img> per figure");
      // Mustache escapes '=' in attributes as &#61;, which the browser reads back as '='
      assertArrayEquals(f.png(), Base64.getDecoder().decode(uris.group(1).replace("&#61;", "=")));
    }
    assertFalse(uris.find());
    assertFalse(html.contains("http://") || html.contains("https://"), "the report loads nothing");
    assertTrue(html.contains("<code>dense</code>") && html.contains("<code>micro</code>"));
    Pages.write(page, dir); // rewriting replaces the files in place
    assertEquals(html, Files.readString(dir.resolve("report.html")));
    Page fewer =
        new Page(
            page.title(),
            page.header(),
            page.findings(),
            page.tables(),
            page.figures().subList(0, 1));
    Files.writeString(dir.resolve("figures/notes.txt"), "kept");
    Pages.write(fewer, dir);
    assertFalse(
        Files.exists(dir.resolve("figures/curves.png")), "a figure the report no longer has goes");
    assertTrue(
        Files.exists(dir.resolve("figures/dropped.png"))
            && Files.exists(dir.resolve("figures/notes.txt")));
  }

  @Test
  void htmlEscapesTextAndMarksNumericColumns() {
    String html = Pages.html(page());
    assertFalse(html.contains("<script>") || html.contains("<b>only"), "text never becomes markup");
    assertTrue(html.contains("&lt;script&gt;") && html.contains("&lt;b&gt;only"), html);
    assertTrue(html.contains("<td class=\"num\">88.08%</td>"), "numbers are right-aligned");
    assertTrue(
        html.contains("<td class=\"num\">-</td>"), "a missing number stays in its numeric column");
    assertTrue(html.contains("<td><code>dense</code></td>"), "names are not");
    assertEquals(2, html.split("<li class=\"finding\">", -1).length - 1);
    assertTrue(
        html.contains("<title>Study quick: which router?</title>"),
        "the title bar shows plain text");
  }

  @Test
  void markdownIsTheTwinWithLinkedFigures() {
    String md = Pages.markdown(page());
    List<String> lines = md.lines().toList();
    assertEquals("# Study `quick`: which router?", lines.get(0));
    assertTrue(lines.contains("- Caveat: 2 cores \\<b>only\\</b>"), md);
    assertTrue(lines.contains("- \\<script>alert('x')\\</script> & a | pipe"), md);
    assertTrue(lines.contains("| router | test accuracy | 95% CI | n |"), md);
    assertTrue(lines.contains("| --- | ---: | ---: | ---: |"), md);
    assertTrue(lines.contains("| `dense` | 88.08% | [87.10, 88.90] | 2 |"), md);
    assertTrue(lines.contains("![Dropped tokens per router](figures/dropped.png)"), md);
    assertTrue(
        lines.indexOf("## Findings") < lines.indexOf("## Tables")
            && lines.indexOf("## Tables") < lines.indexOf("## Figures"),
        "findings, then tables, then figures");
  }

  @Test
  void textIsSplitIntoCodeSpansAtBackticks() {
    assertEquals(
        List.of(
            new Pages.Span("a ", false), new Pages.Span("b", true), new Pages.Span(" c", false)),
        Pages.spans("a `b` c"));
    assertEquals(List.of(new Pages.Span("odd ` tick", false)), Pages.spans("odd ` tick"));
    assertEquals("a \\| b", Pages.md("a | b").replace("|", "\\|"));
    assertEquals("2\\*onehot \\_x `a_b*`", Pages.md("2*onehot _x `a_b*`"));
  }

  @Test
  void invalidPagesAreRefused() {
    byte[] png = page().figures().get(0).png();
    assertThrows(IllegalArgumentException.class, () -> new Figure("Bad Name", "c", png));
    assertThrows(IllegalArgumentException.class, () -> new Figure("../up", "c", png));
    assertThrows(IllegalArgumentException.class, () -> new Figure("fine", "c", new byte[30]));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Table("t", List.of("a", "b"), List.of(List.of("1"))));
    Figure f = new Figure("same", "c", png);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Page("t", List.of(), List.of(), List.of(), List.of(f, f)));
    assertTrue(e.getMessage().contains("two figures are named same"));
  }
}
