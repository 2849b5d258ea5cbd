package vimoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * No two vimoe packages depend on each other, directly or through others (docs/architecture.md):
 * the package graph that {@code jdeps -verbose:package target/classes} reports has no cycle.
 */
class PackageCyclesTest {
  private static final Pattern EDGE =
      Pattern.compile("^\\s+(vimoe[\\w.]*)\\s+->\\s+(vimoe[\\w.]*)\\s");

  @Test
  void packageGraphHasNoCycle() {
    Map<String, Set<String>> graph = graph();
    assertTrue(
        graph.containsKey("vimoe.moe") && graph.get("vimoe.moe").contains("vimoe.moe.routing"),
        "jdeps found no edge vimoe.moe -> vimoe.moe.routing: " + graph);
    List<Set<String>> cycles = new ArrayList<>();
    for (Set<String> component : components(graph)) {
      if (component.size() > 1) {
        cycles.add(component);
      }
    }
    assertEquals(List.of(), cycles, "packages that depend on each other; edges: " + graph);
  }

  /** Package -> packages it uses, vimoe's only, from jdeps. */
  private static Map<String, Set<String>> graph() {
    Path classes = Path.of("target", "classes");
    assertTrue(
        Files.isDirectory(classes.resolve("vimoe")),
        "no compiled classes at " + classes.toAbsolutePath());
    ToolProvider jdeps =
        ToolProvider.findFirst("jdeps")
            .orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
    StringWriter out = new StringWriter();
    int status =
        jdeps.run(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "-verbose:package",
            classes.toString());
    assertEquals(0, status, "jdeps failed: " + out);
    Map<String, Set<String>> graph = new TreeMap<>();
    for (String line : out.toString().split("\n", -1)) {
      Matcher m = EDGE.matcher(line);
      if (m.find() && !m.group(1).equals(m.group(2))) {
        graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        graph.computeIfAbsent(m.group(2), k -> new TreeSet<>());
      }
    }
    return graph;
  }

  /** Strongly connected components (Tarjan). */
  private static List<Set<String>> components(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new TreeMap<>(), low = new TreeMap<>();
    List<String> stack = new ArrayList<>();
    List<Set<String>> out = new ArrayList<>();
    for (String v : graph.keySet()) {
      if (!index.containsKey(v)) {
        visit(v, graph, index, low, stack, out);
      }
    }
    return out;
  }

  private static void visit(
      String v,
      Map<String, Set<String>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      List<String> stack,
      List<Set<String>> out) {
    index.put(v, index.size());
    low.put(v, index.get(v));
    stack.add(v);
    for (String w : graph.get(v)) {
      if (!index.containsKey(w)) {
        visit(w, graph, index, low, stack, out);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (stack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      Set<String> component = new TreeSet<>();
      String w;
      do {
        w = stack.remove(stack.size() - 1);
        component.add(w);
      } while (!w.equals(v));
      out.add(component);
    }
  }
}
