package vimoe.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import vimoe.moe.routing.Capacity;
import vimoe.moe.routing.Family;
import vimoe.moe.routing.RouterOptions;

/**
 * Size and cost of a configuration, computed from {@link VitConfig} alone (no model is built).
 * Letters as in docs/routing.md; in addition N = patches per image, T = tokens per image (N, plus
 * the class token), P = Ch * p * p values per patch, Hm = the dense MLP width, n = images per
 * routing group, S = n * T tokens per group, and C = {@link Capacity#of} slots per expert per
 * group.
 *
 * <p><b>Parameters</b> (equal to the scalars of the initialised {@link VisionTransformer}): patch
 * embedding P*D + D; position embedding T*D; class token D (TOKEN pooling only); per block
 * attention 4*D^2 + 4*D (fused QKV and projection, with biases) and two LayerNorms of 2*D; per
 * dense block an MLP of 2*D*Hm + Hm + D; per MoE block E + Ns experts of 2*D*H + H + D each (Ns =
 * {@code shared_experts}, counted in the part "experts") and a router of D*E (Wr) or, for Soft MoE,
 * D*E*C + 1 (Phi and its scale), or, with {@code recurrent_router} R > 0, D*R + R*E (Wp and Wo) per
 * MoE block plus one GRU cell of 6*R^2 + 6*R per model, in the part "router"; the final LayerNorm
 * 2*D; the head D*classes + classes.
 *
 * <p><b>Active parameters per token</b>: every parameter except the experts counts in full
 * (embeddings, position table, attention, norms, dense MLPs, routers, head), so a dense model has
 * {@code active == total}; each MoE block adds a experts' worth instead of E, where a = K for Token
 * Choice (the most a token can get; dropped tokens get fewer) and a = E*C/S, the average number of
 * slots per token, for Expert Choice and Soft MoE (there a token reaches a varying number of
 * experts, or a share of every slot). It measures expert compute per token, so with more slots than
 * tokens (E*C > E*S, possible only for Soft MoE with explicit {@code slots}) it exceeds the
 * parameters the block holds. The Ns shared experts are active for every token, so a block adds a +
 * Ns experts' worth. Rounded to the nearest integer at the end.
 *
 * <p><b>FLOPs per image</b> of one forward pass, a multiply-add counting 2 FLOPs, matrix products
 * only: LayerNorms, softmaxes, GELU, the 1/sqrt(d) scaling, bias and residual additions, the
 * position-embedding addition, the L2 normalisations of Soft MoE and the pooling are ignored, and
 * so are the routers' selection logic (top-k, Sinkhorn, the sparse OT solver), which works on S x E
 * scores. Per part ({@link #flopsByPart}):
 *
 * <ul>
 *   <li>patch embedding 2*N*P*D;
 *   <li>attention per block: QKV 6*T*D^2, scores 2*T^2*D, weighted sum 2*T^2*D, projection 2*T*D^2;
 *   <li>dense MLP per block 4*T*D*Hm;
 *   <li>experts per MoE block 4*E*C*D*H per group, i.e. on all E*C slots, filled or not, as the
 *       batched expert matmul computes them, plus 4*Ns*S*D*H for the shared experts on every token;
 *   <li>router per MoE block: logits 2*S*D*E per group (Soft MoE: 2*S*D*E*C; recurrent router:
 *       2*S*R*(D + E + 6*R) for Wp, Wo and the GRU's two R x 3R products);
 *   <li>dispatch and combine per MoE block: Soft MoE's two matmuls 2 * 2*S*E*C*D per group; sparse
 *       routers move rows by index (no FLOPs) and weight each (token, slot) entry by its gate, 2*D
 *       per entry: at most min(S*K, E*C) entries for Token Choice, E*C for Expert Choice;
 *   <li>head 2*D*classes.
 * </ul>
 *
 * Per-group counts are divided by n; each part is rounded to an integer and the total is their sum.
 *
 * @param totalParameters the number of scalars in the model
 * @param activeParametersPerToken parameters one token passes through (definition above)
 * @param flopsPerImage forward-pass FLOPs per image (definition above)
 * @param parametersByPart parameters by part, in model order: patch_embedding, position_embedding,
 *     class_token, attention, norms, mlp, experts, router, head (every key present, possibly 0)
 */
public record ModelInfo(
    long totalParameters,
    long activeParametersPerToken,
    long flopsPerImage,
    Map<String, Long> parametersByPart) {

  /** Copies the parts into an unmodifiable map that keeps their order; checks that they add up. */
  public ModelInfo {
    parametersByPart = Collections.unmodifiableMap(new LinkedHashMap<>(parametersByPart));
    long sum = parametersByPart.values().stream().mapToLong(Long::longValue).sum();
    if (sum != totalParameters) {
      throw new IllegalArgumentException(
          "parameters by part add up to " + sum + ", not the total " + totalParameters);
    }
  }

  /** The parameter count, active parameters per token and FLOPs per image of a configuration. */
  public static ModelInfo of(VitConfig config) {
    Sizes s = new Sizes(config);
    Map<String, Long> parts = new LinkedHashMap<>();
    parts.put("patch_embedding", s.patchValues * s.d + s.d);
    parts.put("position_embedding", s.t * s.d);
    parts.put("class_token", config.pooling() == Pooling.TOKEN ? s.d : 0L);
    parts.put("attention", config.depth() * (4 * s.d * s.d + 4 * s.d));
    parts.put("norms", (2L * config.depth() + 1) * 2 * s.d);
    parts.put("mlp", s.denseBlocks * mlp(s.d, config.mlpDim()));
    long expert = mlp(s.d, config.expertHidden());
    parts.put("experts", s.moeBlocks * (config.experts() + s.shared) * expert);
    long router =
        s.soft
            ? s.d * config.experts() * s.c + 1
            : s.r > 0 ? s.d * s.r + s.r * config.experts() : s.d * config.experts();
    // the recurrent router's GRU cell is one per model: 2 * (R x 3R) + 2 * 3R
    long gru = s.r > 0 && s.moeBlocks > 0 ? 6 * s.r * s.r + 6 * s.r : 0;
    parts.put("router", s.moeBlocks * router + gru);
    parts.put("head", s.d * config.numClasses() + config.numClasses());
    long total = parts.values().stream().mapToLong(Long::longValue).sum();

    double slotsPerToken =
        switch (s.family) {
          case TOKEN_CHOICE, GLOBAL_CHOICE -> config.router().k();
          case EXPERT_CHOICE, SOFT -> (double) config.experts() * s.c / s.s;
          case DENSE -> config.experts();
        };
    double unused = s.moeBlocks * (config.experts() - slotsPerToken) * expert;
    long active = Math.round(total - unused);

    long flops = flopsByPart(config).values().stream().mapToLong(Long::longValue).sum();
    return new ModelInfo(total, active, flops, parts);
  }

  /**
   * Forward-pass FLOPs per image by part, in model order: patch_embedding, attention, mlp, experts,
   * router, dispatch_combine, head (every key present, possibly 0). Their sum is {@link
   * #flopsPerImage()}; the definition is in the class javadoc.
   */
  public static Map<String, Long> flopsByPart(VitConfig config) {
    Sizes s = new Sizes(config);
    long e = config.experts(), slots = e * s.c;
    double perImage = 1.0 / config.groupImages();
    Map<String, Long> parts = new LinkedHashMap<>();
    parts.put("patch_embedding", 2 * s.n * s.patchValues * s.d);
    parts.put("attention", config.depth() * (8 * s.t * s.d * s.d + 4 * s.t * s.t * s.d));
    parts.put("mlp", s.denseBlocks * 4 * s.t * s.d * config.mlpDim());
    // the shared experts run on all S tokens of a group, S slots each
    long expertSlots = slots + s.shared * s.s;
    parts.put(
        "experts",
        Math.round(s.moeBlocks * 4.0 * expertSlots * s.d * config.expertHidden() * perImage));
    double routerPerGroup =
        s.soft
            ? 2.0 * s.s * s.d * slots
            : s.r > 0
                ? 2.0 * s.s * s.r * (s.d + e + 6 * s.r) // Wp, Wo and the GRU's two (R x 3R)
                : 2.0 * s.s * s.d * e;
    parts.put("router", Math.round(s.moeBlocks * routerPerGroup * perImage));
    double entries =
        switch (s.family) {
          case TOKEN_CHOICE, GLOBAL_CHOICE -> Math.min((long) s.s * config.router().k(), slots);
          case EXPERT_CHOICE -> slots;
          case SOFT ->
              2.0 * s.s * slots; // dispatch (E*C x S) @ (S x D) and combine (S x E*C) @ (E*C x D)
          case DENSE -> 0;
        };
    parts.put("dispatch_combine", Math.round(s.moeBlocks * 2.0 * entries * s.d * perImage));
    parts.put("head", 2 * s.d * config.numClasses());
    return Collections.unmodifiableMap(parts);
  }

  /** Parameters of one MLP D -> h -> D with biases. */
  private static long mlp(long d, long h) {
    return 2 * d * h + h + d;
  }

  /** The sizes every count needs, as longs. */
  private static final class Sizes {
    final long d, n, t, s, c, patchValues, moeBlocks, denseBlocks, shared, r;
    final Family family;
    final boolean soft;

    Sizes(VitConfig config) {
      d = config.width();
      n = config.patches();
      t = config.tokensPerImage();
      s = (long) config.groupImages() * t;
      patchValues = (long) config.channels() * config.patchSize() * config.patchSize();
      moeBlocks = config.moeBlocks().size();
      denseBlocks = config.depth() - moeBlocks;
      family = config.router().family();
      soft = family == Family.SOFT;
      shared = config.router().get(RouterOptions.SHARED_EXPERTS);
      r = config.router().get(RouterOptions.RECURRENT_ROUTER);
      c = moeBlocks == 0 ? 0 : Capacity.of((int) s, config.experts(), config.router());
    }
  }
}
