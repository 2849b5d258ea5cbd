package vimoe.model;

import java.util.TreeSet;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterSpec;

/**
 * Everything that defines a ViT-MoE model, validated on construction (messages name the field and
 * the bad value). Data and training settings live elsewhere.
 *
 * @param imageSize input height and width in pixels
 * @param channels input channels (1 grayscale, 3 RGB)
 * @param patchSize patch height and width; must divide imageSize
 * @param width D, the model width
 * @param depth number of encoder blocks
 * @param heads attention heads; must divide D
 * @param mlpDim hidden width of the dense MLP blocks
 * @param numClasses classes of the linear head
 * @param pooling global average pooling or class token
 * @param moeLayers placement of the MoE blocks ({@link MoePlacement}); ignored for {@code dense}
 * @param router the router of every MoE block and its options
 * @param experts E, experts per MoE block
 * @param expertHidden H, hidden width of each expert
 * @param groupImages images per routing group (1: the tokens of one image form a group)
 */
public record VitConfig(
        int imageSize,
        int channels,
        int patchSize,
        int width,
        int depth,
        int heads,
        int mlpDim,
        int numClasses,
        Pooling pooling,
        String moeLayers,
        RouterSpec router,
        int experts,
        int expertHidden,
        int groupImages) {

    /** Validates every field. */
    public VitConfig {
        positive("image_size", imageSize);
        positive("channels", channels);
        positive("patch_size", patchSize);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    "patch_size " + patchSize + " must divide image_size " + imageSize);
        }
        positive("width", width);
        positive("depth", depth);
        positive("heads", heads);
        if (width % heads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must divide width " + width);
        }
        positive("mlp_dim", mlpDim);
        if (numClasses < 2) {
            throw new IllegalArgumentException("num_classes must be >= 2, got " + numClasses);
        }
        if (pooling == null || router == null) {
            throw new IllegalArgumentException("pooling and router are required");
        }
        positive("experts", experts);
        positive("expert_hidden", expertHidden);
        positive("group_images", groupImages);
        if (router.family() == Family.TOKEN_CHOICE && router.k() > experts) {
            throw new IllegalArgumentException("k = " + router.k() + " exceeds the number of experts E = " + experts);
        }
        MoePlacement.parse(moeLayers, depth);
    }

    /** Patches per image, N = (imageSize / patchSize)^2. */
    public int patches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /** Tokens per image entering the encoder (N, plus one with a class token). */
    public int tokensPerImage() {
        return patches() + (pooling == Pooling.TOKEN ? 1 : 0);
    }

    /** The 0-based indices of the MoE blocks (empty for the dense baseline). */
    public TreeSet<Integer> moeBlocks() {
        return router.family() == Family.DENSE ? new TreeSet<>() : MoePlacement.parse(moeLayers, depth);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
        }
    }
}
