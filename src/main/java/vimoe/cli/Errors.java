package vimoe.cli;

import ai.djl.TrainingDivergedException;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;

/** Turns exceptions into the one line the command line prints, and into its exit status. */
final class Errors {
  /**
   * Exit status of bad input: an option, a file or a directory the user gave (picocli's usage
   * status).
   */
  static final int BAD_INPUT = 2;

  /** Exit status of a failure: a diverged run, a bug, or the machine ran out of something. */
  static final int FAILURE = 1;

  /** A step of a command that validates or reads the user's input. */
  @FunctionalInterface
  interface InputStep<T> {
    /** Runs the step. */
    T run() throws IOException;
  }

  /** A check of the user's input. */
  @FunctionalInterface
  interface InputCheck {
    /** Runs the check. */
    void run() throws IOException;
  }

  private Errors() {}

  /** As {@link #input}, for a check that returns nothing. */
  static void check(InputCheck check) throws IOException {
    input(
        () -> {
          check.run();
          return null;
        });
  }

  /**
   * Runs a step that turns the user's options and files into a configuration: an {@link
   * IllegalArgumentException} it throws is the user's, and becomes a {@link BadInputException}.
   */
  static <T> T input(InputStep<T> step) throws IOException {
    try {
      return step.run();
    } catch (BadInputException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new BadInputException(e);
    }
  }

  /**
   * The exit status of a failure: {@link #BAD_INPUT} for what the user can fix (bad input, {@link
   * #input}; a missing, damaged, locked or unwritable file: every file vimoe reads or writes is one
   * the user named), {@link #FAILURE} for the rest.
   */
  static int status(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadInputException
          || t instanceof CommandLine.ParameterException
          || t instanceof IOException
          || t instanceof UncheckedIOException) {
        return BAD_INPUT;
      }
    }
    return FAILURE;
  }

  /**
   * The line a failure prints after the command's name: its message; a failure that is neither the
   * user's nor an expected outcome (a diverged run) says that it is an internal error and how to
   * see its stack trace.
   */
  static String line(Throwable e) {
    if (status(e) == BAD_INPUT || expected(e)) {
      return oneLine(e);
    }
    return "internal error (a bug in vimoe): "
        + oneLine(e)
        + "; run again with VIMOE_DEBUG=1 to print the stack trace";
  }

  /** Whether {@code e} is a failure training can end in: a run that diverged. */
  private static boolean expected(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TrainingDivergedException) {
        return true;
      }
    }
    return false;
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
