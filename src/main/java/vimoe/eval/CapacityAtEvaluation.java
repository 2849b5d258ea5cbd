package vimoe.eval;

import vimoe.model.VitConfig;
import vimoe.moe.routing.Family;
import vimoe.run.RunConfig;

/**
 * Evaluating a trained sparse model at another capacity factor, as V-MoE does (trained at 1.05,
 * evaluated at larger factors). A sparse router's parameters do not depend on C, so the same
 * checkpoint loads into the model with the new factor. Soft MoE's slots are parameters (Phi is D x
 * E x C), so its capacity is fixed by training.
 */
public final class CapacityAtEvaluation {
  private CapacityAtEvaluation() {}

  /**
   * The configuration of {@code config} with the MoE layers' capacity factor set to {@code cf}.
   *
   * @throws IllegalArgumentException for the dense baseline and Soft MoE, naming why
   */
  public static RunConfig withCapacityFactor(RunConfig config, double cf) {
    VitConfig m = config.model();
    Family family = m.router().family();
    if (family == Family.DENSE) {
      throw new IllegalArgumentException(
          "--capacity-factor: the dense baseline has no capacity to change");
    }
    if (family == Family.SOFT) {
      throw new IllegalArgumentException(
          "--capacity-factor: Soft MoE's slots are trained parameters "
              + "(Phi is D x E x C), so its capacity is fixed by training");
    }
    var router = m.router().toBuilder().optCapacityFactor(cf).build();
    VitConfig changed =
        new VitConfig(
            m.imageSize(),
            m.channels(),
            m.patchSize(),
            m.width(),
            m.depth(),
            m.heads(),
            m.mlpDim(),
            m.numClasses(),
            m.pooling(),
            m.moeLayers(),
            router,
            m.experts(),
            m.expertHidden(),
            m.groupImages());
    return new RunConfig(
        config.dataset(),
        config.dataDir(),
        config.variant(),
        changed,
        config.train(),
        config.mean(),
        config.std(),
        config.classNames());
  }

  /** Whether a router's capacity can be changed after training (the sparse routers). */
  public static boolean applies(Family family) {
    return family.sparse();
  }
}
