package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceOptionTest {
  @Test
  void aDeviceTheEngineDoesNotSeeExits2NamingTheOption() {
    for (String command : new String[] {"bench", "train", "eval", "predict"}) {
      CliRunner.Result r = CliRunner.run("", command, "--device", "gpu:63");
      assertEquals(2, r.status(), command + ": " + r.err());
      assertTrue(
          r.err().lines().findFirst().orElse("").contains("--device gpu:63: the engine sees"),
          r.err());
    }
    CliRunner.Result r = CliRunner.run("", "bench", "--device", "tpu");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--device must be cpu, gpu or gpu:N, got 'tpu'"), r.err());
  }

  @Test
  void benchRunsOnTheNamedDevice() {
    CliRunner.Result r =
        CliRunner.run(
            "",
            "bench",
            "--device",
            "cpu",
            "--routers",
            "softmax-ec",
            "--batch-size",
            "8",
            "--steps",
            "1",
            "--rounds",
            "1");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("training throughput of micro on cpu()"), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("softmax-ec")), r.out());
  }

  /** A router option is for the routers measured, not for the dense baseline beside them. */
  @Test
  void benchTakesRouterOptionsThatDenseLacks() {
    CliRunner.Result r =
        CliRunner.run(
            "",
            "bench",
            "--routers",
            "softmax-tc",
            "--router-option",
            "bias_update_rate=0.001",
            "--batch-size",
            "8",
            "--steps",
            "1",
            "--rounds",
            "1");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("dense")), r.out());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("softmax-tc")), r.out());
  }
}
