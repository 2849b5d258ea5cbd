package vimoe.cli;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Turns exceptions into the one line the command line prints, and into its exit status. */
final class Errors {
  /**
   * Exit status of bad input: an option, a file or a directory the user gave (picocli's usage
   * status).
   */
  static final int BAD_INPUT = 2;

  /** Exit status of an unexpected failure (a bug, or the machine ran out of something). */
  static final int FAILURE = 1;

  private Errors() {}

  /**
   * The exit status of a failure: {@link #BAD_INPUT} for what the user can fix (a bad value, a
   * missing, damaged or unwritable file), {@link #FAILURE} for the rest.
   */
  static int status(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException
          || t instanceof IOException
          || t instanceof UncheckedIOException) {
        return BAD_INPUT;
      }
    }
    return FAILURE;
  }

  /** The first line of the message of the innermost cause that has one. */
  static String oneLine(Throwable e) {
    String message = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = describe(t);
      if (m != null && !m.isBlank()) {
        message = m;
        if (!(t instanceof RuntimeException) || t.getCause() == null) {
          break;
        }
      }
    }
    if (message == null) {
      message = e.getClass().getSimpleName();
    }
    return message.lines().findFirst().orElse(message).strip();
  }

  /**
   * The message of one exception; the file-system exceptions of java.nio, whose message is only a
   * path, get the problem spelled out.
   */
  private static String describe(Throwable t) {
    if (t instanceof FileSystemException f
        && f.getFile() != null
        && f.getMessage() != null
        && f.getMessage().equals(f.getFile())) {
      String file = f.getFile();
      if (t instanceof NoSuchFileException) {
        return file + " does not exist (or a folder above it is missing); check the path";
      }
      if (t instanceof FileAlreadyExistsException) {
        return file
            + " already exists (as a file where a directory is needed, or the reverse); "
            + "choose another path or remove it";
      }
      if (t instanceof AccessDeniedException) {
        return file + ": permission denied; choose a path you can write, or fix its permissions";
      }
      if (t instanceof NotDirectoryException) {
        return file + " is not a directory; give a directory";
      }
      if (t instanceof DirectoryNotEmptyException) {
        return file + " is a directory that is not empty; choose another path";
      }
      return file + ": " + t.getClass().getSimpleName();
    }
    if (t instanceof EOFException && (t.getMessage() == null || t.getMessage().isBlank())) {
      return "a file ended before its end (truncated); write or download it again";
    }
    return t.getMessage();
  }
}
