package vimoe.cli;

/**
 * The user's input is wrong: an option, a file's content or a request the user gave. The message
 * names it, the problem and the remedy; the command line exits with {@link Errors#BAD_INPUT}.
 * Commands raise it through {@link Errors#input}, around the steps that turn the user's options and
 * files into a configuration: an {@link IllegalArgumentException} there is the user's, one anywhere
 * else is a bug.
 */
final class BadInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** The user's error that {@code cause}, thrown while validating the input, describes. */
  BadInputException(IllegalArgumentException cause) {
    super(cause.getMessage(), cause);
  }
}
