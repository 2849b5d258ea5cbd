package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The Sinkhorn plan of L~ as the score (S-BASE, arXiv 2202.01169), with eps and T from the spec;
 * the three forms are {@link Sinkhorn#plan}, {@link Sinkhorn#planGroups} and {@link
 * Sinkhorn#plans}.
 *
 * <p>On the host the Java-array solver runs group by group in parallel: its tensor program spends
 * two engine calls per iteration on small (G, S, E) tensors (on 2 cores, micro, one MoE layer's
 * forward pass took 20 ms against 5 ms).
 */
final class SinkhornScore extends SelectionScore {

  @Override
  public String id() {
    return "sinkhorn";
  }

  @Override
  public boolean computed() {
    return true;
  }

  @Override
  public boolean noisy() {
    return true;
  }

  @Override
  double[][] reference(double[][] gates, double[][] logits, RouterSpec spec, int capacity) {
    return Sinkhorn.plan(logits, spec.sinkhornEpsilon(), spec.sinkhornIterations());
  }

  @Override
  double[] onHost(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    double[] read = HostSelection.read(logits);
    if (read == null) {
      return null;
    }
    Shape shape = logits.getShape();
    return Sinkhorn.planGroups(
        read,
        (int) shape.get(0),
        (int) shape.get(1),
        (int) shape.get(2),
        spec.sinkhornEpsilon(),
        spec.sinkhornIterations());
  }

  @Override
  NDArray onDevice(NDArray gates, NDArray logits, RouterSpec spec, int capacity) {
    return Sinkhorn.plans(logits, spec.sinkhornEpsilon(), spec.sinkhornIterations());
  }
}
