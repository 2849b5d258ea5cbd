package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The search order of {@link FashionMnist}, its download and its failure message, without network.
 */
class FashionMnistTest {

  @TempDir Path tmp;

  /** Marks {@code dir} as holding the four files (the search checks names only). */
  private static Path withFiles(Path dir, boolean gz) throws IOException {
    Files.createDirectories(dir);
    for (String name : IdxFormat.FILES) {
      Files.write(dir.resolve(name + (gz ? ".gz" : "")), new byte[] {0});
    }
    return dir;
  }

  private static String closedPortUrl() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    return "http://127.0.0.1:" + port + "/";
  }

  @Test
  void searchOrderIsOptionEnvironmentCacheSystem() throws IOException {
    Path home = tmp.resolve("home");
    Path option = withFiles(tmp.resolve("option"), true);
    Path env = withFiles(tmp.resolve("env"), false);
    Path cache = withFiles(home.resolve(".cache/vimoe/fashion-mnist"), true);
    Path system = withFiles(tmp.resolve("system"), true);
    FashionMnist f =
        new FashionMnist(home, Map.of("VIMOE_DATA", env.toString()), system, closedPortUrl(), 2000);
    assertEquals(
        List.of(
            option,
            option.resolve("fashion-mnist"),
            env,
            env.resolve("fashion-mnist"),
            cache,
            system),
        f.searchPath(option));

    assertEquals(option, f.find(option));
    assertEquals(env, f.find(null));
    DatasetException empty =
        assertThrows(
            DatasetException.class,
            () -> f.find(tmp.resolve("empty-option")),
            "a --data-dir without the files is an error, not a fall-through to the next place");
    assertTrue(
        empty
            .getMessage()
            .startsWith("--data-dir " + tmp.resolve("empty-option") + " is not a directory"),
        empty.getMessage());
    Files.createDirectories(tmp.resolve("empty-option"));
    DatasetException noFiles =
        assertThrows(DatasetException.class, () -> f.find(tmp.resolve("empty-option")));
    assertTrue(noFiles.getMessage().contains("does not hold Fashion-MNIST"), noFiles.getMessage());
    deleteAll(env);
    assertEquals(cache, f.find(null));
    Files.delete(cache.resolve("t10k-labels-idx1-ubyte.gz")); // three of four files is not enough
    assertEquals(system, f.find(null));
  }

  @Test
  void dataDirMayHoldAFashionMnistFolder() throws IOException {
    Path root = tmp.resolve("datasets");
    Path inner = withFiles(root.resolve("fashion-mnist"), false);
    FashionMnist f =
        new FashionMnist(
            tmp.resolve("home"),
            Map.of("VIMOE_DATA", root.toString()),
            tmp.resolve("no-system"),
            closedPortUrl(),
            2000);
    assertEquals(inner, f.find(null));
    assertEquals(inner, f.find(root));
  }

  @Test
  void failureMessageNamesTheThreeRemedies() throws IOException {
    Path home = tmp.resolve("home");
    FashionMnist f =
        new FashionMnist(home, Map.of(), tmp.resolve("no-system"), closedPortUrl(), 2000);
    DatasetException e = assertThrows(DatasetException.class, () -> f.find(null));
    String m = e.getMessage();
    assertTrue(m.contains("Fashion-MNIST was not found"), m);
    assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
    assertTrue(m.contains("--data-dir DIR") && m.contains("VIMOE_DATA"), m);
    assertTrue(m.contains("machine with internet access"), m);
    assertTrue(
        m.contains(f.cacheDir().toString()) && m.contains("no-system"),
        "names the places searched: " + m);
    assertEquals(1, m.lines().count(), "one line for the command line");
    try (Stream<Path> left = Files.list(f.cacheDir())) {
      assertEquals(List.of(), left.toList(), "no partial download is left behind");
    }
  }

  /** Serves {@code content(name)} at /name. */
  private static HttpServer serve(Function<String, byte[]> content) throws IOException {
    HttpServer server =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = content.apply(exchange.getRequestURI().getPath().substring(1));
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return server;
  }

  @Test
  void corruptDownloadFailsItsChecksumAndLeavesNothing() throws IOException {
    HttpServer server = serve(name -> Fixtures.gzip(Fixtures.idxLabels(new byte[] {1, 2, 3})));
    try {
      Path home = tmp.resolve("home");
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
      FashionMnist f = new FashionMnist(home, Map.of(), tmp.resolve("no-system"), url, 2000);
      DatasetException e = assertThrows(DatasetException.class, () -> f.find(null));
      assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
      assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
      try (Stream<Path> left = Files.list(f.cacheDir())) {
        assertEquals(List.of(), left.toList());
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void downloadsVerifiesAndCachesTheOfficialFiles() throws IOException {
    Path official = FashionMnist.SYSTEM_DIR;
    if (!IdxFormat.hasAllFiles(official)) {
      assertFalse(
          "true".equals(System.getenv("CI")),
          official + " is missing in CI: install dataset-fashion-mnist in .ci/run");
      Assumptions.assumeTrue(false, "the real files are not installed in " + official);
    }
    HttpServer server =
        serve(
            name -> {
              try {
                return Files.readAllBytes(official.resolve(name));
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    try {
      Path home = tmp.resolve("home");
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      FashionMnist f = new FashionMnist(home, Map.of(), tmp.resolve("no-system"), url, 10_000);
      Path dir = f.find(null);
      assertEquals(f.cacheDir(), dir);
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(
            List.of(
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz"),
            files.map(p -> p.getFileName().toString()).sorted().toList());
      }
      assertEquals(10_000, FashionMnist.read(dir).test().size());
    } finally {
      server.stop(0);
    }
  }

  private static void deleteAll(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
  }
}
