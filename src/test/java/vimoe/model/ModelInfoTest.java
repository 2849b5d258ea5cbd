package vimoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import vimoe.moe.routing.RouterSpec;
import vimoe.moe.routing.Routers;

/** Parameter counts against the real model, FLOPs by hand, equal compute across routers. */
class ModelInfoTest {
  static final List<String> ROUTERS =
      Routers.names().stream().filter(r -> !r.equals("dense")).toList();

  static VitConfig micro(RouterSpec router) {
    return Variants.get("micro", 28, 1, 10, router);
  }

  static VitConfig micro(String router) {
    return micro(RouterSpec.of(router));
  }

  static long scalarsOf(VitConfig config, long batch) {
    try (NDManager manager = NDManager.newBaseManager()) {
      VisionTransformer model = new VisionTransformer(config);
      model.initialize(
          manager,
          DataType.FLOAT32,
          new Shape(batch, config.channels(), config.imageSize(), config.imageSize()));
      long total = 0;
      for (Pair<String, Parameter> p : model.getParameters()) {
        total += p.getValue().getArray().size();
      }
      return total;
    }
  }

  @Test
  void totalParametersEqualTheScalarsOfTheInitialisedModel() {
    RouterSpec sparseOtK2 = RouterSpec.of("sparse-ot-tc").toBuilder().optK(2).build();
    RouterSpec soft = RouterSpec.of("soft");
    List<VitConfig> configs =
        List.of(
            micro("dense"),
            micro("softmax-ec"),
            micro(soft),
            micro(sparseOtK2),
            // class token, RGB, patch 8, MoE in every second block, 2 images per group (S = 34, C =
            // 5)
            new VitConfig(32, 3, 8, 48, 4, 3, 96, 7, Pooling.TOKEN, "every:2", soft, 7, 80, 2),
            new VitConfig(32, 3, 8, 48, 4, 3, 96, 7, Pooling.TOKEN, "0,3", sparseOtK2, 5, 64, 1),
            micro(soft.toBuilder().optSlots(3).build()));
    for (VitConfig config : configs) {
      ModelInfo info = ModelInfo.of(config);
      assertEquals(scalarsOf(config, 2), info.totalParameters(), config.toString());
    }
  }

  @Test
  void microDenseByHand() {
    // micro: 28x28x1, patch 4 -> N = T = 49 tokens, P = 16 values per patch, D = 64, depth 6,
    // 4 heads, Hm = 256, 10 classes, GAP.
    // Parameters:
    //   patch embedding 16*64 + 64                          =   1,088
    //   position embedding 49*64                            =   3,136
    //   attention 6 * (4*64^2 + 4*64) = 6 * 16,640          =  99,840
    //   norms (2*6 + 1) * 2*64                              =   1,664
    //   mlp 6 * (2*64*256 + 256 + 64) = 6 * 33,088          = 198,528
    //   head 64*10 + 10                                     =     650
    //   total                                               = 304,906
    // FLOPs per image (multiply-add = 2):
    //   patch embedding 2*49*16*64                          =    100,352
    //   attention per block: QKV 6*49*64^2 = 1,204,224; scores 2*49^2*64 = 307,328;
    //     weighted sum 307,328; projection 2*49*64^2 = 401,408; sum 2,220,288; x 6 = 13,321,728
    //   mlp per block 4*49*64*256 = 3,211,264; x 6         = 19,267,584
    //   head 2*64*10                                        =      1,280
    //   total                                               = 32,690,944
    ModelInfo info = ModelInfo.of(micro("dense"));
    assertEquals(304_906, info.totalParameters());
    assertEquals(304_906, info.activeParametersPerToken());
    assertEquals(
        Map.of(
            "patch_embedding",
            1_088L,
            "position_embedding",
            3_136L,
            "class_token",
            0L,
            "attention",
            99_840L,
            "norms",
            1_664L,
            "mlp",
            198_528L,
            "experts",
            0L,
            "router",
            0L,
            "head",
            650L),
        info.parametersByPart());
    assertEquals(32_690_944, info.flopsPerImage());
    Map<String, Long> flops = ModelInfo.flopsByPart(micro("dense"));
    assertEquals(100_352, flops.get("patch_embedding"));
    assertEquals(13_321_728, flops.get("attention"));
    assertEquals(19_267_584, flops.get("mlp"));
    assertEquals(1_280, flops.get("head"));
  }

  @Test
  void microMoeByHand() {
    // softmax-ec: blocks 4 and 5 are MoE with E = 8 experts of H = 256; S = 49, C = ceil(49/8) = 7.
    // One expert has 33,088 parameters; the router Wr 64*8 = 512.
    // total = 304,906 - 2*33,088 (two dense MLPs) + 2*8*33,088 + 2*512
    //       = 304,906 - 66,176 + 529,408 + 1,024 = 769,162
    // active: a = E*C/S = 56/49 experts' worth per block:
    //   769,162 - 2*(8 - 56/49)*33,088 = 769,162 - 453,778.29 = 315,383.71 -> 315,384
    // FLOPs: experts 2 * 4*56*64*256 = 7,340,032; router 2 * 2*49*64*8 = 100,352;
    //   combine 2 * 2*56*64 = 14,336; mlp 4 * 3,211,264 = 12,845,056;
    //   total = 100,352 + 13,321,728 + 12,845,056 + 7,340,032 + 100,352 + 14,336 + 1,280 =
    // 33,723,136
    ModelInfo ec = ModelInfo.of(micro("softmax-ec"));
    assertEquals(769_162, ec.totalParameters());
    assertEquals(315_384, ec.activeParametersPerToken());
    assertEquals(33_723_136, ec.flopsPerImage());
    // Token Choice with K = 1: one expert's worth; K = 2: two.
    ModelInfo tc = ModelInfo.of(micro("softmax-tc"));
    assertEquals(769_162 - 2 * 7 * 33_088, tc.activeParametersPerToken()); // 305,930
    ModelInfo tc2 = ModelInfo.of(micro(RouterSpec.of("softmax-tc").toBuilder().optK(2).build()));
    assertEquals(769_162 - 2 * 6 * 33_088, tc2.activeParametersPerToken());
    // soft: Phi 64*8*7 + scale = 3,585 per block instead of 512:
    //   total = 769,162 + 2*(3,585 - 512) = 775,308; active as softmax-ec plus the same 6,146 =
    // 321,530.
    // FLOPs: router logits 2 * 2*49*64*56 = 702,464; dispatch + combine 2 * 2 * 2*49*56*64 =
    // 1,404,928
    //   total = 33,723,136 - 100,352 - 14,336 + 702,464 + 1,404,928 = 35,715,840
    ModelInfo soft = ModelInfo.of(micro("soft"));
    assertEquals(775_308, soft.totalParameters());
    assertEquals(321_530, soft.activeParametersPerToken());
    assertEquals(35_715_840, soft.flopsPerImage());
  }

  @Test
  void allRoutersHaveEqualExpertComputeWithTheDefaults() {
    // docs/routing.md: with K = 1 and CF = 1 every router has E*C slots per group ("equal
    // compute").
    Map<String, Long> reference = ModelInfo.flopsByPart(micro("softmax-ec"));
    for (String router : ROUTERS) {
      Map<String, Long> flops = ModelInfo.flopsByPart(micro(router));
      long total = ModelInfo.of(micro(router)).flopsPerImage();
      long routing = flops.get("router") + flops.get("dispatch_combine");
      for (String part : List.of("patch_embedding", "attention", "mlp", "experts", "head")) {
        assertEquals(reference.get(part), flops.get(part), router + " " + part);
      }
      long referenceTotal = ModelInfo.of(micro("softmax-ec")).flopsPerImage();
      long referenceRouting = reference.get("router") + reference.get("dispatch_combine");
      assertEquals(referenceTotal - referenceRouting, total - routing, router);
      assertTrue(
          routing < 0.1 * total, router + ": the router's own cost " + routing + " of " + total);
    }
  }

  @Test
  void flopsGrowWithCapacityFactor() {
    for (String router : ROUTERS) {
      long previous = 0, previousExperts = 0;
      for (double cf : new double[] {0.5, 1.0, 1.5, 2.0}) {
        VitConfig config = micro(RouterSpec.of(router).toBuilder().optCapacityFactor(cf).build());
        long flops = ModelInfo.of(config).flopsPerImage();
        long experts = ModelInfo.flopsByPart(config).get("experts");
        assertTrue(flops > previous && experts > previousExperts, router + " at CF " + cf);
        previous = flops;
        previousExperts = experts;
      }
    }
    // and with K for Token Choice: C = ceil(49*2/8) = 13 slots instead of 7
    long k1 = ModelInfo.flopsByPart(micro("softmax-tc")).get("experts");
    long k2 =
        ModelInfo.flopsByPart(micro(RouterSpec.of("softmax-tc").toBuilder().optK(2).build()))
            .get("experts");
    assertEquals(13.0 / 7, (double) k2 / k1, 1e-12);
  }

  @Test
  void groupsOfImagesShareSlots() {
    // 2 images per group: S = 98, C = ceil(98/8) = 13, so 8*13/2 = 52 slots per image instead of
    // 56.
    VitConfig one = micro("softmax-ec");
    VitConfig two =
        new VitConfig(
            28,
            1,
            4,
            64,
            6,
            4,
            256,
            10,
            Pooling.GAP,
            "last:2",
            RouterSpec.of("softmax-ec"),
            8,
            256,
            2);
    long e1 = ModelInfo.flopsByPart(one).get("experts"),
        e2 = ModelInfo.flopsByPart(two).get("experts");
    assertEquals(52.0 / 56, (double) e2 / e1, 1e-12);
    assertEquals(ModelInfo.of(one).totalParameters(), ModelInfo.of(two).totalParameters());
  }

  @Test
  void sharedExpertsCountInFullForEveryTokenByHand() {
    // softmax-tc, K = 1, shared_experts = 1 on micro: one more expert of 33,088 per MoE block, and
    // it runs on all S = 49 tokens: 4*49*64*256 = 3,211,264 FLOPs per block.
    //   total = 769,162 + 2*33,088 = 835,338; active = 305,930 + 2*33,088 = 372,106
    //   FLOPs: softmax-tc has 2 * 2*49*64 = 12,544 for the combine (49 entries, not 56), so
    //   33,723,136 - 14,336 + 12,544 = 33,721,344 without and 33,721,344 + 6,422,528 = 40,143,872
    //   with the shared expert.
    VitConfig shared =
        micro(RouterSpec.of("softmax-tc").toBuilder().optOption("shared_experts", 1).build());
    ModelInfo info = ModelInfo.of(shared);
    assertEquals(835_338, info.totalParameters());
    assertEquals(372_106, info.activeParametersPerToken());
    assertEquals(40_143_872, info.flopsPerImage());
    assertEquals(33_721_344, ModelInfo.of(micro("softmax-tc")).flopsPerImage());
    assertEquals(scalarsOf(shared, 1), info.totalParameters());
    // Expert Choice: the same expert each token, on top of a = E*C/S
    VitConfig ec =
        micro(RouterSpec.of("softmax-ec").toBuilder().optOption("shared_experts", 2).build());
    assertEquals(315_384 + 2 * 2 * 33_088, ModelInfo.of(ec).activeParametersPerToken());
    assertEquals(33_723_136 + 2 * 2 * 3_211_264, ModelInfo.of(ec).flopsPerImage());
    assertEquals(scalarsOf(ec, 1), ModelInfo.of(ec).totalParameters());
  }
}
