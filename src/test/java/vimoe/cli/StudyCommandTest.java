package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * {@code vimoe study} end to end on a tiny grid (softmax-tc, softmax-ec and dense, 2 seeds, 2
 * epochs of 8 x 8 textures, width 16, depth 2): the uninterrupted study, one killed and continued,
 * one run through {@code study plan | xargs -P 2} and {@code study report}, all giving the same
 * results.
 */
class StudyCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Fields that measure time or describe the process that created study.json (its heap), not
   * results: they differ between any two studies.
   */
  static final List<String> TIMINGS =
      List.of("training_images_per_second", "inference_images_per_second", "machine");

  @TempDir static Path tmp;
  static Path data;
  static Path uninterrupted;
  static CliRunner.Result first;

  static List<String> grid() {
    return CliRunner.tinyStudy(data, "softmax-tc,softmax-ec", 2, 2);
  }

  static String[] args(String... head) {
    List<String> a = new ArrayList<>(List.of(head));
    a.addAll(grid());
    return a.toArray(String[]::new);
  }

  @BeforeAll
  static void uninterruptedStudy() throws Exception {
    data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    uninterrupted = tmp.resolve("study");
    first = CliRunner.run("", args("study", "--output", uninterrupted.toString()));
  }

  @Test
  void studyWritesResultsAndReport() throws Exception {
    assertEquals(0, first.status(), first.err());
    JsonNode results = JSON.readTree(uninterrupted.resolve("results.json").toFile());
    assertEquals(
        List.of("dense", "softmax-tc", "softmax-ec"), texts(results.get("results"), "router"));
    for (JsonNode r : results.get("results")) {
      assertEquals(2, r.get("n").asInt());
      assertEquals(2, r.get("test_accuracy").get("ci95").size());
      assertTrue(r.get("flops_per_image").asLong() > 0);
      assertTrue(
          r.has("noise_accuracy") && r.has("rotation_accuracy") && r.has("ten_shot_accuracy"));
    }
    JsonNode tc = results.get("results").get(1);
    assertEquals(2, tc.get("capacity").size()); // the trained factor and twice it
    for (JsonNode v : tc.get("routing_views")) {
      // every token asks for K experts: the requests are a whole multiple of the tokens; no
      // expert holds more than its capacity
      double asked = 0;
      for (JsonNode e : v.get("requested")) {
        asked += e.asDouble();
      }
      double perToken = asked / v.get("tokens").asInt();
      assertTrue(perToken >= 1 && Math.abs(perToken - Math.rint(perToken)) < 1e-9, v.toString());
      for (JsonNode e : v.get("granted")) {
        assertTrue(e.asDouble() <= v.get("capacity").asInt() + 1e-9, v.toString());
      }
    }
    // the routers timed side by side at the end: dense first, its own ratio 1
    JsonNode speed = JSON.readTree(uninterrupted.resolve("throughput.json").toFile());
    assertEquals(List.of("dense", "softmax-tc", "softmax-ec"), texts(speed.get("rows"), "router"));
    assertEquals(1.0, speed.get("rows").get(0).get("ratio_to_dense").asDouble(), 1e-12);
    for (JsonNode row : speed.get("rows")) {
      assertTrue(row.get("images_per_second").asDouble() > 0, row.toString());
    }
    JsonNode ec = results.get("results").get(2);
    assertEquals(2, ec.get("routing_views").size()); // one per MoE block
    for (JsonNode v : ec.get("routing_views")) {
      assertEquals("EXPERT_CHOICE", v.get("family").asText());
      double share = 0;
      for (JsonNode n : v.get("experts_per_token")) {
        share += n.asDouble();
      }
      assertEquals(1, share, 1e-9);
    }
    assertEquals(2.0, tc.get("capacity").get(1).get("capacity_factor").asDouble());
    assertEquals(
        List.of(
            "MoE routers beat the dense baseline",
            "Expert Choice beats Token Choice",
            "Soft MoE beats sparse MoE at equal compute"),
        texts(results.get("findings"), "claim"));
    assertEquals(
        "not tested", results.get("findings").get(2).get("verdict").asText()); // no soft router
    for (String f :
        List.of(
            "study.json",
            "results.csv",
            "report.md",
            "report.html",
            "figures/accuracy.png",
            "figures/routing-block1.png",
            "runs/softmax-ec-s1/checkpoint/model.params")) {
      assertTrue(Files.isRegularFile(uninterrupted.resolve(f)), f);
    }
    assertEquals(
        4, Files.readAllLines(uninterrupted.resolve("results.csv")).size()); // header + 3 routers
    assertTrue(first.out().contains("Expert Choice beats Token Choice: "), first.out());
    // the header says what the runs trained on: 320 - 32 images, 32 held out, 64 test images
    assertTrue(
        Files.readString(uninterrupted.resolve("report.md"))
            .contains("288 training images, 32 held out for validation, 64 test images"));
  }

  @Test
  void anotherGridInTheSameDirectoryIsRefused() throws Exception {
    assertEquals(0, first.status(), first.err());
    byte[] before = Files.readAllBytes(uninterrupted.resolve("study.json"));
    List<String> a = new ArrayList<>(List.of(args("study", "--output", uninterrupted.toString())));
    a.set(a.indexOf("--epochs") + 1, "3");
    CliRunner.Result other = CliRunner.run("", a.toArray(String[]::new));
    assertEquals(2, other.status(), other.err());
    assertTrue(
        other.err().contains("holds another study")
            && other.err().contains("epochs 2 there, 3 now"),
        other.err());
    assertEquals(1, other.err().strip().lines().count(), other.err());
    // a study grows, it does not shrink
    List<String> fewer =
        new ArrayList<>(List.of(args("study", "--output", uninterrupted.toString())));
    fewer.set(fewer.indexOf("--seeds") + 1, "1");
    CliRunner.Result shrink = CliRunner.run("", fewer.toArray(String[]::new));
    assertEquals(2, shrink.status(), shrink.err());
    assertTrue(shrink.err().contains("seeds 2 there, 1 now (fewer)"), shrink.err());
    assertEquals(1, shrink.err().strip().lines().count(), shrink.err());
    a.add(1, "plan");
    CliRunner.Result plan = CliRunner.run("", a.toArray(String[]::new));
    assertEquals(2, plan.status(), plan.err());
    assertTrue(plan.err().contains("holds another study"), plan.err());
    assertEquals("", plan.out());
    assertEquals(
        new String(before, StandardCharsets.UTF_8),
        Files.readString(uninterrupted.resolve("study.json")));
  }

  @Test
  void moreSeedsGrowTheStudyReusingEveryFinishedRun() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path grown = tmp.resolve("grown");
    copy(uninterrupted, grown);
    Map<String, FileTime> before = new LinkedHashMap<>();
    try (var files = Files.walk(grown.resolve("runs"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        before.put(grown.relativize(f).toString(), Files.getLastModifiedTime(f));
      }
    }
    List<String> three = new ArrayList<>(List.of(args("study", "--output", grown.toString())));
    three.set(three.indexOf("--seeds") + 1, "3");
    CliRunner.Result more = CliRunner.run("", three.toArray(String[]::new));
    assertEquals(0, more.status(), more.err());
    List<String> trained =
        more.err()
            .lines()
            .filter(l -> l.matches(".*: trained in .*"))
            .map(l -> l.replaceAll("^\\[\\d+/\\d+\\] ", "").replaceAll(": trained.*", ""))
            .toList();
    assertEquals(List.of("dense-s2", "softmax-tc-s2", "softmax-ec-s2"), trained, more.err());
    for (String run :
        List.of("dense-s0", "dense-s1", "softmax-tc-s0", "softmax-ec-s1", "softmax-tc-s1")) {
      assertTrue(more.err().contains("kept finished run " + run), more.err());
    }
    before.forEach(
        (f, time) -> {
          try {
            assertEquals(time, Files.getLastModifiedTime(grown.resolve(f)), f);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });

    Path scratch = tmp.resolve("three-seeds");
    List<String> fresh = new ArrayList<>(List.of(args("study", "--output", scratch.toString())));
    fresh.set(fresh.indexOf("--seeds") + 1, "3");
    CliRunner.Result fromScratch = CliRunner.run("", fresh.toArray(String[]::new));
    assertEquals(0, fromScratch.status(), fromScratch.err());
    assertEquals(withoutTimings(scratch), withoutTimings(grown));
    assertEquals(
        3, JSON.readTree(grown.resolve("study.json").toFile()).get("spec").get("seeds").asInt());
  }

  private static void copy(Path from, Path to) throws java.io.IOException {
    try (var files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  @Test
  void killedStudyContinuesToTheSameResultsRedoingNoFinishedRun() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path dir = tmp.resolve("killed");
    // Halt (like kill -9) after the 5th epoch: dense-s0 and dense-s1 are finished, softmax-tc-s0
    // has
    // the checkpoint of its first epoch.
    List<String> cmd = new ArrayList<>(javaCommand());
    cmd.addAll(List.of(args("study", "--output", dir.toString())));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("killed.log").toFile());
    pb.environment().put("VIMOE_TEST_HALT_AFTER_EPOCHS", "5");
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the study did not stop");
    assertEquals(137, p.exitValue(), Files.readString(tmp.resolve("killed.log")));
    assertTrue(Files.isRegularFile(dir.resolve("runs/dense-s1/study-eval.json")));
    assertTrue(Files.isRegularFile(dir.resolve("runs/softmax-tc-s0/checkpoint/model.params")));
    assertFalse(Files.exists(dir.resolve("runs/softmax-tc-s0/result.json")));
    assertFalse(Files.exists(dir.resolve("results.json")));
    Map<String, FileTime> finished = new LinkedHashMap<>();
    for (String run : List.of("dense-s0", "dense-s1")) {
      for (String f : List.of("result.json", "study-eval.json", "checkpoint/model.params")) {
        finished.put(
            run + "/" + f, Files.getLastModifiedTime(dir.resolve("runs").resolve(run).resolve(f)));
      }
    }

    CliRunner.Result again = CliRunner.run("", args("study", "--output", dir.toString()));
    assertEquals(0, again.status(), again.err());
    assertTrue(again.err().contains("kept finished run dense-s1"), again.err());
    assertTrue(
        again.err().contains("softmax-tc-s0: trained (resumed from its checkpoint)"), again.err());
    for (Map.Entry<String, FileTime> e : finished.entrySet()) {
      assertEquals(
          e.getValue(),
          Files.getLastModifiedTime(dir.resolve("runs").resolve(e.getKey())),
          e.getKey());
    }
    assertEquals(withoutTimings(uninterrupted), withoutTimings(dir));
  }

  @Test
  void planThroughXargsThenReportGivesTheSameResults() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path dir = tmp.resolve("planned");
    CliRunner.Result plan = CliRunner.run("", args("study", "plan", "--output", dir.toString()));
    assertEquals(0, plan.status(), plan.err());
    List<String> lines = plan.out().lines().toList();
    assertEquals(6, lines.size(), plan.out());
    assertTrue(lines.get(0).contains("--only dense-s0"), lines.get(0));
    assertFalse(Files.exists(dir), "plan writes nothing");
    Path planFile = tmp.resolve("plan.txt");
    Files.writeString(planFile, plan.out());
    Process xargs =
        new ProcessBuilder("sh", "-c", "xargs -P 2 -I{} sh -c {} < " + planFile)
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("xargs.log").toFile())
            .start();
    assertTrue(xargs.waitFor(300, TimeUnit.SECONDS), "the planned runs did not finish");
    assertEquals(0, xargs.exitValue(), Files.readString(tmp.resolve("xargs.log")));

    CliRunner.Result report = CliRunner.run("", "study", "report", dir.toString());
    assertEquals(0, report.status(), report.err());
    assertEquals(withoutTimings(uninterrupted), withoutTimings(dir));
  }

  @Test
  void jobsRunChildProcessesThatTrainTheSameRuns() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path dir = tmp.resolve("jobs");
    List<String> a =
        new ArrayList<>(List.of(args("study", "--output", dir.toString(), "--jobs", "2")));
    a.set(
        a.indexOf("--routers") + 1,
        "softmax-ec"); // dense and softmax-ec, 2 seeds: 4 runs, 2 at a time
    CliRunner.Result jobs = CliRunner.run("", a.toArray(String[]::new));
    assertEquals(0, jobs.status(), jobs.err());
    for (String run : List.of("dense-s0", "dense-s1", "softmax-ec-s0", "softmax-ec-s1")) {
      assertTrue(
          Files.readString(dir.resolve("logs").resolve(run + ".log"))
              .contains(run + ": test accuracy"));
      assertEquals(
          JSON.readTree(uninterrupted.resolve("runs").resolve(run).resolve("result.json").toFile())
              .get("test_accuracy")
              .asDouble(),
          JSON.readTree(dir.resolve("runs").resolve(run).resolve("result.json").toFile())
              .get("test_accuracy")
              .asDouble(),
          run);
    }
    assertTrue(Files.isRegularFile(dir.resolve("report.html")));
  }

  @Test
  void reportListsUnfinishedRunsWithoutFailing() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path dir = tmp.resolve("partial");
    CliRunner.Result one =
        CliRunner.run("", args("study", "--output", dir.toString(), "--only", "dense-s0"));
    assertEquals(0, one.status(), one.err());
    CliRunner.Result report = CliRunner.run("", "study", "report", dir.toString());
    assertEquals(0, report.status(), report.err());
    assertTrue(
        report.err().contains("5 run(s) not finished")
            && report.err().contains("softmax-ec-s1 (not started)"),
        report.err());
    JsonNode results = JSON.readTree(dir.resolve("results.json").toFile());
    assertEquals(5, results.get("unfinished").size());
    assertTrue(Files.readString(dir.resolve("report.md")).contains("softmax-ec-s1 (not started)"));
  }

  @Test
  void reportOfAStudyShowsItsFinishedRuns() throws Exception {
    assertEquals(0, first.status(), first.err());
    CliRunner.Result report = CliRunner.run("", "report", uninterrupted.toString());
    assertEquals(0, report.status(), report.err());
    JsonNode results = JSON.readTree(uninterrupted.resolve("results.json").toFile());
    List<String> rows =
        report
            .out()
            .lines()
            .filter(l -> l.startsWith("| ") && !l.startsWith("| run ") && !l.startsWith("| ---"))
            .toList();
    List<String> names = new ArrayList<>();
    results.get("finished").forEach(n -> names.add(n.asText()));
    assertEquals(6, names.size());
    assertEquals(names.size(), rows.size(), report.out());
    for (int i = 0; i < names.size(); i++) {
      String run = names.get(i);
      double test =
          JSON.readTree(uninterrupted.resolve("runs").resolve(run).resolve("result.json").toFile())
              .get("test_accuracy")
              .asDouble();
      assertTrue(rows.get(i).startsWith("| " + run + " |"), rows.get(i));
      assertTrue(
          rows.get(i).contains(String.format(java.util.Locale.ROOT, "| %.2f%% |", 100 * test)),
          rows.get(i));
    }
    Path empty = Files.createDirectories(tmp.resolve("empty-study"));
    Files.copy(uninterrupted.resolve("study.json"), empty.resolve("study.json"));
    CliRunner.Result refused = CliRunner.run("", "report", empty.toString());
    assertEquals(2, refused.status(), refused.err());
    assertTrue(refused.err().contains("no finished run yet"), refused.err());
  }

  @Test
  void evalAtAnotherCapacityFactorMatchesTheStudy() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path run = uninterrupted.resolve("runs/softmax-ec-s0");
    CliRunner.Result eval = CliRunner.run("", "eval", run.toString(), "--capacity-factor", "2");
    assertEquals(0, eval.status(), eval.err());
    JsonNode atTwo = JSON.readTree(run.resolve("eval-cf2.json").toFile());
    assertEquals(2.0, atTwo.get("capacity_factor").asDouble());
    JsonNode study = JSON.readTree(run.resolve("study-eval.json").toFile()).get("capacity").get(1);
    assertEquals(2.0, study.get("capacity_factor").asDouble());
    assertEquals(
        study.get("test_accuracy").asDouble(), atTwo.get("test_accuracy").asDouble(), 1e-12);
    // Twice the slots: fewer tokens dropped than at the trained factor.
    double trainedDropped =
        JSON.readTree(run.resolve("result.json").toFile())
            .get("routing")
            .get("block1")
            .get("dropped_fraction")
            .asDouble();
    assertTrue(
        atTwo.get("routing").get("block1").get("dropped_fraction").asDouble() < trainedDropped);

    CliRunner.Result dense =
        CliRunner.run(
            "",
            "eval",
            uninterrupted.resolve("runs/dense-s0").toString(),
            "--capacity-factor",
            "2");
    assertEquals(2, dense.status(), dense.err());
    assertTrue(dense.err().contains("dense baseline has no capacity"), dense.err());
  }

  /**
   * The tiny study's report.html in headless Chromium (as the report package's browser test opens
   * its page): every figure decodes, the tables and the three findings are there, nothing fetched.
   */
  @Test
  void reportOpensInChromiumWithEveryFigureDecodedTablesAndFindings() throws Exception {
    assertEquals(0, first.status(), first.err());
    Path chromium = Path.of("/usr/bin/chromium"), driverBinary = Path.of("/usr/bin/chromedriver");
    if (!Files.isExecutable(chromium) || !Files.isExecutable(driverBinary)) {
      String reason =
          chromium
              + " or "
              + driverBinary
              + " is missing (apt-get install chromium chromium-driver)";
      assertFalse("true".equals(System.getenv("CI")), "CI must run the browser test: " + reason);
      org.junit.jupiter.api.Assumptions.assumeTrue(false, reason);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createTempDirectory(tmp, "profile"));
    ChromeDriver driver =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(driverBinary.toFile())
                .usingAnyFreePort()
                .build(),
            options);
    try {
      driver.get(uninterrupted.resolve("report.html").toUri().toString());
      JavascriptExecutor js = driver;
      js.executeAsyncScript(
          "const done = arguments[arguments.length - 1];"
              + "Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null))).then(done);");
      List<WebElement> images = driver.findElements(By.tagName("img"));
      long pngs;
      try (var files = Files.list(uninterrupted.resolve("figures"))) {
        pngs = files.filter(f -> f.toString().endsWith(".png")).count();
      }
      // accuracy, all pairs, learning curves, accuracy vs speed, 2 expert-load maps, 2 Token
      // Choice load maps, 2 Expert Choice experts-per-token maps, dropped tokens, 2 routing
      // pictures
      assertEquals(13, pngs);
      assertEquals(pngs, images.size());
      for (WebElement img : images) {
        long width = (Long) js.executeScript("return arguments[0].naturalWidth;", img);
        assertTrue(width > 0, "figure " + img.getAttribute("alt") + " did not decode");
      }
      List<WebElement> tables = driver.findElements(By.tagName("table"));
      // accuracy, cost and routing, capacity at evaluation, claims, ranking, all pairs
      assertEquals(6, tables.size());
      List<WebElement> rows = tables.get(0).findElements(By.cssSelector("tbody tr"));
      assertEquals(
          List.of("dense", "softmax-tc", "softmax-ec"),
          rows.stream().map(r -> r.findElement(By.tagName("code")).getText()).toList());
      List<String> findings =
          driver.findElements(By.cssSelector("li.finding")).stream()
              .map(WebElement::getText)
              .toList();
      assertEquals(3, findings.size());
      assertTrue(findings.get(1).startsWith("Expert Choice beats Token Choice: "), findings.get(1));
      Object fetched =
          js.executeScript(
              "return performance.getEntriesByType('resource')"
                  + ".map(e => e.name).filter(n => !n.startsWith('data:'));");
      assertEquals(List.of(), fetched, "the report fetched nothing");
    } finally {
      driver.quit();
    }
  }

  /** results.json without the fields that measure time or the creating process. */
  static JsonNode withoutTimings(Path dir) throws Exception {
    JsonNode tree = JSON.readTree(dir.resolve("results.json").toFile());
    strip(tree);
    return tree;
  }

  private static void strip(JsonNode node) {
    if (node instanceof ObjectNode o) {
      TIMINGS.forEach(o::remove);
    }
    for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
      strip(it.next());
    }
  }

  private static List<String> texts(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.get(field).asText()));
    return out;
  }

  /** This JVM's java and class path, running vimoe's main class. */
  static List<String> javaCommand() {
    List<String> cp = new ArrayList<>();
    // limit 0: a trailing separator adds no empty entry
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator, 0)) {
      cp.add(Path.of(e).toAbsolutePath().toString());
    }
    return List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-Dai.djl.offline=true",
        "-cp",
        String.join(File.pathSeparator, cp),
        "vimoe.cli.Main");
  }
}
