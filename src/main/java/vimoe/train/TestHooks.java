package vimoe.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Optional;
import vimoe.model.VisionTransformer;
import vimoe.run.CrashHook;

/**
 * The {@link CrashHook}s that act on training, as a listener that a run adds only when a test asks
 * for one, so that the production loop holds no test code: after each step, a crash point or pause,
 * a forced divergence (a parameter made NaN, as a diverging update would) and a forced internal
 * fault (the optimizer handed a state that is not its own, as a bug would).
 */
final class TestHooks implements Trainer.Listener {
  private final VisionTransformer model;
  private final AdamW optimizer;
  private final NDManager manager;

  private TestHooks(VisionTransformer model, AdamW optimizer, NDManager manager) {
    this.model = model;
    this.optimizer = optimizer;
    this.manager = manager;
  }

  /** The hooks of a run, when a test asked for any ({@link CrashHook#active()}). */
  static Optional<Trainer.Listener> ifActive(
      VisionTransformer model, AdamW optimizer, NDManager manager) {
    return CrashHook.active()
        ? Optional.of(new TestHooks(model, optimizer, manager))
        : Optional.empty();
  }

  @Override
  public void onTrainingBatch(Trainer.Step s) {
    if (CrashHook.divergeAt(s.step())) {
      model.getParameters().valueAt(0).getArray().muli(Float.NaN);
    }
    if (CrashHook.faultAt(s.step())) {
      optimizer.decodeState(foreignState(), manager);
    }
    CrashHook.reached("step-" + s.step());
  }

  /** An encoded optimizer state of step 0 holding the moments of one scalar parameter. */
  private byte[] foreignState() {
    try (NDManager scratch = manager.newSubManager()) {
      byte[] moments = new NDList(scratch.zeros(new Shape()), scratch.zeros(new Shape())).encode();
      return ByteBuffer.allocate(4 + moments.length).putInt(0).put(moments).array();
    }
  }
}
