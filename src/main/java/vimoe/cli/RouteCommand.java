package vimoe.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import vimoe.moe.routing.RouteRequest;

/** {@code vimoe route}: the plan of one group as JSON (ROUTING.md, "route"). */
@Command(name = "route", mixinStandardHelpOptions = true,
        description = {"Print the dispatch and combine plan of one group of tokens as JSON.",
            "",
            "The request, a JSON object with \"router\", \"logits\" and optional \"options\" "
                + "(see ROUTING.md), is read from --input or standard input. A malformed request exits "
                + "with status 2 and one line on standard error."})
final class RouteCommand implements Callable<Integer> {

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "The request file (default: standard input).")
    Path input;

    @Option(names = "--pretty", description = "Indent the JSON response.")
    boolean pretty;

    @Override
    public Integer call() throws IOException {
        String text;
        try {
            text = input == null ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(input, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.err.println("vimoe route: cannot read " + (input == null ? "standard input" : input) + ": "
                    + Errors.oneLine(e));
            return 2;
        }
        RouteRequest request;
        try {
            request = RouteRequest.parse(text);
        } catch (RouteRequest.BadRequest e) {
            System.err.println("vimoe route: " + e.getMessage());
            return 2;
        }
        ObjectMapper json = new ObjectMapper();
        var writer = pretty ? json.writerWithDefaultPrettyPrinter() : json.writer();
        System.out.println(writer.writeValueAsString(request.answer()));
        return 0;
    }
}
