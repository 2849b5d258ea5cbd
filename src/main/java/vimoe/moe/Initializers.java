package vimoe.moe;

import ai.djl.training.initializer.Initializer;

/**
 * Parameter initialisers whose fans come from the last two axes, so stacked expert matrices work.
 */
public final class Initializers {
  private Initializers() {}

  /** Xavier (Glorot) uniform on each (fanIn, fanOut) matrix of the trailing two axes. */
  public static Initializer xavierUniform() {
    return (manager, shape, type) -> {
      long fanIn = shape.get(shape.dimension() - 2), fanOut = shape.get(shape.dimension() - 1);
      double a = Math.sqrt(6.0 / (fanIn + fanOut));
      return manager.randomUniform((float) -a, (float) a, shape, type);
    };
  }

  /** LeCun normal: N(0, 1/fanIn) with fanIn the first axis (D for a D x ... weight). */
  public static Initializer lecunNormal() {
    return (manager, shape, type) ->
        manager.randomNormal(
            0, (float) Math.sqrt(1.0 / shape.get(0)), shape, type, manager.getDevice());
  }
}
