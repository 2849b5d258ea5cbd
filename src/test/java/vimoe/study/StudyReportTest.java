package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.study.report.Figure;
import vimoe.study.report.Page;

/** The study report on synthetic studies: honest colour scales, intervals, verdicts, compute. */
class StudyReportTest {
  private static final double[] BALANCED_WITH_NOISE = noisy();

  /** 8 experts at 12.5% each, apart from float noise of 1e-10 (as Soft MoE's loads come out). */
  private static double[] noisy() {
    double[] t = new double[SyntheticStudy.EXPERTS];
    for (int e = 0; e < t.length; e++) {
      t[e] = 100 * (1 + 1e-10 * (e % 2 == 0 ? e : -e));
    }
    return t;
  }

  @Test
  void speedFigureShowsTheSideBySideMeasurementWhenItCoversEveryRouter(@TempDir Path tmp)
      throws Exception {
    StudySpec spec = SyntheticStudy.spec(List.of("softmax-tc", "soft"), 2, Map.of());
    StudyResults results =
        SyntheticStudy.results(tmp, spec, (router, seed) -> 0.8, router -> BALANCED_WITH_NOISE);
    String during = speedCaption(results, tmp);
    assertTrue(during.contains("measured while the study trained"), during);
    // a measurement of dense and softmax-tc only does not cover soft: the report keeps the old one
    new StudyThroughput(
            "cpu()",
            64,
            2,
            3,
            4,
            List.of(
                new StudyThroughput.Row("dense", "", 100, 1),
                new StudyThroughput.Row("softmax-tc", "", 80, 0.8)))
        .write(tmp);
    String partial = speedCaption(results, tmp);
    assertTrue(partial.contains("does not cover every router"), partial);
    new StudyThroughput(
            "cpu()",
            64,
            2,
            3,
            4,
            List.of(
                new StudyThroughput.Row("dense", "", 100, 1),
                new StudyThroughput.Row("softmax-tc", "", 80, 0.8),
                new StudyThroughput.Row("soft", "", 90, 0.9)))
        .write(tmp);
    String fair = speedCaption(results, tmp);
    assertTrue(fair.contains("side by side") && fair.contains("4 rounds of 3 timed steps"), fair);
  }

  private static String speedCaption(StudyResults results, Path dir) throws Exception {
    return StudyReport.page(results, dir).figures().stream()
        .filter(f -> f.name().equals("accuracy-vs-speed"))
        .findFirst()
        .orElseThrow()
        .caption();
  }

  @Test
  void eachFamilyGetsItsRoutingViewPerBlockAndAnOldStudyANote(@TempDir Path tmp) throws Exception {
    List<String> routers = List.of("softmax-tc", "softmax-ec", "soft");
    StudySpec spec = SyntheticStudy.spec(routers, 2, Map.of());
    StudyResults results =
        SyntheticStudy.results(
            tmp.resolve("new"), spec, (router, seed) -> 0.8, router -> BALANCED_WITH_NOISE);
    Page page = StudyReport.page(results, tmp.resolve("new"));
    List<String> names = page.figures().stream().map(Figure::name).toList();
    for (int block : List.of(4, 5)) {
      for (String view :
          List.of(
              "token-choice-load-block",
              "expert-choice-experts-per-token-block",
              "soft-slot-concentration-block")) {
        assertTrue(names.contains(view + block), names.toString());
      }
    }
    assertTrue(page.header().stream().noneMatch(h -> h.contains("Per-family routing views")));
    // the views survive results.json: the numbers a re-rendered report reads
    results.write(tmp.resolve("new"));
    JsonNode json = RunFiles.JSON.readTree(tmp.resolve("new").resolve("results.json").toFile());
    JsonNode tc = json.get("results").get(1).get("routing_views").get(0);
    assertEquals("TOKEN_CHOICE", tc.get("family").asText());
    assertEquals(20, tc.get("requested").get(0).asDouble(), 1e-9);
    assertEquals(8, tc.get("granted").get(0).asDouble(), 1e-9);

    StudyResults old =
        SyntheticStudy.results(
            tmp.resolve("old"), spec, (router, seed) -> 0.8, router -> BALANCED_WITH_NOISE, false);
    Page oldPage = StudyReport.page(old, tmp.resolve("old"));
    assertTrue(oldPage.figures().stream().noneMatch(f -> f.name().startsWith("token-choice-load")));
    assertTrue(oldPage.figures().stream().anyMatch(f -> f.name().equals("expert-load-block4")));
    assertTrue(oldPage.header().stream().anyMatch(h -> h.contains("Per-family routing views")));
  }

  @Test
  void floatNoiseInTheLoadIsOneColourARealImbalanceIsNot(@TempDir Path tmp) throws Exception {
    // Expert Choice and Soft MoE only: the map holds nothing but float noise
    int[][] balanced =
        heatmapColours(
            tmp.resolve("balanced"),
            List.of("softmax-ec", "soft"),
            router -> router.equals("soft") ? BALANCED_WITH_NOISE : BALANCED_WITH_NOISE.clone());
    for (int[] row : balanced) {
      assertEquals(1, java.util.Arrays.stream(row).distinct().count(), "one colour: " + row[0]);
    }
    assertEquals(balanced[0][0], balanced[1][0]);
    int[][] imbalanced =
        heatmapColours(
            tmp.resolve("imbalanced"),
            List.of("softmax-tc", "soft"),
            router ->
                router.equals("soft")
                    ? BALANCED_WITH_NOISE
                    : new double[] {400, 250, 150, 100, 50, 30, 20, 0});
    assertTrue(
        java.util.Arrays.stream(imbalanced[0]).distinct().count() >= 6,
        "a real imbalance shows in distinct colours");
    assertEquals(1, java.util.Arrays.stream(imbalanced[1]).distinct().count());
  }

  /**
   * The colour of each cell of the expert-load map of block 4 ({@code [row][expert]}), sampled near
   * each cell's top left corner, away from the printed value.
   */
  private static int[][] heatmapColours(
      Path dir, List<String> routers, java.util.function.Function<String, double[]> load)
      throws Exception {
    StudySpec spec = SyntheticStudy.spec(routers, 2, Map.of());
    StudyResults results = SyntheticStudy.results(dir, spec, (router, seed) -> 0.8, load);
    Figure heat =
        StudyReport.page(results, dir).figures().stream()
            .filter(f -> f.name().equals("expert-load-block4"))
            .findFirst()
            .orElseThrow();
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(heat.png()));
    // the map's cells: the bounding box of strongly coloured pixels left of the colour bar
    int left = Integer.MAX_VALUE, right = -1, top = Integer.MAX_VALUE, bottom = -1;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth() * 3 / 4; x++) {
        if (saturated(img.getRGB(x, y))) {
          left = Math.min(left, x);
          right = Math.max(right, x);
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    assertTrue(
        right - left > 300 && bottom - top > 100, left + " " + right + " " + top + " " + bottom);
    int rows = routers.size(); // dense, added to every study, has no map row
    double cellW = (right - left + 1) / 8.0, cellH = (bottom - top + 1) / (double) rows;
    int[][] colours = new int[rows][8];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < 8; c++) {
        colours[r][c] =
            img.getRGB((int) (left + (c + 0.15) * cellW), (int) (top + (r + 0.2) * cellH))
                & 0xffffff;
      }
    }
    return colours;
  }

  private static boolean saturated(int rgb) {
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    return Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60;
  }

  @Test
  void twoSeedsFarApartGiveIntervalsWithinZeroToOneAndEverySeedIsListed(@TempDir Path tmp)
      throws Exception {
    StudySpec spec = SyntheticStudy.spec(List.of("softmax-ec", "soft"), 2, Map.of());
    StudyResults results =
        SyntheticStudy.results(
            tmp,
            spec,
            (router, seed) -> router.equals("soft") ? (seed == 0 ? 0.10 : 0.90) : 0.5 + 0.01 * seed,
            router -> BALANCED_WITH_NOISE);
    results.write(tmp);
    StudyReport.write(results, tmp);

    JsonNode json = RunFiles.JSON.readTree(tmp.resolve("results.json").toFile());
    JsonNode soft = null;
    for (JsonNode r : json.get("results")) {
      for (String field :
          List.of("test_accuracy", "ten_shot_accuracy", "noise_accuracy", "rotation_accuracy")) {
        JsonNode ci = r.get(field).get("ci95");
        assertTrue(
            ci.get(0).asDouble() >= 0 && ci.get(1).asDouble() <= 1,
            r.get("router") + " " + field + " " + ci);
        assertTrue(
            ci.get(0).asDouble() <= r.get(field).get("mean").asDouble()
                && r.get(field).get("mean").asDouble() <= ci.get(1).asDouble());
      }
      if (r.get("router").asText().equals("soft")) {
        soft = r;
      }
    }
    assertNotNull(soft);
    assertEquals(0.10, soft.get("test_accuracy").get("per_seed").get("0").asDouble(), 1e-12);
    assertEquals(0.90, soft.get("test_accuracy").get("per_seed").get("1").asDouble(), 1e-12);
    // the old symmetric t interval, 0.5 ± 12.7 * 0.4 / sqrt(2) * sqrt(2), went far below 0
    assertTrue(soft.get("test_accuracy").get("ci95").get(0).asDouble() < 0.10);
    assertTrue(soft.get("test_accuracy").get("ci95").get(1).asDouble() > 0.90);

    String csv = Files.readString(tmp.resolve("results.csv"));
    List<String> header = List.of(csv.lines().findFirst().orElseThrow().split(",", -1));
    String softLine = csv.lines().filter(l -> l.startsWith("soft,")).findFirst().orElseThrow();
    String[] cells = softLine.split(",", -1);
    assertEquals("0:0.100000;1:0.900000", cells[header.indexOf("test_accuracy_per_seed")]);
    assertTrue(Double.parseDouble(cells[header.indexOf("test_accuracy_lo")]) >= 0);
    assertTrue(Double.parseDouble(cells[header.indexOf("test_accuracy_hi")]) <= 1);

    String md = Files.readString(tmp.resolve("report.md"));
    String row = md.lines().filter(l -> l.startsWith("| `soft` |")).findFirst().orElseThrow();
    assertTrue(row.contains("| s0\u00a010.00, s1\u00a090.00 |"), row);
    Matcher ci = Pattern.compile("(-?[0-9.]+)% \\[(-?[0-9.]+),\u00a0(-?[0-9.]+)\\]").matcher(md);
    int intervals = 0;
    while (ci.find()) {
      intervals++;
      double lo = Double.parseDouble(ci.group(2)), hi = Double.parseDouble(ci.group(3));
      assertTrue(lo >= 0 && hi <= 100, ci.group());
    }
    assertTrue(intervals >= 6, md);
  }

  @Test
  void aClaimWithoutItsRoutersIsNotTestedAndTheComputeNamesEveryRouter(@TempDir Path tmp)
      throws Exception {
    StudySpec spec = SyntheticStudy.spec(List.of("softmax-ec", "soft"), 2, Map.of());
    StudyResults results =
        SyntheticStudy.results(
            tmp, spec, (router, seed) -> 0.5 + 0.01 * seed, router -> BALANCED_WITH_NOISE);
    Finding ecTc =
        results.findings().stream()
            .filter(f -> f.claim().equals(Findings.EC_VS_TC))
            .findFirst()
            .orElseThrow();
    assertEquals(Stats.NOT_TESTED, ecTc.verdict());
    assertTrue(Findings.sentence(ecTc).contains(": not tested ("), Findings.sentence(ecTc));
    Page page = StudyReport.page(results, tmp);
    String compute =
        page.header().stream().filter(h -> h.startsWith("Forward FLOPs")).findFirst().orElseThrow();
    assertTrue(
        compute.contains("`dense` 30.1 M")
            && compute.contains("`softmax-ec` 33.7 M")
            && compute.contains("`soft` 35.7 M")
            && compute.contains("Soft MoE computes a logit for every (token, slot) pair"),
        compute);
    String preset = page.header().get(0);
    assertTrue(
        preset.contains("epochs 1 (preset quick: 3)")
            && preset.contains("train limit 1500 (preset quick: 6000)")
            && preset.contains("width 16 (micro: "),
        preset);
    assertTrue(page.header().get(1).contains("peak learning rate of 0.002"), page.header().get(1));
  }
}
