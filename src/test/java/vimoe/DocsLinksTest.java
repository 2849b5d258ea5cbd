package vimoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documents hold together: every relative link of README.md and docs/*.md resolves to a file of
 * the repository (and its #anchor to a heading, named as GitHub names them), every section of docs/
 * that the code cites by name exists, and no file of the repository points outside it.
 */
class DocsLinksTest {
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*$");
  private static final Pattern CITATION =
      Pattern.compile(
          "docs/([a-z-]+\\.md), \"([^\"]+)\"|\"([^\"]+)\" section of docs/([a-z-]+\\.md)");

  /** README.md and every Markdown file under docs/. */
  private static List<Path> documents() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(Path.of("README.md")));
    try (Stream<Path> s = Files.list(Path.of("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path doc : documents()) {
      Matcher m = LINK.matcher(prose(Files.readString(doc)));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) { // https:, mailto: ...
          continue;
        }
        checked++;
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        Path resolved = file.isEmpty() ? doc : doc.toAbsolutePath().getParent().resolve(file);
        if (!Files.exists(resolved)) {
          broken.add(doc + ": " + target + " (no such file)");
        } else if (hash >= 0 && !anchors(resolved).contains(target.substring(hash + 1))) {
          broken.add(doc + ": " + target + " (no such heading; " + anchors(resolved) + ")");
        }
      }
    }
    assertTrue(checked > 30, "the link pattern must find the documents' links; found " + checked);
    assertEquals(List.of(), broken, "broken links");
  }

  @Test
  void everyCitedSectionExists() throws IOException {
    Map<String, List<String>> headings = new HashMap<>();
    List<String> missing = new ArrayList<>();
    int cited = 0;
    for (Path java : javaFiles()) {
      String text = Files.readString(java).replaceAll("\\s*\\n\\s*(\\*|//)?\\s*", " ");
      Matcher m = CITATION.matcher(text);
      while (m.find()) {
        String doc = m.group(1) != null ? m.group(1) : m.group(4);
        String section = (m.group(2) != null ? m.group(2) : m.group(3)).toLowerCase(Locale.ROOT);
        List<String> titles = headings.computeIfAbsent(doc, DocsLinksTest::headingTitles);
        cited++;
        if (titles.stream().noneMatch(t -> t.contains(section))) {
          missing.add(java + " cites docs/" + doc + ", \"" + section + "\"");
        }
      }
    }
    assertTrue(cited >= 5, "the code cites sections of docs/routing.md by name; found " + cited);
    assertEquals(List.of(), missing, "sections cited by the code but absent from docs/");
  }

  @Test
  void nothingPointsOutsideTheRepository() throws IOException {
    String outside = ".." + "/shared"; // split, so that this file does not match itself
    List<String> hits = new ArrayList<>();
    for (Path file : repositoryFiles()) {
      byte[] bytes = Files.readAllBytes(file);
      if (isText(bytes) && new String(bytes, StandardCharsets.UTF_8).contains(outside)) {
        hits.add(file.toString());
      }
    }
    assertEquals(List.of(), hits, "files that point to " + outside + ", outside the repository");
  }

  /** The Markdown without fenced code blocks and inline code, where brackets are not links. */
  private static String prose(String markdown) {
    return markdown.replaceAll("(?ms)^```.*?^```", "").replaceAll("`[^`\\n]*`", "");
  }

  /** The heading titles of a document, lower case, without Markdown's backticks. */
  private static List<String> headingTitles(String doc) {
    try {
      List<String> titles = new ArrayList<>();
      for (String line : prose(Files.readString(Path.of("docs", doc))).split("\n", -1)) {
        Matcher h = HEADING.matcher(line);
        if (h.matches()) {
          titles.add(h.group(1).toLowerCase(Locale.ROOT));
        }
      }
      return titles;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as
   * hyphens, a repeated anchor numbered -1, -2, ... Headings in code blocks are none.
   */
  static Set<String> anchors(Path doc) throws IOException {
    Set<String> anchors = new LinkedHashSet<>();
    if (!doc.toString().endsWith(".md")) {
      return anchors;
    }
    String text = Files.readString(doc).replaceAll("(?ms)^```.*?^```", "");
    Map<String, Integer> seen = new HashMap<>();
    for (String line : text.split("\n", -1)) {
      Matcher h = HEADING.matcher(line);
      if (h.matches()) {
        String slug =
            h.group(1)
                .toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\p{N} _-]", "")
                .replace(' ', '-');
        int n = seen.merge(slug, 1, Integer::sum);
        anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
      }
    }
    return anchors;
  }

  private static List<Path> javaFiles() throws IOException {
    try (Stream<Path> s = Files.walk(Path.of("src"))) {
      return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
  }

  /**
   * The repository's files: what git tracks, or, without git (a source archive), every file but
   * build outputs and tool folders.
   */
  private static List<Path> repositoryFiles() throws IOException {
    try {
      Process git = new ProcessBuilder("git", "ls-files", "-z").redirectErrorStream(false).start();
      byte[] out = git.getInputStream().readAllBytes();
      if (git.waitFor() == 0 && out.length > 0) {
        return Stream.of(new String(out, StandardCharsets.UTF_8).split("\0"))
            .map(Path::of)
            .filter(Files::isRegularFile)
            .toList();
      }
    } catch (IOException e) {
      // no git here: walk the tree instead
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Set<String> skip = Set.of(".git", "target", ".gpu", "runs", ".idea", ".jqwik-database");
    try (Stream<Path> s = Files.walk(Path.of("."))) {
      return s.filter(Files::isRegularFile)
          .filter(p -> Stream.of(p.normalize().toString().split("/")).noneMatch(skip::contains))
          .toList();
    }
  }

  private static boolean isText(byte[] bytes) {
    for (int i = 0; i < Math.min(bytes.length, 8000); i++) {
      if (bytes[i] == 0) {
        return false;
      }
    }
    return true;
  }
}
