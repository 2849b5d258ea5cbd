package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vimoe.data.Augmentation;
import vimoe.data.FashionMnist;
import vimoe.data.ImageSet;
import vimoe.model.VisionTransformer;
import vimoe.train.TrainingRun;

/**
 * Runs of a study that share a seed share every draw that does not depend on the router: the
 * validation split, the recipe (seed, batch, augmentation, so data order and crops), and the
 * initial value of every parameter the models have in common.
 */
class PairedBySeedTest {
  static StudySpec spec() {
    ModelChoice model =
        new ModelChoice("micro", null, null, null, 4, null, "0", null, 7, 16, 3, 2, 32, null);
    return new StudySpec(
        "quick",
        List.of("softmax-ec", "soft"),
        2,
        1,
        32,
        null,
        600,
        100,
        "fashion-mnist",
        null,
        null,
        null,
        model,
        Map.of(),
        null,
        null,
        null);
  }

  @Test
  void runsOfOneSeedShareDataAndEveryCommonInitialParameter() throws Exception {
    boolean present = Files.isDirectory(FashionMnist.SYSTEM_DIR);
    if (!present && !"true".equals(System.getenv("CI"))) {
      System.out.println(
          "skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
      assumeTrue(false);
    }
    StudySpec spec = spec();
    StudyData data = StudyData.load(spec);
    Map<String, StudyRun> runs = new LinkedHashMap<>();
    spec.runs().forEach(r -> runs.put(r.name(), r));
    StudyData.Prepared dense = data.prepare(runs.get("dense-s0")),
        ec = data.prepare(runs.get("softmax-ec-s0")),
        soft = data.prepare(runs.get("soft-s0")),
        ec1 = data.prepare(runs.get("softmax-ec-s1"));
    // the recipe (seed, batch, augmentation: data order and crops) and normalisation are the same
    assertEquals(dense.config().train(), ec.config().train());
    assertArrayEquals(dense.config().mean(), ec.config().mean());
    assertArrayEquals(dense.config().std(), ec.config().std());
    int[] first = new int[32];
    for (int i = 0; i < first.length; i++) {
      first[i] = 3 * i + 1;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      for (int epoch = 0; epoch < 2; epoch++) {
        assertArrayEquals(
            batch(m, dense.splits().train(), first, dense, epoch),
            batch(m, ec.splits().train(), first, ec, epoch));
        assertArrayEquals(
            batch(m, dense.splits().validation(), first, dense, epoch),
            batch(m, ec.splits().validation(), first, ec, epoch));
      }
      // another seed holds out other images
      assertFalse(
          java.util.Arrays.equals(
              batch(m, dense.splits().validation(), first, dense, 0),
              batch(m, ec1.splits().validation(), first, ec1, 0)));

      Map<String, float[]> d = values(TrainingRun.build(dense.config(), m)),
          e = values(TrainingRun.build(ec.config(), m)),
          s = values(TrainingRun.build(soft.config(), m)),
          e1 = values(TrainingRun.build(ec1.config(), m));
      List<String> shared = new ArrayList<>();
      for (Map.Entry<String, float[]> p : d.entrySet()) {
        float[] other = e.get(p.getKey());
        if (other != null && other.length == p.getValue().length) {
          shared.add(p.getKey());
          assertArrayEquals(p.getValue(), other, p.getKey()); // bit for bit
          assertArrayEquals(p.getValue(), s.get(p.getKey()), p.getKey());
        }
      }
      // block 0 is the MoE layer: every later block, the final norm and the head come after it
      for (String part :
          List.of("patch_embedding", "position_embedding", "block0", "block1", "block2", "head")) {
        assertTrue(shared.stream().anyMatch(n -> n.contains(part)), part + " in " + shared);
      }
      assertTrue(e.size() > shared.size(), "the MoE layer has parameters dense lacks");
      assertTrue(
          shared.stream()
              .anyMatch(n -> n.contains("head") && !java.util.Arrays.equals(e.get(n), e1.get(n))),
          "seed 1 draws other values");
    }
  }

  private static float[] batch(
      NDManager m, ImageSet set, int[] indices, StudyData.Prepared p, int epoch) {
    NDList b =
        set.batch(
            m,
            indices,
            new Augmentation(p.config().train().pad(), p.config().train().flip()),
            p.config().train().seed(),
            epoch,
            p.config().mean(),
            p.config().std());
    return b.get(0).toFloatArray();
  }

  private static Map<String, float[]> values(VisionTransformer model) {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : model.getParameters()) {
      out.put(p.getKey(), p.getValue().getArray().toFloatArray());
    }
    return out;
  }
}
