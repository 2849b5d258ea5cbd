package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.moe.routing.Routers;
import vimoe.run.RunDir;
import vimoe.run.RunJson;

/**
 * Every JSON file a finished run and a finished study write, read as a user reads them: one naming
 * convention (snake_case keys), only the options of the run's router, explicit values, rounded
 * numbers, routing labelled by block; and a run directory of the earlier camelCase form still
 * evaluates.
 */
class RunFilesTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A snake_case key: lower-case words of letters and digits joined by underscores. */
  static final Pattern SNAKE = Pattern.compile("[a-z0-9]+(_[a-z0-9]+)*");

  @TempDir static Path tmp;
  static Path study;
  static Path run;

  @BeforeAll
  static void finishedStudyAndEvaluatedRun() throws Exception {
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    study = tmp.resolve("study");
    // the standard preset has no train limit: config.json says so with null
    List<String> args =
        new ArrayList<>(List.of("study", "--output", study.toString(), "--preset", "standard"));
    args.addAll(CliRunner.tinyStudy(data, "softmax-ec", 1, 1));
    CliRunner.Result done = CliRunner.run("", args.toArray(String[]::new));
    assertEquals(0, done.status(), done.err());
    try (Stream<Path> runs = Files.list(study.resolve("runs"))) {
      run =
          runs.filter(p -> p.getFileName().toString().startsWith("softmax-ec"))
              .findFirst()
              .orElseThrow();
    }
    CliRunner.Result eval = CliRunner.run("", "eval", run.toString());
    assertEquals(0, eval.status(), eval.err());
  }

  @Test
  void everyJsonFileSpeaksSnakeCaseWithOnlyTheRoutersOptions() throws Exception {
    List<Path> files;
    try (Stream<Path> all = Files.walk(study)) {
      files =
          all.filter(p -> p.toString().endsWith(".json") || p.toString().endsWith(".jsonl"))
              .sorted()
              .toList();
    }
    Set<String> names = new TreeSet<>();
    for (Path f : files) {
      names.add(f.getFileName().toString());
      for (JsonNode doc : documents(f)) {
        List<String> bad = new ArrayList<>();
        keys(doc, "", bad);
        assertEquals(List.of(), bad, f + ": keys not in snake_case");
      }
    }
    assertTrue(
        names.containsAll(
            List.of(
                "config.json",
                "result.json",
                "metrics.jsonl",
                "eval.json",
                "state.json",
                "study-eval.json",
                "study.json",
                "results.json")),
        "files read: " + names);

    for (Path f : files) {
      if (!f.getFileName().toString().equals("config.json")) {
        continue;
      }
      JsonNode config = JSON.readTree(f.toFile());
      JsonNode router = config.get("model").get("router");
      String name = router.get("name").asText();
      List<String> applies = Routers.info(name).options();
      for (Iterator<String> it = router.get("options").fieldNames(); it.hasNext(); ) {
        String option = it.next();
        assertTrue(applies.contains(option), f + ": " + option + " does not apply to " + name);
      }
      assertTrue(config.get("train").has("train_limit"), f + ": train_limit left out");
      assertTrue(config.get("train").get("train_limit").isNull(), f + ": no limit is null");
    }
    JsonNode ec = JSON.readTree(run.resolve("config.json").toFile()).get("model").get("router");
    assertEquals("softmax-ec", ec.get("name").asText());
    for (String foreign : List.of("k", "batch_priority", "sinkhorn_epsilon", "ot_iterations")) {
      assertFalse(ec.get("options").has(foreign), "softmax-ec lists " + foreign);
    }
    assertTrue(ec.get("options").has("capacity_factor"), ec.toString());
  }

  @Test
  void resultsAreRoundedSelfDescribingAndLabelledByBlock() throws Exception {
    for (String file : List.of("result.json", "eval.json", "metrics.jsonl")) {
      for (JsonNode doc : documents(run.resolve(file))) {
        List<String> noisy = new ArrayList<>();
        numbers(doc, "", noisy);
        assertEquals(List.of(), noisy, file + ": numbers with float noise");
      }
    }
    JsonNode result = JSON.readTree(run.resolve("result.json").toFile());
    assertTrue(result.get("train_images_per_second").asDouble() > 0, result.toString());
    assertFalse(result.has("images_per_second"));

    JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
    assertEquals("softmax-ec", eval.get("router").asText());
    assertEquals(0, eval.get("seed").asLong());
    assertEquals(1, eval.get("epochs").asInt());
    assertEquals(
        run.resolve("checkpoint").toAbsolutePath().normalize().toString(),
        eval.get("checkpoint").asText());
    assertEquals(result.get("test_accuracy"), eval.get("test_accuracy"));

    List<String> blocks = new ArrayList<>();
    result.get("routing").fieldNames().forEachRemaining(blocks::add);
    assertFalse(blocks.isEmpty());
    assertTrue(blocks.stream().allMatch(b -> b.matches("block\\d+")), blocks.toString());
    int epochLines = 0;
    for (JsonNode line : documents(run.resolve("metrics.jsonl"))) {
      if (line.has("epoch")) {
        epochLines++;
        assertTrue(line.get("routing").isObject(), line.toString());
        List<String> labels = new ArrayList<>();
        line.get("routing").fieldNames().forEachRemaining(labels::add);
        assertEquals(blocks, labels);
        assertTrue(line.has("train_images_per_second"), line.toString());
      }
    }
    assertEquals(1, epochLines);
  }

  @Test
  void aRunOfTheEarlierCamelCaseFormStillEvaluates() throws Exception {
    Path old = tmp.resolve("old");
    copy(run, old);
    // The form of earlier versions: record component names, every router option, trainLimit 0.
    ObjectNode legacy =
        (ObjectNode) JSON.valueToTree(RunDir.readConfig(run.resolve(RunDir.CONFIG)));
    ((ObjectNode) legacy.get("train")).put("trainLimit", 0);
    assertTrue(legacy.has("classNames") && legacy.get("model").get("router").has("batchPriority"));
    for (Path f : List.of(old.resolve("config.json"), old.resolve("checkpoint/config.json"))) {
      Files.writeString(f, legacy.toPrettyString(), StandardCharsets.UTF_8);
    }
    assertEquals(
        RunDir.readConfig(run.resolve(RunDir.CONFIG)).model(),
        RunDir.readConfig(old.resolve(RunDir.CONFIG)).model());
    assertEquals(null, RunDir.readConfig(old.resolve(RunDir.CONFIG)).train().trainLimit());
    Path out = tmp.resolve("old-eval.json");
    CliRunner.Result eval = CliRunner.run("", "eval", old.toString(), "--output", out.toString());
    assertEquals(0, eval.status(), eval.err());
    assertEquals(
        JSON.readTree(run.resolve("eval.json").toFile()).get("test_accuracy"),
        JSON.readTree(out.toFile()).get("test_accuracy"));
  }

  /** The JSON documents of a file: one, or one per line of a .jsonl file. */
  static List<JsonNode> documents(Path file) throws Exception {
    if (!file.toString().endsWith(".jsonl")) {
      return List.of(JSON.readTree(file.toFile()));
    }
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  /**
   * Adds the path of every key under {@code node} that is not snake_case to {@code bad}. A router's
   * name keying a map (study.json's models by router) is data, not a field name.
   */
  static void keys(JsonNode node, String path, List<String> bad) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!SNAKE.matcher(e.getKey()).matches() && !Routers.names().contains(e.getKey())) {
          bad.add(path + "/" + e.getKey());
        }
        keys(e.getValue(), path + "/" + e.getKey(), bad);
      }
    } else if (node.isArray()) {
      for (JsonNode child : node) {
        keys(child, path + "[]", bad);
      }
    }
  }

  /** Adds every floating-point number under {@code node} with more than 6 significant digits. */
  static void numbers(JsonNode node, String path, List<String> noisy) {
    if (node.isFloatingPointNumber()) {
      double v = node.asDouble();
      if (RunJson.round(v) != v) {
        noisy.add(path + " = " + node);
      }
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      numbers(e.getValue(), path + "/" + e.getKey(), noisy);
    }
    if (node.isArray()) {
      for (JsonNode child : node) {
        numbers(child, path + "[]", noisy);
      }
    }
  }

  private static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals(".lock")) {
          Files.copy(p, target);
        }
      }
    }
  }
}
