package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny real study that mixes a paper router (softmax-tc), a later one (sigmoid-tc) and a variant
 * (tc-bias: softmax-tc with auxiliary-loss-free bias balancing), 2 seeds of 1 epoch on 8 x 8
 * textures, with one declared comparison: "tc-bias beats softmax-tc".
 */
class StudyVariantsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static final String VARIANT = "tc-bias=softmax-tc:bias_update_rate=0.001";

  @TempDir static Path tmp;
  static Path data;
  static Path dir;
  static CliRunner.Result first;

  static List<String> args(String... head) {
    List<String> a = new ArrayList<>(List.of(head));
    a.addAll(CliRunner.tinyStudy(data, "softmax-tc,sigmoid-tc", 2, 1));
    a.addAll(List.of("--variant", VARIANT, "--compare", "tc-bias>softmax-tc"));
    return a;
  }

  @BeforeAll
  static void study() throws Exception {
    data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    dir = tmp.resolve("study");
    List<String> a = args("study", "--output", dir.toString(), "--no-throughput");
    first = CliRunner.run("", a.toArray(String[]::new));
  }

  @Test
  void theDeclaredComparisonIsAFindingOfTwoPairedSeedsInResultsAndReport() throws Exception {
    assertEquals(0, first.status(), first.err());
    JsonNode results = JSON.readTree(dir.resolve("results.json").toFile());
    List<String> routers = new ArrayList<>();
    results.get("results").forEach(r -> routers.add(r.get("router").asText()));
    // the variant sits right after its router, in every table
    assertEquals(List.of("dense", "softmax-tc", "tc-bias", "sigmoid-tc"), routers);
    JsonNode finding = null;
    for (JsonNode f : results.get("findings")) {
      if (f.get("claim").asText().equals("tc-bias beats softmax-tc")) {
        finding = f;
      }
    }
    assertTrue(finding != null, results.get("findings").toString());
    assertTrue(finding.get("declared").asBoolean());
    assertEquals(2, finding.get("n").asInt());
    assertEquals("tc-bias minus softmax-tc, paired by seed", finding.get("compared").asText());
    // the estimate is the mean over the 2 seeds of the runs' own test accuracies, paired
    double d0 = accuracy("tc-bias-s0") - accuracy("softmax-tc-s0"),
        d1 = accuracy("tc-bias-s1") - accuracy("softmax-tc-s1");
    assertEquals((d0 + d1) / 2, finding.get("estimate").asDouble(), 1e-12);
    // with 2 seeds: SD |d0 - d1| / sqrt(2), interval mean ± t(0.975, 1) SD / sqrt(2)
    double sd = Math.abs(d0 - d1) / Math.sqrt(2), t = Math.tan(Math.PI * 0.475);
    assertEquals(sd, finding.get("sd").asDouble(), 1e-12);
    assertEquals(
        Math.max(-1, (d0 + d1) / 2 - t * sd / Math.sqrt(2)),
        finding.get("ci95").get(0).asDouble(),
        1e-9);
    String md = Files.readString(dir.resolve("report.md"));
    String row =
        md.lines()
            .filter(l -> l.startsWith("| tc-bias beats softmax-tc | tc-bias minus softmax-tc"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(md));
    assertTrue(row.contains(" | 2 | " + finding.get("verdict").asText() + " |"), row);
    assertTrue(md.contains("- tc-bias beats softmax-tc: "), md);
    assertTrue(first.out().contains("tc-bias beats softmax-tc: "), first.out());
    // the variant is in the ranking and in all pairs
    assertTrue(md.contains("| `softmax-tc` - `tc-bias` |"), md);
    assertTrue(
        Files.readString(dir.resolve("results.csv"))
            .lines()
            .anyMatch(l -> l.startsWith("tc-bias,")));
  }

  @Test
  void theVariantsRunsUsedItsOptionsAndTheRoutersRunsDidNot() throws Exception {
    assertEquals(0, first.status(), first.err());
    for (long seed = 0; seed < 2; seed++) {
      JsonNode variant = config("tc-bias-s" + seed).get("model").get("router");
      assertEquals("softmax-tc", variant.get("name").asText());
      assertEquals(0.001, variant.get("options").get("bias_update_rate").asDouble(), 0);
      JsonNode plain = config("softmax-tc-s" + seed).get("model").get("router");
      assertEquals("softmax-tc", plain.get("name").asText());
      assertEquals(0, plain.get("options").path("bias_update_rate").asDouble(), 0);
      // every other option is the same
      ((ObjectNode) variant.get("options")).remove("bias_update_rate");
      ((ObjectNode) plain.get("options")).remove("bias_update_rate");
      assertEquals(plain, variant);
    }
    JsonNode spec = JSON.readTree(dir.resolve("study.json").toFile()).get("spec");
    assertEquals("tc-bias", spec.at("/variants/0/name").asText());
    assertEquals("0.001", spec.at("/variants/0/options/bias_update_rate").asText());
    assertEquals("tc-bias", spec.at("/comparisons/0/better").asText());
  }

  @Test
  void reportPlanAndGrowingReadTheVariantsBack() throws Exception {
    assertEquals(0, first.status(), first.err());
    // study report reads the variants and the comparison back from study.json
    CliRunner.Result report = CliRunner.run("", "study", "report", dir.toString());
    assertEquals(0, report.status(), report.err());
    assertTrue(report.out().contains("tc-bias beats softmax-tc: "), report.out());
    // the plan names the variant's runs and repeats its definition
    List<String> plan = args("study", "plan", "--output", dir.toString());
    CliRunner.Result planned = CliRunner.run("", plan.toArray(String[]::new));
    assertEquals(0, planned.status(), planned.err());
    assertEquals(8, planned.out().lines().count(), planned.out());
    assertTrue(
        planned.out().contains("--only tc-bias-s1 ")
            && planned.out().contains("--variant " + VARIANT)
            && planned.out().contains("--compare 'tc-bias>softmax-tc'"),
        planned.out());
    // another comparison changes no run: every one is kept, the findings are rebuilt
    List<String> more = args("study", "--output", dir.toString(), "--no-throughput");
    more.addAll(List.of("--compare", "sigmoid-tc>tc-bias"));
    CliRunner.Result again = CliRunner.run("", more.toArray(String[]::new));
    assertEquals(0, again.status(), again.err());
    assertEquals(8, again.err().lines().filter(l -> l.startsWith("kept finished run")).count());
    assertTrue(again.out().contains("sigmoid-tc beats tc-bias: "), again.out());
    // a variant's definition is fixed by its finished runs
    List<String> redefined = args("study", "--output", dir.toString());
    redefined.set(redefined.indexOf(VARIANT), "tc-bias=softmax-tc:bias_update_rate=0.01");
    CliRunner.Result refused = CliRunner.run("", redefined.toArray(String[]::new));
    assertEquals(2, refused.status());
    assertEquals(1, refused.err().lines().count(), refused.err());
    assertTrue(
        refused.err().contains("holds variant " + VARIANT + ", now --variant tc-bias="),
        refused.err());
  }

  @Test
  void aNewVariantGrowsTheStudyReusingEveryFinishedRun() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path grown = tmp.resolve("grown");
    try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.toList()) {
        Path to = grown.resolve(dir.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    List<String> more = args("study", "--output", grown.toString(), "--no-throughput");
    more.addAll(List.of("--variant", "tc-z=softmax-tc:z_loss_weight=0.1"));
    CliRunner.Result again = CliRunner.run("", more.toArray(String[]::new));
    assertEquals(0, again.status(), again.err());
    assertEquals(8, again.err().lines().filter(l -> l.startsWith("kept finished run")).count());
    assertTrue(again.err().contains("tc-z-s1: trained"), again.err());
    JsonNode results = JSON.readTree(grown.resolve("results.json").toFile());
    List<String> routers = new ArrayList<>();
    results.get("results").forEach(r -> routers.add(r.get("router").asText()));
    assertEquals(List.of("dense", "softmax-tc", "tc-bias", "tc-z", "sigmoid-tc"), routers);
    JsonNode z = config(grown, "tc-z-s0").get("model").get("router").get("options");
    assertEquals(0.1, z.get("z_loss_weight").asDouble(), 0);
  }

  private static double accuracy(String run) throws Exception {
    return JSON.readTree(dir.resolve("runs").resolve(run).resolve("result.json").toFile())
        .get("test_accuracy")
        .asDouble();
  }

  private static JsonNode config(String run) throws Exception {
    return config(dir, run);
  }

  private static JsonNode config(Path study, String run) throws Exception {
    return JSON.readTree(study.resolve("runs").resolve(run).resolve("config.json").toFile());
  }
}
