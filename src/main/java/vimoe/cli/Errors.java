package vimoe.cli;

/** Turns exceptions into the one line the command line prints. */
final class Errors {
    private Errors() {}

    /** The first line of the message of the innermost cause that has one. */
    static String oneLine(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
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
}
