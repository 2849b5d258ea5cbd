package vimoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DevicesTest {
  @Test
  void namesParseToTheirDevices() {
    assertEquals(Device.cpu(), Devices.parse("cpu", 0));
    assertEquals(Device.gpu(0), Devices.parse("gpu", 1));
    assertEquals(Device.gpu(0), Devices.parse(" GPU ", 2));
    assertEquals(Device.gpu(1), Devices.parse("gpu:1", 2));
  }

  @Test
  void aMissingOrUnknownDeviceIsRefusedWithTheRemedy() {
    String none =
        assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu", 0)).getMessage();
    assertTrue(
        none.startsWith("--device gpu: the engine sees no GPU") && none.contains("--device cpu"),
        none);
    String tooHigh =
        assertThrows(IllegalArgumentException.class, () -> Devices.parse("gpu:2", 2)).getMessage();
    assertTrue(tooHigh.contains("sees 2 GPUs (gpu:0 to gpu:1)"), tooHigh);
    for (String bad : new String[] {"tpu", "gpu:", "gpu:-1", "gpu:x", "cuda:0", ""}) {
      String m =
          assertThrows(IllegalArgumentException.class, () -> Devices.parse(bad, 8)).getMessage();
      assertTrue(m.startsWith("--device must be cpu, gpu or gpu:N"), m);
    }
  }
}
