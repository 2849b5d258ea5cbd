package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Reads the real Fashion-MNIST of Debian's dataset-fashion-mnist; in CI its absence is a failure.
 */
class FashionMnistRealDataTest {

  @Test
  void readsTheInstalledFashionMnist() throws IOException {
    Path dir = FashionMnist.SYSTEM_DIR;
    if (!Files.isDirectory(dir)) {
      boolean ci = "true".equals(System.getenv("CI"));
      assertTrue(!ci, dir + " is missing in CI: install dataset-fashion-mnist in .ci/run");
      System.out.println(
          "FashionMnistRealDataTest skipped: "
              + dir
              + " is absent (apt-get install dataset-fashion-mnist)");
      Assumptions.abort(dir + " is absent");
    }
    TrainTest t = FashionMnist.read(dir);
    assertEquals(60_000, t.train().size());
    assertEquals(10_000, t.test().size());
    assertEquals(1, t.train().channels());
    assertEquals(28, t.train().height());
    assertEquals(28, t.train().width());
    assertEquals(10, t.train().numClasses());
    assertEquals(FashionMnist.CLASS_NAMES, t.test().classNames());
    int[] sixThousand = new int[10];
    Arrays.fill(sixThousand, 6000);
    assertArrayEquals(sixThousand, t.train().classCounts());
    int[] thousand = new int[10];
    Arrays.fill(thousand, 1000);
    assertArrayEquals(thousand, t.test().classCounts());
    // the first training image is an ankle boot (label 9), as in the paper's figure 1
    assertEquals(9, t.train().label(0));
    double mean = t.train().channelMeanStd()[0][0];
    assertEquals(0.286, mean, 0.001, "the known mean pixel of Fashion-MNIST's training set");
  }
}
