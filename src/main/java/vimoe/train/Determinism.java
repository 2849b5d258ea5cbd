package vimoe.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The deterministic mode of a run ({@code --deterministic}): PyTorch's CPU kernels run on one
 * intra-op thread while it is open. With several threads, reductions (matrix products, the
 * accumulating backward of gathers) split their sums by thread and the rounding differs from run to
 * run; on one thread every sum is taken in one order, so the same seed gives bit-identical
 * parameters. (DJL 0.36 binds no {@code torch.use_deterministic_algorithms}; that switch concerns
 * CUDA kernels, and on a GPU this mode guarantees nothing more than the seed does.)
 */
public final class Determinism implements AutoCloseable {
  private final int previousThreads;

  private Determinism(int previousThreads) {
    this.previousThreads = previousThreads;
  }

  /** Enters the mode when {@code on} (until {@link #close()}); otherwise changes nothing. */
  public static Determinism enter(boolean on) {
    if (!on) {
      return new Determinism(0);
    }
    Engine.getInstance(); // loads the native library before its thread count is set
    int previous = JniUtils.getNumThreads();
    JniUtils.setNumThreads(1);
    return new Determinism(previous);
  }

  /** Restores the thread count the mode replaced. */
  @Override
  public void close() {
    if (previousThreads > 0) {
      JniUtils.setNumThreads(previousThreads);
    }
  }
}
