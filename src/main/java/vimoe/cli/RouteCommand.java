package vimoe.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vimoe.moe.routing.RouteRequest;

/** {@code vimoe route}: the plan of one group as JSON (docs/routing.md, "route"). */
@Command(
    name = "route",
    mixinStandardHelpOptions = true,
    description = {
      "Print the dispatch and combine plan of one group of tokens as JSON.",
      "",
      "The request, a JSON object with \"router\", \"logits\" and optional \"options\" "
          + "(see docs/routing.md), is read from --input or standard input. A malformed request exits "
          + "with status 2 and one line on standard error, as does one above the limits: 1,000,000 "
          + "logits, 134,217,728 (2^27) entries S*E*C per answer tensor, 128 MiB of JSON."
    })
final class RouteCommand implements Callable<Integer> {

  @Option(
      names = {"-i", "--input"},
      paramLabel = "FILE",
      description = "The request file (default: standard input).")
  Path input;

  @Option(names = "--pretty", description = "Indent the JSON response.")
  boolean pretty;

  @Override
  public Integer call() throws IOException {
    RouteRequest request;
    String source = input == null ? "standard input" : input.toString();
    try (InputStream in = input == null ? System.in : Files.newInputStream(input)) {
      request = RouteRequest.parse(in);
    } catch (RouteRequest.BadRequest e) {
      System.err.println("vimoe route: " + e.getMessage());
      return 2;
    } catch (IOException e) {
      System.err.println("vimoe route: cannot read " + source + ": " + Errors.oneLine(e));
      return 2;
    }
    OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
    request.writeAnswer(out, pretty);
    out.flush();
    return 0;
  }
}
