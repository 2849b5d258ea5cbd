package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code vimoe route} answers the requests of docs/routing.md and refuses every kind of bad
 * request.
 */
class RouteCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void answersTheRoutingMdExampleWithExactlyTheContractFields() throws Exception {
    CliRunner.Result r = CliRunner.run("", "route", "--input", "examples/softmax-ec.json");
    assertEquals(0, r.status(), r.err());
    assertEquals("", r.err());
    JsonNode answer = JSON.readTree(r.out());
    List<String> fields = list(answer.fieldNames());
    assertEquals(
        List.of("router", "tokens", "experts", "capacity", "dispatch", "combine", "metrics"),
        fields);
    assertEquals("softmax-ec", answer.get("router").asText());
    assertEquals(6, answer.get("tokens").asInt());
    assertEquals(3, answer.get("experts").asInt());
    assertEquals(2, answer.get("capacity").asInt()); // ceil(6 * 1 * 1.0 / 3)
    JsonNode dispatch = answer.get("dispatch");
    assertEquals(6, dispatch.size());
    assertEquals(3, dispatch.get(0).size());
    assertEquals(2, dispatch.get(0).get(0).size());
    // Expert 0's best token by G[:,0] is token 0 (logits 2.0, 0.5, -1.0): slot (0, 0).
    assertEquals(1.0, dispatch.get(0).get(0).get(0).asDouble());
    double g00 = Math.exp(2.0) / (Math.exp(2.0) + Math.exp(0.5) + Math.exp(-1.0));
    assertEquals(g00, answer.get("combine").get(0).get(0).get(0).asDouble(), 1e-12);
    JsonNode perExpert = answer.get("metrics").get("tokens_per_expert");
    assertEquals(3, perExpert.size());
    for (JsonNode n : perExpert) {
      assertEquals(2.0, n.asDouble()); // Expert Choice fills every expert
    }
  }

  @Test
  void readsTheRequestFromStandardInputAndAnswersSoftMoe() throws Exception {
    CliRunner.Result r = CliRunner.run(Files.readString(Path.of("examples/soft.json")), "route");
    assertEquals(0, r.status(), r.err());
    JsonNode answer = JSON.readTree(r.out());
    assertEquals(2, answer.get("capacity").asInt()); // C from the shape S x E x C = 3 x 2 x 2
    for (int e = 0; e < 2; e++) {
      for (int c = 0; c < 2; c++) {
        double column = 0;
        for (int s = 0; s < 3; s++) {
          column += answer.get("dispatch").get(s).get(e).get(c).asDouble();
        }
        assertEquals(1.0, column, 1e-12);
      }
    }
  }

  @Test
  void tokenChoiceWithTwoExpertsPerTokenHonoursTheOptions() throws Exception {
    CliRunner.Result r = CliRunner.run("", "route", "--input", "examples/softmax-tc-k2.json");
    assertEquals(0, r.status(), r.err());
    JsonNode answer = JSON.readTree(r.out());
    assertEquals(4, answer.get("capacity").asInt()); // ceil(6 * 2 * 1.0 / 3)
    for (JsonNode token : answer.get("dispatch")) {
      double slots = 0;
      for (JsonNode expert : token) {
        for (JsonNode slot : expert) {
          slots += slot.asDouble();
        }
      }
      assertTrue(slots <= 2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown router      | {\"router\": \"top1\", \"logits\": [[1, 2]]}                          | unknown router",
        "ragged logits       | {\"router\": \"softmax-tc\", \"logits\": [[1, 2], [3]]}              | ragged",
        "empty logits        | {\"router\": \"softmax-tc\", \"logits\": []}                         | empty",
        "empty row           | {\"router\": \"softmax-ec\", \"logits\": [[]]}                       | empty",
        "NaN                 | {\"router\": \"softmax-tc\", \"logits\": [[1, NaN]]}                 | NaN",
        "infinite            | {\"router\": \"softmax-tc\", \"logits\": [[1, 1e999]]}               | infinite",
        "Infinity token      | {\"router\": \"softmax-tc\", \"logits\": [[-Infinity, 1]]}           | infinite",
        "k > E               | {\"router\": \"softmax-tc\", \"logits\": [[1, 2]], \"options\": {\"k\": 3}} | k = 3 exceeds",
        "capacity_factor 0   | {\"router\": \"softmax-tc\", \"logits\": [[1, 2]], \"options\": {\"capacity_factor\": 0}} | capacity_factor",
        "capacity_factor < 0 | {\"router\": \"sinkhorn-ec\", \"logits\": [[1, 2]], \"options\": {\"capacity_factor\": -1}} | capacity_factor",
        "unknown option      | {\"router\": \"softmax-tc\", \"logits\": [[1, 2]], \"options\": {\"kk\": 1}} | unknown option",
        "option of wrong type| {\"router\": \"softmax-tc\", \"logits\": [[1, 2]], \"options\": {\"k\": 1.5}} | k must be an integer",
        "not JSON            | {\"router\": \"softmax-tc\",                                            | not valid JSON",
        "not an object       | [1, 2]                                                                 | JSON object",
        "no router           | {\"logits\": [[1, 2]]}                                                 | router",
        "no logits           | {\"router\": \"soft\"}                                                 | logits",
        "string logit        | {\"router\": \"softmax-tc\", \"logits\": [[1, \"2\"]]}               | must be a number",
        "soft needs 3 levels | {\"router\": \"soft\", \"logits\": [[1, 2]]}                          | must be an array",
        "dense has no plan   | {\"router\": \"dense\", \"logits\": [[1, 2]]}                         | dense",
      })
  void refusesABadRequestWithStatus2AndOneLine(String kind, String request, String mention) {
    CliRunner.Result r = CliRunner.run(request, "route");
    assertEquals(2, r.status(), kind + ": " + r.err());
    assertEquals("", r.out(), kind + ": something was written to standard output");
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), kind + ": expected one line, got " + r.err());
    assertTrue(lines.get(0).startsWith("vimoe route: "), lines.get(0));
    assertTrue(
        lines.get(0).contains(mention),
        kind + ": " + lines.get(0) + " does not mention " + mention);
  }

  @Test
  void aMissingInputFileIsStatus2WithOneLine() {
    CliRunner.Result r = CliRunner.run("", "route", "--input", "no/such/request.json");
    assertEquals(2, r.status());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("no/such/request.json"), r.err());
  }

  @Test
  void logitsAboveTheLimitAreRefusedWhileStreamingBeforeTheRestIsRead() {
    int rows = vimoe.moe.routing.RouteRequest.MAX_LOGITS / 64 + 1;
    StringBuilder request = new StringBuilder("{\"router\": \"softmax-ec\", \"logits\": [");
    String row = "[" + "0.5,".repeat(63) + "1]";
    for (int i = 0; i < rows; i++) {
      request.append(i == 0 ? "" : ",").append(row);
    }
    request.append(", this is not JSON, and parsing it all would say so"); // never reached
    CliRunner.Result r = CliRunner.run(request.toString(), "route");
    assertEquals(2, r.status(), r.err());
    assertEquals("", r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(
        r.err().contains("logits hold more than 1000000 numbers, the limit of vimoe route"),
        r.err());
  }

  @Test
  void aPlanAboveTheLimitIsRefusedBeforeRouting() {
    StringBuilder request =
        new StringBuilder(
            "{\"router\": \"softmax-tc\", \"options\": {\"capacity_factor\": 64}, "
                + "\"logits\": [");
    for (int i = 0;
        i < 2100;
        i++) { // C = min(S*K, ceil(2100 * 64 / 64)) = 2100: 2100 x 64 x 2100 entries
      request
          .append(i == 0 ? "" : ",")
          .append("[")
          .append("0,".repeat(63))
          .append(i % 7)
          .append("]");
    }
    CliRunner.Result r = CliRunner.run(request.append("]}").toString(), "route");
    assertEquals(2, r.status(), r.err());
    assertTrue(
        r.err()
            .contains(
                "S x E x C = 2100 x 64 x 2100 = 282240000 entries per tensor, above the limit"),
        r.err());
  }

  @Test
  void aRequestAboveTheByteLimitIsRefused() {
    long size = vimoe.moe.routing.RouteRequest.MAX_REQUEST_BYTES + 1;
    java.io.InputStream spaces =
        new java.io.InputStream() { // "{" then blanks: valid JSON so far, never ending
          long left = size;

          @Override
          public int read() {
            return left-- == size ? '{' : left >= 0 ? ' ' : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (left <= 0) {
              return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) ' ');
            if (left == size) {
              b[off] = '{';
            }
            left -= n;
            return n;
          }
        };
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            vimoe.moe.routing.RouteRequest.BadRequest.class,
            () -> vimoe.moe.routing.RouteRequest.parse(spaces));
    assertTrue(e.getMessage().contains("request is larger than 128 MiB"), e.getMessage());
  }

  @Test
  void theStreamedAnswerIsTheAnswerMap() throws Exception {
    for (String example :
        List.of("examples/softmax-ec.json", "examples/soft.json", "examples/softmax-tc-k2.json")) {
      var request = vimoe.moe.routing.RouteRequest.parse(Files.readString(Path.of(example)));
      var out = new java.io.ByteArrayOutputStream();
      request.writeAnswer(out, false);
      assertEquals(
          JSON.writeValueAsString(request.answer()) + "\n",
          out.toString(java.nio.charset.StandardCharsets.UTF_8),
          example);
    }
  }

  private static <T> List<T> list(java.util.Iterator<T> it) {
    List<T> list = new java.util.ArrayList<>();
    it.forEachRemaining(list::add);
    return list;
  }
}
