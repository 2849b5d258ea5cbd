package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every line of help text formats as picocli formats it (a lone '%' makes picocli print a warning
 * to stderr on every {@code --help} and fall back to the raw text), and every command answers
 * {@code --help} with its usage.
 */
class HelpTextTest {

  @Test
  void everyHelpLineFormats() {
    List<String> bad = new ArrayList<>();
    int lines = walk(new CommandLine(new Main()), bad);
    assertTrue(lines > 50, "the walk must see the options' descriptions; it saw " + lines);
    assertEquals(List.of(), bad, "help lines that do not format (write %% for a percent sign)");
  }

  /**
   * Checks the raw annotation text (picocli's model answers it already formatted) of a command, its
   * mixins and subcommands.
   */
  private static int walk(CommandLine cli, List<String> bad) {
    CommandSpec spec = cli.getCommandSpec();
    List<Object> owners = new ArrayList<>(List.of(spec.userObject()));
    spec.mixins().values().forEach(m -> owners.add(m.userObject()));
    List<String> text = new ArrayList<>();
    for (Object owner : owners) {
      for (Class<?> c = owner.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        CommandLine.Command command = c.getAnnotation(CommandLine.Command.class);
        if (command != null) {
          text.addAll(List.of(command.description()));
        }
        for (Field f : c.getDeclaredFields()) {
          CommandLine.Option option = f.getAnnotation(CommandLine.Option.class);
          CommandLine.Parameters parameters = f.getAnnotation(CommandLine.Parameters.class);
          if (option != null) {
            text.addAll(List.of(option.description()));
          }
          if (parameters != null) {
            text.addAll(List.of(parameters.description()));
          }
        }
      }
    }
    for (String line : text) {
      try {
        String unused = String.format(line); // throws on a stray '%', as picocli would
      } catch (IllegalFormatException e) {
        bad.add(spec.qualifiedName() + ": " + line);
      }
    }
    int seen = text.size();
    for (CommandLine sub : cli.getSubcommands().values()) {
      seen += walk(sub, bad);
    }
    return seen;
  }

  @Test
  void everyCommandAnswersHelp() {
    for (String command : new CommandLine(new Main()).getSubcommands().keySet()) {
      if (command.equals("help")) {
        continue;
      }
      CliRunner.Result r = CliRunner.run("", command, "--help");
      assertEquals(0, r.status(), command);
      assertTrue(r.out().startsWith("Usage: vimoe " + command), command + ": " + r.out());
    }
  }
}
