package vimoe.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A dataset file or directory that is missing or malformed. The message names the file, the problem
 * and what to do about it, on its first line.
 */
public class DatasetException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  /** An error about {@code file} (may be null when no single file is at fault). */
  public DatasetException(Path file, String message) {
    super(message);
    this.file = file;
  }

  /** An error about {@code file} caused by {@code cause}. */
  public DatasetException(Path file, String message, Throwable cause) {
    super(message, cause);
    this.file = file;
  }

  /** The file or directory at fault, or null. */
  public Path file() {
    return file;
  }
}
