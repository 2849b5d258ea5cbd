package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The {@code "selection_bias"} of a {@code route} request: the per-expert bias b of
 * auxiliary-loss-free balancing, added to the scores for selection only.
 */
class RouteSelectionBiasTest {

  /**
   * Two tokens, three experts, softmax-tc, K = 1, C = 1. Without a bias both tokens ask for expert
   * 0 (gates of token 0: 0.63, 0.23, 0.14; of token 1: 0.42, 0.16, 0.42, a tie that goes to expert
   * 0) and token 1 is dropped; b = (0, 0, 0.2) leaves token 0's choice (0.63 against 0.34) and
   * turns token 1's to expert 2 (0.62), whose combine weight stays the unbiased gate 0.42.
   */
  @Test
  void theBiasMovesTheChoiceButNotTheWeight() {
    String logits = "[[1.5, 0.5, 0.0], [1.0, 0.0, 1.0]]";
    String plain = request("softmax-tc", logits, null);
    RouteRequest without = RouteRequest.parse(plain);
    double[][][] d0 = dispatch(without);
    assertEquals(1.0, d0[0][0][0]);
    assertEquals(0.0, sum(d0[1]), "token 1 asks for expert 0 too and is dropped");

    RouteRequest with = RouteRequest.parse(request("softmax-tc", logits, "[0, 0, 0.2]"));
    double[][][] d1 = dispatch(with);
    double[][][] c1 = combine(with);
    assertEquals(1.0, d1[0][0][0]);
    assertEquals(1.0, d1[1][2][0], "token 1 now asks for expert 2");
    double gate = Math.exp(1.0) / (2 * Math.exp(1.0) + 1);
    assertEquals(gate, c1[1][2][0], 1e-15);
  }

  /** A zero bias answers byte for byte as the request without one. */
  @Test
  void aZeroBiasChangesNothing() throws Exception {
    for (String example : new String[] {"softmax-tc-k2.json", "sigmoid-tc.json"}) {
      String text = Files.readString(Path.of("examples", example));
      RouteRequest plain = RouteRequest.parse(text);
      String zeros =
          IntStream.range(0, (int) plain.shape()[1])
              .mapToObj(e -> "0")
              .collect(Collectors.joining(", ", "[", "]"));
      String withZero = text.replaceFirst("\\{", "{\"selection_bias\": " + zeros + ", ");
      assertEquals(answer(plain), answer(RouteRequest.parse(withZero)), example);
    }
  }

  /**
   * The examples answer byte for byte as at eee6537, before the field existed (its answers, compact
   * and pretty, were saved in src/test/resources/route-golden by that commit's jar), and {@code
   * "selection_bias": null} reads as no bias.
   */
  @Test
  void theExamplesAnswerAsBeforeTheField() throws Exception {
    Path golden = Path.of("src/test/resources/route-golden");
    int checked = 0;
    try (var files = Files.list(golden)) {
      for (Path saved : files.sorted().toList()) {
        String name = saved.getFileName().toString();
        boolean pretty = name.endsWith(".pretty.json");
        String request = Files.readString(Path.of("examples", name.replace(".pretty", "")));
        String withNull = request.replaceFirst("\\{", "{\"selection_bias\": null, ");
        for (String text : new String[] {request, withNull}) {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          RouteRequest.parse(text).writeAnswer(out, pretty);
          assertEquals(Files.readString(saved), out.toString(StandardCharsets.UTF_8), name);
        }
        checked++;
      }
    }
    assertEquals(8, checked, "4 examples, compact and pretty");
  }

  /**
   * On random and heavily tied logits with a random bias, the plan equals the float64 reference
   * with the bias added to the scores (selection exact, weights the gates).
   */
  @Test
  void thePlanEqualsTheReferenceWithTheBias() {
    Random rnd = new Random(7);
    for (String router : new String[] {"softmax-tc", "sigmoid-tc"}) {
      for (int trial = 0; trial < 40; trial++) {
        int tokens = 1 + rnd.nextInt(12), experts = 2 + rnd.nextInt(6);
        int k = 1 + rnd.nextInt(Math.min(3, experts));
        boolean tied = trial % 2 == 0;
        double[][] l = new double[tokens][experts];
        for (double[] row : l) {
          for (int e = 0; e < experts; e++) {
            row[e] = tied ? rnd.nextInt(3) : rnd.nextGaussian();
          }
        }
        double[] bias = new double[experts];
        for (int e = 0; e < experts; e++) {
          bias[e] = tied ? 0.25 * rnd.nextInt(3) : 0.2 * rnd.nextGaussian();
        }
        RouterSpec spec = RouterSpec.of(router).toBuilder().optK(k).build();
        RouteRequest request = new RouteRequest(spec, flat(l), new long[] {tokens, experts}, bias);
        SparseRouter r = (SparseRouter) Routers.create(spec);
        double[][] gates = new double[tokens][];
        for (int s = 0; s < tokens; s++) {
          gates[s] = r.score.gates(l[s]);
        }
        int capacity = Capacity.of(tokens, experts, spec);
        GroupSlots expected =
            r.referenceSlots(new double[][][] {gates}, new double[][][] {l}, capacity, bias, false)[
                0];
        double[][][] dsp = dispatch(request), cmb = combine(request);
        String what = router + " trial " + trial;
        for (int e = 0; e < experts; e++) {
          for (int c = 0; c < capacity; c++) {
            int token = expected.slotToken()[e * capacity + c];
            for (int s = 0; s < tokens; s++) {
              assertEquals(s == token ? 1.0 : 0.0, dsp[s][e][c], what);
            }
            if (token >= 0 && !spec.normalizeGates()) {
              assertEquals(gates[token][e], cmb[token][e][c], 1e-12, what);
            }
          }
        }
      }
    }
  }

  @Test
  void badBiasesAreRefusedWithOneLine() {
    String logits = "[[1.0, 0.0, 0.5], [0.2, 0.3, 0.1]]";
    assertRefused(request("softmax-ec", logits, "[0, 0, 0]"), "not softmax-ec");
    assertRefused(request("sinkhorn-tc", logits, "[0, 0, 0]"), "pointwise scores");
    assertRefused(request("softmax-tc", logits, "[0, 0]"), "E = 3 numbers");
    assertRefused(request("softmax-tc", logits, "{\"a\": 1}"), "array of E = 3");
    assertRefused(request("softmax-tc", logits, "[0, NaN, 0]"), "selection_bias[1]");
    assertRefused(request("softmax-tc", logits, "[0, \"x\", 0]"), "selection_bias[1]");
  }

  private static void assertRefused(String text, String part) {
    RouteRequest.BadRequest e =
        assertThrows(RouteRequest.BadRequest.class, () -> RouteRequest.parse(text));
    assertTrue(e.getMessage().contains(part), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
  }

  private static String request(String router, String logits, String bias) {
    return "{\"router\": \""
        + router
        + "\", \"logits\": "
        + logits
        + (bias == null ? "" : ", \"selection_bias\": " + bias)
        + "}";
  }

  private static String answer(RouteRequest r) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    r.writeAnswer(out, false);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static double[][][] dispatch(RouteRequest r) {
    return (double[][][]) r.answer().get("dispatch");
  }

  private static double[][][] combine(RouteRequest r) {
    return (double[][][]) r.answer().get("combine");
  }

  private static double[] flat(double[][] a) {
    return Arrays.stream(a).flatMapToDouble(Arrays::stream).toArray();
  }

  private static double sum(double[][] a) {
    return Arrays.stream(a).flatMapToDouble(Arrays::stream).sum();
  }
}
