package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Defaults of docs/routing.md and validation messages that name the bad value. */
class RouterSpecTest {

  @Test
  void defaultsFollowRoutingMd() {
    RouterSpec tc = RouterSpec.of("softmax-tc");
    assertEquals(1, tc.k());
    assertEquals(1.0, tc.capacityFactor());
    assertEquals(Rounding.CEIL, tc.capacityRounding());
    assertEquals(1, tc.capacityMultipleOf());
    assertTrue(tc.batchPriority());
    assertEquals(1.0, tc.noiseStd());
    assertEquals(0.005, tc.importanceWeight());
    assertEquals(0.005, tc.loadWeight());
    assertEquals(0.0, tc.zLossWeight());
    RouterSpec sinkhorn = RouterSpec.of("sinkhorn-tc");
    assertEquals(1.0, sinkhorn.noiseStd());
    assertEquals(0.0, sinkhorn.importanceWeight());
    assertEquals(1.0, sinkhorn.sinkhornEpsilon());
    assertEquals(20, sinkhorn.sinkhornIterations());
    RouterSpec ot = RouterSpec.of("sparse-ot-ec");
    assertEquals(0.0, ot.noiseStd());
    assertEquals(20, ot.otIterations());
    assertEquals(0.01, ot.otLearningRate());
    assertEquals(1.0, RouterSpec.of("softmax-ec").noiseStd());
    assertEquals(1.0, RouterSpec.of("sinkhorn-ec").noiseStd());
    assertEquals(0.0, RouterSpec.of("soft").noiseStd());
    assertEquals(null, RouterSpec.of("soft").slots());
  }

  @Test
  void optionsRoundTripByJsonName() {
    RouterSpec spec =
        RouterSpec.of("softmax-tc").toBuilder()
            .optOption("k", 2)
            .optOption("capacity_factor", 1.25)
            .optOption("capacity_rounding", "round")
            .optOption("capacity_multiple_of", 4)
            .optOption("batch_priority", false)
            .optOption("normalize_gates", true)
            .optOption("z_loss_weight", 0.001)
            .build();
    assertEquals(2, spec.k());
    assertEquals(Rounding.ROUND, spec.capacityRounding());
    RouterSpec.Builder again = RouterSpec.of("softmax-tc").toBuilder();
    spec.options().forEach(again::optOption);
    assertEquals(spec, again.build());
  }

  /** config.json keeps the form of the record RouterSpec was: the same fields, the same values. */
  @Test
  void configJsonKeepsItsEarlierForm() throws Exception {
    String earlier =
        "{\"router\":\"softmax-ec\",\"k\":1,\"capacityFactor\":1.25,\"capacityRounding\":\"CEIL\","
            + "\"capacityMultipleOf\":1,\"batchPriority\":true,\"normalizeGates\":false,"
            + "\"noiseStd\":1.0,\"importanceWeight\":0.0,\"loadWeight\":0.0,\"zLossWeight\":0.0,"
            + "\"sinkhornEpsilon\":1.0,\"sinkhornIterations\":20,\"otIterations\":20,"
            + "\"otLearningRate\":0.01,\"slots\":null}";
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    RouterSpec read = json.readValue(earlier, RouterSpec.class);
    assertEquals(RouterSpec.of("softmax-ec").toBuilder().optCapacityFactor(1.25).build(), read);
    assertEquals(earlier, json.writeValueAsString(read));
    assertThrows(
        Exception.class,
        () -> json.readValue("{\"router\":\"soft\",\"capacity\":2}", RouterSpec.class));
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "capacity_factor      | -1.0  | softmax-tc   | capacity_factor must be > 0, got -1.0",
        "capacity_factor      | 0     | softmax-ec   | capacity_factor must be > 0, got 0.0",
        "k                    | 0     | softmax-tc   | k must be >= 1, got 0",
        "k                    | 2     | softmax-ec   | k applies to Token Choice and Global Choice routers only",
        "capacity_multiple_of | 0     | softmax-tc   | capacity_multiple_of must be >= 1, got 0",
        "noise_std            | -0.5  | softmax-tc   | noise_std must be >= 0, got -0.5",
        "noise_std            | 1     | sparse-ot-tc | sparse-ot-tc takes no noise",
        "noise_std            | 1     | soft         | soft takes no noise",
        "sinkhorn_epsilon     | 0     | sinkhorn-tc  | sinkhorn_epsilon must be > 0, got 0.0",
        "sinkhorn_iterations  | 0     | sinkhorn-ec  | sinkhorn_iterations must be >= 1, got 0",
        "ot_iterations        | 0     | sparse-ot-ec | ot_iterations must be >= 1, got 0",
        "ot_learning_rate     | -1    | sparse-ot-ec | ot_learning_rate must be > 0, got -1.0",
        "importance_weight    | -1    | softmax-tc   | importance_weight must be >= 0, got -1.0",
        "slots                | 0     | soft         | slots must be >= 1, got 0",
        "slots                | 2     | softmax-ec   | slots applies to the soft router only",
      })
  void badValuesAreNamed(String option, double value, String router, String message) {
    Object boxed =
        value == Math.rint(value)
                && !option.contains("factor")
                && !option.contains("std")
                && !option.contains("rate")
                && !option.contains("weight")
                && !option.contains("epsilon")
            ? (Object) (int) value
            : (Object) value;
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of(router).toBuilder().optOption(option, boxed).build());
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @Test
  void unknownNamesAreListed() {
    var router = assertThrows(IllegalArgumentException.class, () -> RouterSpec.of("top2"));
    assertTrue(router.getMessage().contains("softmax-tc, sinkhorn-tc"), router.getMessage());
    var option =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of("soft").toBuilder().optOption("capacity", 1));
    assertTrue(option.getMessage().contains("unknown option \"capacity\""), option.getMessage());
    var type =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of("soft").toBuilder().optOption("capacity_factor", "big"));
    assertEquals("capacity_factor must be a number, got \"big\"", type.getMessage());
    var rounding =
        assertThrows(
            IllegalArgumentException.class,
            () -> RouterSpec.of("soft").toBuilder().optOption("capacity_rounding", "floor"));
    assertEquals(
        "capacity_rounding must be \"ceil\" or \"round\", got \"floor\"", rounding.getMessage());
  }
}
