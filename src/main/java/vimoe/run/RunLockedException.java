package vimoe.run;

import java.io.IOException;

/** Another process holds the lock of a run directory; the message names it and says what to do. */
public final class RunLockedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** An exception with the message shown to the user. */
  public RunLockedException(String message) {
    super(message);
  }
}
