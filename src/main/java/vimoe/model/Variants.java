package vimoe.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import vimoe.moe.routing.RouterSpec;

/**
 * The registry of named model variants (like timm's {@code register_model} or vmoe's {@code
 * get_vit_config}). Every variant has 8 experts of the block's MLP width in its last 2 blocks, K =
 * 1, capacity factor 1, one image per routing group, and global average pooling.
 */
public final class Variants {
  private record Shape(int width, int depth, int heads, int mlp) {}

  private static final Map<String, Shape> SHAPES = new LinkedHashMap<>();

  static {
    SHAPES.put("micro", new Shape(64, 6, 4, 256)); // for 28 x 28 inputs with patch 4: 49 tokens
    SHAPES.put("ti", new Shape(192, 12, 3, 768)); // ViT-Ti
    SHAPES.put("s", new Shape(384, 12, 6, 1536)); // ViT-S
    SHAPES.put("b", new Shape(768, 12, 12, 3072)); // ViT-B
  }

  private Variants() {}

  /** The variant names. */
  public static Set<String> names() {
    return SHAPES.keySet();
  }

  /**
   * The defaults of a variant, not yet validated, so that a caller can apply its overrides first
   * and validate the result once (a default such as E = 8 may be invalid on its own next to a
   * user's k = 9).
   *
   * @param patchSize P
   * @param width D
   * @param depth encoder blocks
   * @param heads attention heads
   * @param mlpDim hidden width of the dense MLP blocks
   * @param pooling global average pooling
   * @param moeLayers placement of the MoE blocks
   * @param experts E
   * @param expertHidden H
   * @param groupImages images per routing group
   */
  public record Defaults(
      int patchSize,
      int width,
      int depth,
      int heads,
      int mlpDim,
      Pooling pooling,
      String moeLayers,
      int experts,
      int expertHidden,
      int groupImages) {}

  /**
   * The defaults of the named variant: patch size 4, 8 experts of the MLP width in the last 2
   * blocks, global average pooling, one image per routing group.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Defaults defaults(String name) {
    Shape s = SHAPES.get(name);
    if (s == null) {
      throw new IllegalArgumentException(
          "unknown model variant \""
              + name
              + "\"; known variants: "
              + String.join(", ", SHAPES.keySet()));
    }
    return new Defaults(4, s.width, s.depth, s.heads, s.mlp, Pooling.GAP, "last:2", 8, s.mlp, 1);
  }

  /**
   * The named variant for images of the given size, channels and classes, with patch size 4.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static VitConfig get(
      String name, int imageSize, int channels, int numClasses, RouterSpec router) {
    Defaults d = defaults(name);
    return new VitConfig(
        imageSize,
        channels,
        d.patchSize(),
        d.width(),
        d.depth(),
        d.heads(),
        d.mlpDim(),
        numClasses,
        d.pooling(),
        d.moeLayers(),
        router,
        d.experts(),
        d.expertHidden(),
        d.groupImages());
  }
}
