package vimoe.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vimoe} command line: one thin picocli command per task, no logic of its own. */
@Command(
    name = "vimoe",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Vision Mixture-of-Experts: routers, MoE layers and their study.",
    subcommands = {
      TrainCommand.class,
      EvalCommand.class,
      PredictCommand.class,
      InfoCommand.class,
      BenchCommand.class,
      ReportCommand.class,
      StudyCommand.class,
      RoutersCommand.class,
      RouteCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Runs the tool and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the tool with the given arguments and returns the exit status (for tests). */
  public static int run(String... args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // the native library comes from a Maven jar
    }
    CommandLine cli =
        new CommandLine(new Main())
            .setExecutionExceptionHandler(Main::reportFailure)
            .setParameterExceptionHandler(Main::reportBadArguments);
    try {
      return cli.execute(args);
    } catch (OutOfMemoryError e) { // picocli passes Errors through
      PrintWriter err = cli.getErr();
      err.println(
          "vimoe: out of memory ("
              + e.getMessage()
              + "); give Java more with VIMOE_JAVA_OPTS=-Xmx16g, "
              + "or use smaller inputs");
      err.flush();
      return Errors.FAILURE;
    }
  }

  /**
   * A failure of a command: one line naming it ({@link Errors#line}); status 2 for bad input, 1 for
   * anything else (set VIMOE_DEBUG=1 for the stack trace).
   */
  private static int reportFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    err.println("vimoe " + cmd.getCommandName() + ": " + Errors.line(e));
    if (System.getenv("VIMOE_DEBUG") != null) {
      e.printStackTrace(err);
    }
    err.flush();
    return Errors.status(e);
  }

  /**
   * Arguments picocli cannot parse (unknown option, missing or badly typed value): one line with
   * the problem and where to look, status 2; the usage text only comes with --help.
   */
  private static int reportBadArguments(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    String name = cmd.getCommandSpec().qualifiedName(" ");
    String message = Errors.oneLine(e);
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      message +=
          " (did you mean "
              + String.join(
                  " or ", u.getSuggestions().subList(0, Math.min(3, u.getSuggestions().size())))
              + "?)";
    }
    PrintWriter err = cmd.getErr();
    err.println(name + ": " + message + "; see '" + name + " --help'");
    err.flush();
    return Errors.BAD_INPUT;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Reads the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"vimoe " + (v == null ? "(development build)" : v)};
    }
  }
}
