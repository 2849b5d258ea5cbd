package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterOptions;
import vimoe.moe.routing.RouterSpec;

/**
 * Router variants ({@code --variant}) and declared comparisons ({@code --compare}): parsing and
 * refusals, their place in the grid and in {@code study.json}, growing a study, and the findings of
 * a declared comparison against paired statistics worked by hand.
 */
class RouterVariantTest {
  static final RouterVariant TC_BIAS =
      RouterVariant.parse("tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0");

  /** t(p) with 2 degrees of freedom in closed form: (2p - 1) sqrt(2 / (1 - (2p - 1)^2)). */
  static double t2(double p) {
    double q = 2 * p - 1;
    return q * Math.sqrt(2 / (1 - q * q));
  }

  @Test
  void parsesNameRouterAndOptionsIntoOneCanonicalForm() {
    RouterVariant v =
        RouterVariant.parse(
            " tc-bias = softmax-tc : importance_weight=0.0, bias_update_rate=1e-3 ");
    assertEquals("tc-bias", v.name());
    assertEquals("softmax-tc", v.router());
    // sorted by name, numbers without a needless ".0" and not in exponent form
    assertEquals(Map.of("bias_update_rate", "0.001", "importance_weight", "0"), v.options());
    assertEquals("tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0", v.text());
    assertEquals(TC_BIAS, v); // the same definition however it is typed
    assertEquals(
        "softmax-tc with bias_update_rate=0.001, importance_weight=0", TC_BIAS.description());
    RouterVariant bare = RouterVariant.parse("again=sigmoid-ec");
    assertEquals(Map.of(), bare.options());
    assertEquals("again=sigmoid-ec", bare.text());
  }

  @Test
  void badVariantsAreRefusedWithOneLineNamingTheVariantAndTheProblem() {
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("TC=softmax-tc", "may hold only a-z, 0-9, -, + and _");
    bad.put("tc bias=softmax-tc", "may hold only");
    bad.put("=softmax-tc", "may hold only");
    bad.put("softmax-ec=softmax-tc", "softmax-ec is a router's name");
    bad.put("dense=softmax-tc", "dense is a router's name");
    bad.put("x=nope", "unknown router \"nope\"");
    bad.put("x=dense", "dense has no router options");
    bad.put("x=softmax-tc:nope=1", "unknown option \"nope\"");
    bad.put("x=softmax-tc:bias_update_rate=-1", "bias_update_rate must be >= 0, got -1.0");
    bad.put("x=softmax-ec:bias_update_rate=0.001", "bias_update_rate applies to Token Choice");
    bad.put("x=softmax-tc:normalize_gates=maybe", "normalize_gates must be true or false");
    bad.put("x=softmax-tc:k=2", "k is set for every router of a study");
    bad.put("x=softmax-ec:capacity_factor=2", "capacity_factor is set for every router");
    bad.put("x=softmax-tc:noise_std", "\"noise_std\" is not OPT=VALUE");
    bad.put("x=softmax-tc:noise_std=1,noise_std=2", "option noise_std is given twice");
    bad.put("softmax-tc", "write NAME=ROUTER[:OPT=V,...]");
    for (Map.Entry<String, String> b : bad.entrySet()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RouterVariant.parse(b.getKey()));
      String m = e.getMessage();
      assertTrue(m.startsWith("--variant "), m);
      assertTrue(m.contains(b.getValue()), b.getKey() + ": " + m);
      assertEquals(1, m.lines().count(), m);
    }
  }

  @Test
  void comparisonsParseAndNameOnlyEntriesOfTheGrid() {
    Comparison c = Comparison.parse(" tc-bias > softmax-tc ");
    assertEquals(new Comparison("tc-bias", "softmax-tc"), c);
    assertEquals("tc-bias beats softmax-tc", c.claim());
    for (String bad : List.of("tc-bias", "a>b>c", ">softmax-tc", "tc-bias>", "x>x")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Comparison.parse(bad));
      assertTrue(e.getMessage().startsWith("--compare \"" + bad.strip()), e.getMessage());
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                spec(
                    List.of("softmax-tc"),
                    List.of(TC_BIAS),
                    List.of(Comparison.parse("tc-bias>softmax-ec"))));
    assertEquals(
        "--compare \"tc-bias>softmax-ec\": softmax-ec is not a grid entry of this study; its"
            + " entries are softmax-tc, tc-bias, dense (add it to --routers or define it with"
            + " --variant)",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                spec(
                    List.of("softmax-tc"),
                    List.of(TC_BIAS),
                    List.of(c, Comparison.parse("tc-bias>softmax-tc"))));
    assertTrue(e.getMessage().contains("is given twice"), e.getMessage());
  }

  @Test
  void variantsJoinTheGridAfterTheirRouterAndRunWithTheirOptionsOnTopOfTheStudys() {
    RouterVariant ec = RouterVariant.parse("ec-noisy=softmax-ec:noise_std=1");
    // tc-bias is not named in --routers: defining it adds it; its router need not be in the grid
    StudySpec spec = spec(List.of("sigmoid-tc", "softmax-ec"), List.of(ec, TC_BIAS), List.of());
    assertEquals(
        List.of("tc-bias", "softmax-ec", "ec-noisy", "sigmoid-tc", "dense"), spec.routers());
    assertTrue(spec.runs().stream().anyMatch(r -> r.name().equals("tc-bias-s1")));
    assertEquals("softmax-tc", spec.routerOf("tc-bias"));
    assertEquals("sigmoid-tc", spec.routerOf("sigmoid-tc"));
    assertNull(spec.variant("softmax-ec"));

    VitConfig m = spec.config("tc-bias", spec.points().get(0), 8, 1, 4);
    RouterSpec r = m.router();
    assertEquals("softmax-tc", r.router());
    assertEquals(0.001, r.get(RouterOptions.BIAS_UPDATE_RATE));
    assertEquals(0.0, r.importanceWeight());
    assertEquals(0.01, r.zLossWeight(), 0); // the study's --router-option, under the variant's
    assertEquals(2, r.k()); // equal compute: the study's K and capacity factor
    assertEquals(1.25, r.capacityFactor());
    // the router itself keeps its defaults and the study's options
    RouterSpec plain = spec.config("softmax-tc", spec.points().get(0), 8, 1, 4).router();
    assertEquals(0.0, plain.get(RouterOptions.BIAS_UPDATE_RATE));
    assertEquals(0.01, plain.zLossWeight(), 0);
    // and differs from the variant in the variant's two options only
    assertEquals(
        plain,
        r.toBuilder()
            .optImportanceWeight(plain.importanceWeight())
            .opt(RouterOptions.BIAS_UPDATE_RATE, 0.0)
            .build());
    // Expert Choice gets K * CF as its factor, as every EC router does
    assertEquals(
        2.5, spec.config("ec-noisy", spec.points().get(0), 8, 1, 4).router().capacityFactor());
  }

  @Test
  void aVariantThatTheStudysRouterOptionsDoNotFitIsRefusedNamingBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                spec(
                    List.of("softmax-tc"),
                    Map.of("bias_update_rate", "0.01"),
                    List.of(RouterVariant.parse("ec-v=softmax-ec:noise_std=1")),
                    List.of()));
    assertTrue(
        e.getMessage()
            .startsWith(
                "--variant ec-v=softmax-ec:noise_std=1: the study's --router-option does not fit"
                    + " softmax-ec: bias_update_rate applies to"),
        e.getMessage());
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                spec(
                    List.of("softmax-tc"),
                    List.of(TC_BIAS, RouterVariant.parse("tc-bias=softmax-tc")),
                    List.of()));
    assertEquals("--variant tc-bias is defined twice; keep one", twice.getMessage());
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> spec(List.of("softmax-tc", "tc-bais"), List.of(TC_BIAS), List.of()));
    assertTrue(unknown.getMessage().endsWith("; variants: tc-bias"), unknown.getMessage());
  }

  @Test
  void studyJsonRecordsVariantsAndComparisonsAndOmitsThemWhenThereAreNone() throws Exception {
    StudySpec spec =
        spec(
            List.of("softmax-tc"),
            List.of(TC_BIAS),
            List.of(Comparison.parse("tc-bias>softmax-tc")));
    JsonNode json = RunFiles.JSON.valueToTree(spec);
    assertEquals("softmax-tc", json.at("/variants/0/router").asText());
    assertEquals("0.001", json.at("/variants/0/options/bias_update_rate").asText());
    assertEquals("tc-bias", json.at("/comparisons/0/better").asText());
    assertEquals("softmax-tc", json.at("/comparisons/0/worse").asText());
    assertEquals(spec, RunFiles.JSON.treeToValue(json, StudySpec.class));
    // a study without them writes study.json as before, and such a file reads back
    StudySpec plain = spec(List.of("softmax-tc"), List.of(), List.of());
    JsonNode old = RunFiles.JSON.valueToTree(plain);
    assertFalse(old.has("variants") || old.has("comparisons"), old.toString());
    assertEquals(plain, RunFiles.JSON.treeToValue(old, StudySpec.class));
  }

  @Test
  void aStudyGrowsByVariantsAndComparisonsButKeepsEachVariantsDefinition(@TempDir Path dir)
      throws Exception {
    StudySpec first =
        spec(
            List.of("softmax-tc"),
            List.of(TC_BIAS),
            List.of(Comparison.parse("tc-bias>softmax-tc")));
    Files.write(
        dir.resolve(Study.SPEC_FILE),
        RunFiles.JSON.writeValueAsBytes(
            new Study.StudyFile(
                first,
                first.runs().stream().map(StudyRun::name).toList(),
                Map.of(),
                Map.of(),
                "then",
                null)));
    Study.checkSame(first, dir);
    // another variant and other comparisons grow it
    StudySpec grown =
        spec(
            List.of("softmax-tc"),
            List.of(TC_BIAS, RouterVariant.parse("tc-z=softmax-tc:z_loss_weight=0.1")),
            List.of(Comparison.parse("softmax-tc>tc-z")));
    Study.checkSame(grown, dir);
    assertTrue(grown.runs().containsAll(first.runs()));
    // a variant that keeps its name but changes its options is refused
    StudySpec redefined =
        spec(
            List.of("softmax-tc"),
            List.of(RouterVariant.parse("tc-bias=softmax-tc:bias_update_rate=0.01")),
            List.of());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Study.checkSame(redefined, dir));
    assertTrue(
        e.getMessage()
            .endsWith(
                " holds variant tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0, now"
                    + " --variant tc-bias=softmax-tc:bias_update_rate=0.01: its finished runs were"
                    + " trained with the first definition; give the new one another name, or choose"
                    + " another --output"),
        e.getMessage());
    // and one left out shrinks the study
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Study.checkSame(spec(List.of("softmax-tc"), List.of(), List.of()), dir));
    assertTrue(
        e.getMessage()
            .contains(
                "variant tc-bias=softmax-tc:bias_update_rate=0.001,importance_weight=0 there, not"
                    + " now"),
        e.getMessage());
  }

  /**
   * A synthetic study of softmax-tc, softmax-ec, dense and the variant tc-bias over 3 seeds, with
   * three declared comparisons: one that holds, one inconclusive, one reversed; each against the
   * paired statistics worked by hand. The paper's claims keep to the registry's routers.
   */
  @Test
  void declaredComparisonsAreFindingsWithThePairedStatisticsOfTheClaims(@TempDir Path tmp)
      throws Exception {
    Map<String, double[]> acc = new LinkedHashMap<>();
    acc.put("dense", new double[] {0.70, 0.71, 0.72});
    acc.put("softmax-tc", new double[] {0.80, 0.81, 0.79});
    acc.put("tc-bias", new double[] {0.85, 0.87, 0.86}); // minus softmax-tc: 0.05, 0.06, 0.07
    acc.put("softmax-ec", new double[] {0.87, 0.88, 0.89}); // minus tc-bias: 0.02, 0.01, 0.03
    StudySpec spec =
        SyntheticStudy.spec(
            List.of("softmax-tc", "softmax-ec"),
            3,
            Map.of(),
            List.of(TC_BIAS),
            List.of(
                Comparison.parse("tc-bias>softmax-tc"),
                Comparison.parse("softmax-ec>tc-bias"),
                Comparison.parse("softmax-tc>tc-bias")));
    StudyResults results =
        SyntheticStudy.results(
            tmp,
            spec,
            (router, seed) -> acc.get(router)[(int) (long) seed],
            router -> new double[] {1, 1, 1, 1, 1, 1, 1, 1});
    results.write(tmp);
    StudyReport.write(results, tmp);

    double t975 = t2(0.975), t80 = t2(0.8); // 4.302653, 1.060660
    double half = t975 * 0.01 / Math.sqrt(3); // every difference here has SD 0.01 over 3 seeds
    double mde = (t975 + t80) * 0.01 / Math.sqrt(3);

    Finding holds = finding(results, "tc-bias beats softmax-tc");
    assertTrue(holds.declared());
    assertEquals("tc-bias minus softmax-tc, paired by seed", holds.compared());
    assertEquals(3, holds.n());
    assertEquals(0.06, holds.estimate(), 1e-12);
    assertEquals(0.01, holds.sd(), 1e-12);
    assertEquals(0.06 - half, holds.ci95().get(0), 1e-9);
    assertEquals(0.06 + half, holds.ci95().get(1), 1e-9);
    assertEquals(Stats.HOLDS, holds.verdict());
    assertEquals(mde, holds.minimumDetectableEffect(), 1e-9);
    assertNull(holds.seedsToResolve());

    Finding open = finding(results, "softmax-ec beats tc-bias");
    assertEquals(0.02, open.estimate(), 1e-12);
    assertEquals(0.02 - half, open.ci95().get(0), 1e-9);
    assertEquals(Stats.INCONCLUSIVE, open.verdict());
    // MDE(4) = (t(0.975, 3) + t(0.8, 3)) 0.01 / 2 = 0.0208 > 0.02 >= MDE(5) = 0.0166 (PowerTest)
    assertEquals(5, open.seedsToResolve());

    Finding reversed = finding(results, "softmax-tc beats tc-bias");
    assertEquals(-0.06, reversed.estimate(), 1e-12);
    assertEquals(Stats.REVERSED, reversed.verdict());

    // the paper's claims: 2 MoE routers, not the variant; EC - TC by softmax-tc, not tc-bias
    Finding moe = finding(results, Findings.MOE_VS_DENSE);
    assertFalse(moe.declared());
    assertEquals("2 MoE routers (mean) minus dense", moe.compared());
    // ((0.80 + 0.87) / 2 - 0.70, (0.81 + 0.88) / 2 - 0.71, (0.79 + 0.89) / 2 - 0.72)
    assertEquals((0.135 + 0.135 + 0.12) / 3, moe.estimate(), 1e-12);
    assertEquals((0.07 + 0.07 + 0.10) / 3, finding(results, Findings.EC_VS_TC).estimate(), 1e-12);

    // the variant is a router of every table, the pairs and the ranking
    assertTrue(results.results().stream().anyMatch(r -> r.router().equals("tc-bias")));
    assertTrue(
        results.pairs().stream()
            .anyMatch(p -> p.a().equals("softmax-tc") && p.b().equals("tc-bias")));
    assertTrue(results.ranking().stream().anyMatch(r -> r.router().equals("tc-bias")));

    JsonNode json = RunFiles.JSON.readTree(tmp.resolve("results.json").toFile());
    JsonNode f = null;
    for (JsonNode x : json.get("findings")) {
      if (x.get("claim").asText().equals("tc-bias beats softmax-tc")) {
        f = x;
      }
    }
    assertTrue(f != null && f.get("declared").asBoolean() && f.get("n").asInt() == 3, json + "");
    assertEquals(0.06, f.get("estimate").asDouble(), 1e-12);
    String md = Files.readString(tmp.resolve("report.md"));
    assertTrue(
        md.lines()
            .anyMatch(
                l ->
                    l.startsWith("| tc-bias beats softmax-tc | tc-bias minus softmax-tc")
                        && l.contains("| +6.00 points |")
                        && l.contains("| 3 | holds |")),
        md);
    assertTrue(md.contains("tc-bias beats softmax-tc: holds (tc-bias minus softmax-tc"), md);
    assertTrue(
        md.contains("`tc-bias` = `softmax-tc` with `bias_update_rate=0.001, importance_weight=0`"),
        md);
    assertTrue(md.contains("| `tc-bias` |"), md);
  }

  @Test
  void aComparisonWithoutFinishedRunsIsNotTested() {
    Map<String, Map<Long, Double>> acc = new LinkedHashMap<>();
    acc.put("softmax-tc", Map.of(0L, 0.8, 1L, 0.81));
    Finding f =
        Findings.declared(acc, List.of(Comparison.parse("tc-bias>softmax-tc")), "k=2").get(0);
    assertEquals(Stats.NOT_TESTED, f.verdict());
    assertEquals(0, f.n());
    assertEquals("not measured: needs finished runs of tc-bias", f.compared());
    assertEquals("k=2", f.point());
    assertTrue(f.declared());
  }

  private static Finding finding(StudyResults results, String claim) {
    return results.findings().stream()
        .filter(f -> f.claim().equals(claim))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no finding " + claim));
  }

  private static StudySpec spec(
      List<String> routers, List<RouterVariant> variants, List<Comparison> comparisons) {
    return spec(routers, Map.of("z_loss_weight", "0.01"), variants, comparisons);
  }

  /** A study at K = 2 and CF 1.25 with {@code options} as its --router-option. */
  private static StudySpec spec(
      List<String> routers,
      Map<String, String> options,
      List<RouterVariant> variants,
      List<Comparison> comparisons) {
    return new StudySpec(
        "quick",
        routers,
        2,
        1,
        64,
        null,
        1500,
        1000,
        "idx:/synthetic",
        null,
        null,
        null,
        new ModelChoice(
            "micro", 2, 1.25, options, null, null, null, null, null, 16, null, null, null, null),
        Map.of(),
        null,
        variants,
        comparisons);
  }
}
