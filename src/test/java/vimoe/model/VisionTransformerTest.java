package vimoe.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import vimoe.moe.routing.RouterSpec;

/** The ViT: shapes, MoE placement, grouping, and save/load. */
class VisionTransformerTest {

  static VitConfig small(String router, Pooling pooling, int groupImages) {
    return new VitConfig(
        8, 1, 4, 16, 3, 2, 32, 5, pooling, "last:2", RouterSpec.of(router), 4, 32, groupImages);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"dense", "softmax-tc", "softmax-ec", "sinkhorn-tc", "sparse-ot-ec", "soft"})
  void outputsLogitsAuxAndFeaturesAndReloadsIdentically(String router) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(1);
      VisionTransformer vit = new VisionTransformer(small(router, Pooling.GAP, 1));
      vit.initialize(m, DataType.FLOAT32, new Shape(2, 1, 8, 8));
      // the zero-initialised head starts at uniform predictions; perturb it so predictions differ
      vit.getParameters()
          .forEach(
              p ->
                  p.getValue()
                      .getArray()
                      .addi(
                          m.randomNormal(
                              0, 0.1f, p.getValue().getArray().getShape(), DataType.FLOAT32)));
      NDArray x = m.randomNormal(new Shape(6, 1, 8, 8));
      NDList out = vit.forward(new ParameterStore(m, false), new NDList(x), false);
      assertEquals(new Shape(6, 5), out.get(0).getShape());
      assertEquals(new Shape(), out.get(1).getShape());
      assertEquals(new Shape(6, 16), out.get(2).getShape());
      assertEquals(router.equals("dense") ? 0 : 2, vit.moeLayers().size());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      vit.saveParameters(new DataOutputStream(bytes));
      VisionTransformer loaded = new VisionTransformer(small(router, Pooling.GAP, 1));
      loaded.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
      float[] before = out.get(0).toFloatArray();
      assertArrayEquals(
          before,
          loaded.forward(new ParameterStore(m, false), new NDList(x), false).get(0).toFloatArray());
    }
  }

  @Test
  void eachImageIsItsOwnGroupByDefaultButNotWithGroupImages() {
    // With one image per group an image's prediction must not depend on the rest of its batch.
    try (NDManager m = NDManager.newBaseManager()) {
      for (int group : new int[] {1, 2}) {
        Engine.getInstance().setRandomSeed(2);
        VisionTransformer vit = new VisionTransformer(small("softmax-ec", Pooling.TOKEN, group));
        vit.initialize(m, DataType.FLOAT32, new Shape(2, 1, 8, 8));
        vit.getParameters()
            .forEach(
                p ->
                    p.getValue()
                        .getArray()
                        .addi(
                            m.randomNormal(
                                0, 0.3f, p.getValue().getArray().getShape(), DataType.FLOAT32)));
        NDArray a = m.randomNormal(new Shape(2, 1, 8, 8));
        NDArray b = NDArray_concat(a.get("0:1"), m.randomNormal(new Shape(1, 1, 8, 8)));
        float[] la =
            vit.forward(new ParameterStore(m, false), new NDList(a), false)
                .get(0)
                .get(0)
                .toFloatArray();
        float[] lb =
            vit.forward(new ParameterStore(m, false), new NDList(b), false)
                .get(0)
                .get(0)
                .toFloatArray();
        if (group == 1) {
          assertArrayEquals(la, lb, 1e-5f);
        } else {
          boolean differs = false;
          for (int i = 0; i < la.length; i++) {
            differs |= Math.abs(la[i] - lb[i]) > 1e-5;
          }
          assertTrue(differs, "with 2 images per group the neighbour should change the routing");
        }
      }
    }
  }

  private static NDArray NDArray_concat(NDArray a, NDArray b) {
    return a.concat(b, 0);
  }

  @Test
  void placementAndConfigErrorsNameTheProblem() {
    assertEquals(List.of(4, 5), List.copyOf(MoePlacement.parse("last:2", 6)));
    assertEquals(List.of(1, 3, 5), List.copyOf(MoePlacement.parse("every:2", 6)));
    assertEquals(List.of(0, 3), List.copyOf(MoePlacement.parse("3, 0", 6)));
    var e = assertThrows(IllegalArgumentException.class, () -> MoePlacement.parse("last:9", 6));
    assertTrue(e.getMessage().contains("last:9"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> MoePlacement.parse("6", 6));
    assertThrows(IllegalArgumentException.class, () -> MoePlacement.parse("first:2", 6));
    var patch =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new VitConfig(
                    28,
                    1,
                    5,
                    64,
                    6,
                    4,
                    256,
                    10,
                    Pooling.GAP,
                    "last:2",
                    RouterSpec.of("soft"),
                    8,
                    256,
                    1));
    assertEquals("patch_size 5 must divide image_size 28", patch.getMessage());
    var heads =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new VitConfig(
                    28,
                    1,
                    4,
                    64,
                    6,
                    3,
                    256,
                    10,
                    Pooling.GAP,
                    "last:2",
                    RouterSpec.of("soft"),
                    8,
                    256,
                    1));
    assertEquals("heads 3 must divide width 64", heads.getMessage());
    var variant =
        assertThrows(
            IllegalArgumentException.class,
            () -> Variants.get("huge", 28, 1, 10, RouterSpec.of("soft")));
    assertTrue(variant.getMessage().contains("micro, ti, s, b"), variant.getMessage());
  }

  @Test
  void variantsHaveThePaperShapes() {
    VitConfig micro = Variants.get("micro", 28, 1, 10, RouterSpec.of("softmax-ec"));
    assertEquals(49, micro.patches());
    assertEquals(List.of(4, 5), List.copyOf(micro.moeBlocks()));
    VitConfig s = Variants.get("s", 32, 3, 10, RouterSpec.of("soft"));
    assertEquals(384, s.width());
    assertEquals(12, s.depth());
    assertEquals(6, s.heads());
    assertEquals(1536, s.mlpDim());
    assertEquals(
        List.of(), List.copyOf(Variants.get("b", 32, 3, 10, RouterSpec.of("dense")).moeBlocks()));
  }
}
