package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import vimoe.moe.routing.Routers;

/** {@code vimoe routers} and {@code --help}. */
class RoutersCommandTest {

  @Test
  void listsEveryRouterWithFamilyAndDefaults() throws Exception {
    CliRunner.Result r = CliRunner.run("", "routers", "--json");
    assertEquals(0, r.status(), r.err());
    JsonNode rows = new ObjectMapper().readTree(r.out());
    List<String> names = new ArrayList<>();
    rows.forEach(row -> names.add(row.get("name").asText()));
    assertEquals(Routers.names(), names);
    assertEquals(
        List.of(
            "softmax-tc",
            "sinkhorn-tc",
            "sparse-ot-tc",
            "softmax-ec",
            "sinkhorn-ec",
            "sparse-ot-ec",
            "soft",
            "dense"),
        Routers.studied());
    assertEquals("Token Choice", rows.get(0).get("family").asText());
    assertEquals(1.0, rows.get(0).get("defaults").get("noise_std").asDouble());
    assertEquals(0.005, rows.get(0).get("defaults").get("importance_weight").asDouble());
    assertEquals(20, rows.get(1).get("defaults").get("sinkhorn_iterations").asInt());
    assertEquals("Expert Choice", rows.get(3).get("family").asText());
  }

  @Test
  void tableNamesEveryRouterAndEveryDeclaredOption() {
    CliRunner.Result r = CliRunner.run("", "routers");
    assertEquals(0, r.status());
    for (String name : Routers.names()) {
      assertTrue(r.out().contains(name + " "), name);
    }
    for (var option : vimoe.moe.routing.RouterOptions.ALL) {
      assertTrue(r.out().contains("  " + option.name() + " "), option.name());
      assertTrue(r.out().contains(option.description()), option.description());
    }
  }

  @Test
  void everyCommandHasHelp() {
    CliRunner.Result top = CliRunner.run("", "--help");
    assertEquals(0, top.status());
    for (String command : List.of("routers", "route")) {
      assertTrue(top.out().contains(command), command);
      CliRunner.Result help = CliRunner.run("", command, "--help");
      assertEquals(0, help.status());
      assertTrue(help.out().startsWith("Usage: vimoe " + command), help.out());
    }
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    CliRunner.Result r = CliRunner.run("", "frobnicate");
    assertEquals(2, r.status());
    assertTrue(r.err().contains("frobnicate"), r.err());
  }
}
