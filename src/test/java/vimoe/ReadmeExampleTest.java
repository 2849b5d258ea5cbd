package vimoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import vimoe.moe.MoeLayer;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.RoutingMetrics;

/** The Java example of README.md compiles and runs: README shows the lines between the markers. */
class ReadmeExampleTest {

  @Test
  void readmeExampleRuns() throws Exception {
    // README-EXAMPLE-BEGIN
    try (NDManager manager = NDManager.newBaseManager()) {
      RouterSpec router =
          RouterSpec.of("softmax-tc").toBuilder().optK(2).optCapacityFactor(1.25).build();
      MoeLayer moe =
          MoeLayer.builder().setRouter(router).setNumExperts(8).setHiddenDim(256).build();
      moe.initialize(
          manager, DataType.FLOAT32, new Shape(32, 49, 64)); // G groups of S tokens of width D

      NDArray tokens = manager.randomNormal(new Shape(32, 49, 64)); // (G, S, D)
      NDList out = moe.forward(new ParameterStore(manager, false), new NDList(tokens), true);
      NDArray y = out.get(0); // (G, S, D): add it to the residual stream
      NDArray auxLoss = out.get(1); // scalar: add it to the training loss
      RoutingMetrics metrics = moe.lastMetrics(); // dropped tokens, load per expert, ...
      System.out.println(metrics.toMap());
      // README-EXAMPLE-END
      assertEquals(new Shape(32, 49, 64), y.getShape());
      assertTrue(auxLoss.getFloat() > 0);
      assertTrue(metrics.droppedFraction() >= 0 && metrics.droppedFraction() < 1);
    }
  }

  @Test
  void readmeShowsTheExampleVerbatim() throws Exception {
    String test = Files.readString(Path.of("src/test/java/vimoe/ReadmeExampleTest.java"));
    String body =
        test.substring(
            test.indexOf("// README-EXAMPLE-BEGIN") + 24, test.indexOf("// README-EXAMPLE-END"));
    String readme = Files.readString(Path.of("README.md"));
    for (String line : body.strip().lines().map(String::strip).toList()) {
      assertTrue(readme.contains(line), "README.md lacks the example line: " + line);
    }
  }
}
