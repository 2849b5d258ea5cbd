package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import vimoe.Mutations;

/**
 * Fuzzing of the {@code route} request parser: damaged copies of the example requests, and random
 * bytes. A request either parses or is refused with a {@link RouteRequest.BadRequest} of one line;
 * nothing else may escape.
 */
class RouteRequestFuzzTest {
  private static final List<String> EXAMPLES =
      List.of("examples/softmax-ec.json", "examples/soft.json", "examples/softmax-tc-k2.json");

  @Property(tries = 1500)
  void damagedRequestsParseOrAreRefusedInOneLine(
      @ForAll long seed, @ForAll @IntRange(max = 2) int example) throws IOException {
    byte[] request = Files.readAllBytes(Path.of(EXAMPLES.get(example)));
    parsesOrRefuses(Mutations.mutate(request, seed));
  }

  @Property(tries = 300)
  void randomBytesAreRefusedInOneLine(@ForAll @Size(max = 200) byte[] bytes) {
    parsesOrRefuses(bytes);
  }

  private static void parsesOrRefuses(byte[] bytes) {
    try {
      RouteRequest.parse(new ByteArrayInputStream(bytes));
    } catch (RouteRequest.BadRequest e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "a message");
      assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    } catch (Throwable t) {
      fail("only BadRequest may escape the route parser, got " + t, t);
    }
  }
}
