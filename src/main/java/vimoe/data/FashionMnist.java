package vimoe.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fashion-MNIST (Xiao et al. 2017, arXiv 1708.07747), the default dataset: 60,000 training and
 * 10,000 test images of 28 x 28 grey pixels, ten classes of clothing, in the IDX format.
 *
 * <p>{@link #locate(Path)} takes the four files (plain or gzipped) from the {@code --data-dir}
 * option when it is given (or its {@code fashion-mnist} sub-folder), and refuses an option that
 * lacks them. Without the option it looks in order in {@code $VIMOE_DATA} (also with a {@code
 * fashion-mnist} sub-folder), {@code ~/.cache/vimoe/fashion-mnist}, {@code
 * /usr/share/datasets/fashion-mnist} (Debian's {@code dataset-fashion-mnist}). If none has them, it
 * downloads the official files into the cache, verifying the SHA-256 of their uncompressed content.
 */
public final class FashionMnist {

  /** The class names, index = label. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  /** Where the official files are downloaded from ({@code <name>.gz}). */
  public static final String BASE_URL =
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

  /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
  public static final Path SYSTEM_DIR = Path.of("/usr/share/datasets/fashion-mnist");

  /** The environment variable naming a data directory. */
  public static final String ENV_VAR = "VIMOE_DATA";

  /**
   * SHA-256 and length of the uncompressed official files (gzip recompression changes only the
   * .gz).
   */
  static final Map<String, Digest> DIGESTS =
      Map.of(
          "train-images-idx3-ubyte",
          new Digest(
              "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 47_040_016L),
          "train-labels-idx1-ubyte",
          new Digest("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 60_008L),
          "t10k-images-idx3-ubyte",
          new Digest(
              "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 7_840_016L),
          "t10k-labels-idx1-ubyte",
          new Digest("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 10_008L));

  /** Expected SHA-256 (hex) and length of an uncompressed file. */
  record Digest(String sha256, long bytes) {}

  private static final Logger LOG = LoggerFactory.getLogger(FashionMnist.class);
  private static final int TIMEOUT_MILLIS = 10_000;

  private final Path home;
  private final Map<String, String> env;
  private final Path systemDir;
  private final String baseUrl;
  private final int timeoutMillis;

  /** A locator with injected home, environment, system directory and download URL (tests). */
  FashionMnist(
      Path home, Map<String, String> env, Path systemDir, String baseUrl, int timeoutMillis) {
    this.home = Objects.requireNonNull(home, "home");
    this.env = Map.copyOf(env);
    this.systemDir = Objects.requireNonNull(systemDir, "systemDir");
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    this.timeoutMillis = timeoutMillis;
  }

  private static FashionMnist system() {
    return new FashionMnist(
        Path.of(System.getProperty("user.home")),
        System.getenv(),
        SYSTEM_DIR,
        BASE_URL,
        TIMEOUT_MILLIS);
  }

  /**
   * The directory holding the four Fashion-MNIST files, downloading them into the cache if no
   * location has them.
   *
   * @param dataDirOption the {@code --data-dir} option, or null; when given, it (or its {@code
   *     fashion-mnist} sub-folder) must hold the four files
   * @throws DatasetException if {@code --data-dir} lacks the files, or if the data is nowhere and
   *     cannot be downloaded; the message names the three remedies (apt-get install
   *     dataset-fashion-mnist, --data-dir or VIMOE_DATA, a machine with internet access)
   */
  public static Path locate(Path dataDirOption) throws IOException {
    return system().find(dataDirOption);
  }

  /**
   * Locates and reads Fashion-MNIST.
   *
   * @param dataDirOption the {@code --data-dir} option, or null
   * @return "fashion-mnist/train" (60,000 images) and "fashion-mnist/test" (10,000), 1 x 28 x 28
   */
  public static TrainTest load(Path dataDirOption) throws IOException {
    return read(locate(dataDirOption));
  }

  /** Reads the four files of {@code dir} with the Fashion-MNIST class names. */
  static TrainTest read(Path dir) throws IOException {
    TrainTest t = IdxFormat.readDirectory(dir, CLASS_NAMES);
    return new TrainTest(
        t.train().withName("fashion-mnist/train"), t.test().withName("fashion-mnist/test"));
  }

  /** The locations searched, in order (existing or not). */
  List<Path> searchPath(Path dataDirOption) {
    List<Path> dirs = new ArrayList<>();
    if (dataDirOption != null) {
      dirs.add(dataDirOption);
      dirs.add(dataDirOption.resolve("fashion-mnist"));
    }
    String fromEnv = env.get(ENV_VAR);
    if (fromEnv != null && !fromEnv.isBlank()) {
      dirs.add(Path.of(fromEnv));
      dirs.add(Path.of(fromEnv).resolve("fashion-mnist"));
    }
    dirs.add(cacheDir());
    dirs.add(systemDir);
    return dirs;
  }

  /** The download cache, {@code ~/.cache/vimoe/fashion-mnist}. */
  Path cacheDir() {
    return home.resolve(".cache").resolve("vimoe").resolve("fashion-mnist");
  }

  /** The first location holding the four files, or the cache after a verified download. */
  Path find(Path dataDirOption) throws DatasetException {
    if (dataDirOption
        != null) { // a directory the user named must hold the data: no silent fallback
      for (Path dir : List.of(dataDirOption, dataDirOption.resolve("fashion-mnist"))) {
        if (Files.isDirectory(dir) && IdxFormat.hasAllFiles(dir)) {
          return dir;
        }
      }
      throw new DatasetException(
          dataDirOption,
          "--data-dir "
              + dataDirOption
              + (Files.isDirectory(dataDirOption)
                  ? " does not hold Fashion-MNIST ("
                      + String.join(", ", IdxFormat.FILES)
                      + ", plain or .gz, in it "
                      + "or in its fashion-mnist/ folder)"
                  : " is not a directory")
              + "; point it at the folder of those files, or leave --data-dir out "
              + "to use $"
              + ENV_VAR
              + ", "
              + cacheDir()
              + " or "
              + systemDir);
    }
    List<Path> searched = searchPath(dataDirOption);
    for (Path dir : searched) {
      if (Files.isDirectory(dir) && IdxFormat.hasAllFiles(dir)) {
        return dir;
      }
    }
    LOG.warn(
        "Fashion-MNIST not found in {}; downloading it from {} into {}",
        searched,
        baseUrl,
        cacheDir());
    try {
      download();
      return cacheDir();
    } catch (IOException | RuntimeException e) {
      throw new DatasetException(
          cacheDir(),
          "Fashion-MNIST was not found (looked in "
              + searched
              + " for "
              + String.join(", ", IdxFormat.FILES)
              + ", plain or .gz) and downloading it from "
              + baseUrl
              + " failed ("
              + e
              + "). Remedies: (1) `apt-get install dataset-fashion-mnist` "
              + "(installs it in "
              + SYSTEM_DIR
              + "); (2) --data-dir DIR (or VIMOE_DATA=DIR) with DIR "
              + "holding the four files; (3) run once on a machine with internet access (the files are "
              + "cached in "
              + cacheDir()
              + ", which you may copy).",
          e);
    }
  }

  /** Downloads the files the cache lacks, each verified before it takes its final name. */
  void download() throws IOException {
    Path cache = cacheDir();
    Files.createDirectories(cache);
    for (String name : IdxFormat.FILES) {
      try {
        IdxFormat.find(cache, name);
        continue; // present: it was verified when downloaded
      } catch (DatasetException absent) {
        // download it below
      }
      Path target = cache.resolve(name + ".gz");
      Path partial = Files.createTempFile(cache, name + ".gz.", ".part");
      try {
        fetch(URI.create(baseUrl + name + ".gz").toURL(), partial);
        verify(partial, DIGESTS.get(name), baseUrl + name + ".gz");
        try {
          Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(partial);
      }
    }
  }

  private void fetch(URL url, Path to) throws IOException {
    HttpURLConnection connection = (HttpURLConnection) url.openConnection();
    connection.setConnectTimeout(timeoutMillis);
    connection.setReadTimeout(timeoutMillis);
    try {
      int status = connection.getResponseCode();
      if (status != HttpURLConnection.HTTP_OK) {
        throw new IOException(url + " answered HTTP " + status);
      }
      try (InputStream in = connection.getInputStream()) {
        Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      connection.disconnect();
    }
  }

  /** Checks length and SHA-256 of the uncompressed content of {@code file}. */
  static void verify(Path file, Digest expected, String source) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java has no SHA-256", e);
    }
    long bytes = 0;
    try (InputStream in = IdxFormat.open(file)) {
      byte[] buffer = new byte[1 << 16];
      for (int r; (r = in.read(buffer)) > 0; ) {
        sha.update(buffer, 0, r);
        bytes += r;
      }
    }
    String actual = HexFormat.of().formatHex(sha.digest());
    if (bytes != expected.bytes() || !actual.equals(expected.sha256())) {
      throw new DatasetException(
          file,
          "the file downloaded from "
              + source
              + " has "
              + bytes
              + " bytes with SHA-256 "
              + actual
              + " once uncompressed, expected "
              + expected.bytes()
              + " bytes with SHA-256 "
              + expected.sha256()
              + "; the download is corrupt or not Fashion-MNIST");
    }
  }
}
