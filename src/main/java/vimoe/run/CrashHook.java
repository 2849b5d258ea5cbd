package vimoe.run;

/**
 * A test-only way to die at a named point, as {@code kill -9} would: when the system property
 * {@value #PROPERTY} names the point reached, the JVM halts at once with status {@value #STATUS}
 * (no shutdown hooks, no finally blocks, no flushing). The crash test uses it to stop a real
 * training process between any two steps of a checkpoint save. Points: {@code step-T} after
 * training step T; {@code started} once a run directory is open, before training; {@code save-E-N}
 * at step N of the checkpoint save after epoch E (see {@link Checkpoint#save}); {@code result-1}
 * after the final evaluation, before the result is written. {@value #DIVERGE_PROPERTY} forces a
 * divergence instead, {@value #FAULT_PROPERTY} an internal fault; {@value #PAUSE_PROPERTY} slows
 * training down.
 */
public final class CrashHook {
  /** The system property naming the point to die at. */
  public static final String PROPERTY = "vimoe.test.crashAt";

  /**
   * The system property naming the training step after which a parameter is made NaN (a forced
   * divergence).
   */
  public static final String DIVERGE_PROPERTY = "vimoe.test.divergeAtStep";

  /**
   * The system property naming the training step after which the engine state is corrupted (a
   * forced internal fault). Read at each call, so that an in-process test can set it.
   */
  public static final String FAULT_PROPERTY = "vimoe.test.faultAtStep";

  /** The exit status of a crash by this hook. */
  public static final int STATUS = 97;

  private static final String POINT = System.getProperty(PROPERTY);
  private static final String DIVERGE = System.getProperty(DIVERGE_PROPERTY);

  /**
   * The system property giving a pause in milliseconds after every training step, so that a kill at
   * a random time lands in training on any machine.
   */
  public static final String PAUSE_PROPERTY = "vimoe.test.stepPauseMs";

  private static final long PAUSE = Long.getLong(PAUSE_PROPERTY, 0L);

  private CrashHook() {}

  /** Halts the JVM when {@code point} is the configured crash point; otherwise nothing. */
  public static void reached(String point) {
    if (POINT != null && POINT.equals(point)) {
      System.err.flush();
      Runtime.getRuntime().halt(STATUS);
    }
    if (PAUSE > 0 && point.startsWith("step-")) {
      try {
        Thread.sleep(PAUSE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether a test asked for any hook of a training step. */
  public static boolean active() {
    return POINT != null
        || DIVERGE != null
        || PAUSE > 0
        || System.getProperty(FAULT_PROPERTY) != null;
  }

  /** Whether the test asked for an internal fault after training step {@code step}. */
  public static boolean faultAt(int step) {
    return Integer.toString(step).equals(System.getProperty(FAULT_PROPERTY));
  }

  /** Whether the test asked the run to diverge after training step {@code step}. */
  public static boolean divergeAt(int step) {
    return DIVERGE != null && DIVERGE.equals(Integer.toString(step));
  }
}
