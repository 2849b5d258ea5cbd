package vimoe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import vimoe.cli.Main;

/**
 * Every {@code ./vimoe ...} command line README.md shows parses with the real command tree (parse
 * only, nothing runs), so that renaming a command or an option without updating README breaks the
 * build.
 */
class ReadmeCommandsTest {
  /** Where a shell command line ends for our purpose: a comment, a pipe, a redirection, a list. */
  private static final Set<String> ENDS = Set.of("#", "|", ">", "<", "&&", "||", ";", "&");

  @Test
  void everyReadmeCommandParses() throws Exception {
    List<List<String>> commands = commands(Files.readString(Path.of("README.md")));
    assertTrue(
        commands.size() >= 15, "README shows many ./vimoe commands; found " + commands.size());
    List<String> failures = new ArrayList<>();
    for (List<String> args : commands) {
      try {
        new CommandLine(new Main()).parseArgs(onThisMachine(args).toArray(String[]::new));
      } catch (CommandLine.ParameterException e) {
        failures.add("./vimoe " + String.join(" ", args) + ": " + e.getMessage());
      }
    }
    assertEquals(List.of(), failures, "README commands the command line refuses");
  }

  /**
   * {@code --device gpu[:N]} as {@code --device cpu}: the option checks that this machine has the
   * GPU, which says nothing of README's syntax; the name's form is still checked.
   */
  private static List<String> onThisMachine(List<String> args) {
    List<String> out = new ArrayList<>(args);
    for (int i = 0; i + 1 < out.size(); i++) {
      if (out.get(i).equals("--device") && out.get(i + 1).matches("gpu(:\\d+)?")) {
        out.set(i + 1, "cpu");
      }
    }
    return out;
  }

  @Test
  void aRenamedOptionIsCaught() {
    List<List<String>> commands = commands("```bash\n./vimoe train --epoch 1   # typo\n```\n");
    assertEquals(List.of(List.of("train", "--epoch", "1")), commands);
    assertThrows(
        CommandLine.ParameterException.class,
        () -> new CommandLine(new Main()).parseArgs(commands.get(0).toArray(String[]::new)));
  }

  /**
   * The arguments of every {@code ./vimoe} command in the Markdown's code blocks and inline code,
   * split as the shell would split them (quotes, no expansion), up to the end of the command.
   */
  static List<List<String>> commands(String markdown) {
    List<String> snippets = new ArrayList<>();
    Matcher fence = Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```").matcher(markdown);
    while (fence.find()) {
      snippets.addAll(fence.group(1).lines().toList());
    }
    Matcher inline =
        Pattern.compile("`([^`\\n]+)`").matcher(markdown.replaceAll("(?ms)^```.*?^```", ""));
    while (inline.find()) {
      snippets.add(inline.group(1));
    }
    List<List<String>> commands = new ArrayList<>();
    for (String snippet : snippets) {
      int at = snippet.indexOf("./vimoe");
      while (at >= 0) {
        int end = at + "./vimoe".length();
        if (end == snippet.length() || snippet.charAt(end) == ' ') {
          commands.add(words(snippet.substring(end)));
        }
        at = snippet.indexOf("./vimoe", end);
      }
    }
    return commands;
  }

  /** Shell words up to the first unquoted comment, pipe, redirection or list operator. */
  private static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
      if (!inWord && !words.isEmpty() && ENDS.contains(words.get(words.size() - 1))) {
        words.remove(words.size() - 1);
        return words;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    if (!words.isEmpty() && ENDS.contains(words.get(words.size() - 1))) {
      words.remove(words.size() - 1);
    }
    return words;
  }
}
