package vimoe.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The MNIST IDX format (yann.lecun.com/exdb/mnist): big-endian header, then unsigned bytes. Images:
 * magic 0x00000803, dimensions N, H, W, then N*H*W pixels; labels: magic 0x00000801, N, then N
 * labels. Files may be gzipped or plain; gzip is recognised by its magic bytes 1f 8b, not by name.
 */
public final class IdxFormat {

  /** Magic number of an IDX file of unsigned bytes with 3 dimensions (images N, H, W). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an IDX file of unsigned bytes with 1 dimension (labels N). */
  public static final int LABELS_MAGIC = 0x00000801;

  /** The four files of an IDX directory, without the optional {@code .gz}. */
  public static final List<String> FILES =
      List.of(
          "train-images-idx3-ubyte",
          "train-labels-idx1-ubyte",
          "t10k-images-idx3-ubyte",
          "t10k-labels-idx1-ubyte");

  private static final int CHUNK = 1 << 20;

  private IdxFormat() {}

  /**
   * Reads one split.
   *
   * @param images the IDX images file (gzipped or plain)
   * @param labels the IDX labels file (gzipped or plain)
   * @param classNames the class names; every label must be below their count
   * @return Ch = 1, H and W from the images file
   * @throws DatasetException on a wrong magic number, a truncated file, a count mismatch or a label
   *     out of range; the message names the file
   */
  public static ImageSet read(Path images, Path labels, List<String> classNames)
      throws IOException {
    if (classNames.isEmpty()) {
      throw new IllegalArgumentException("at least one class name is required to read " + labels);
    }
    byte[] pixelBytes;
    int n;
    int h;
    int w;
    try (InputStream in = open(images)) {
      int[] header = header(in, images, IMAGES_MAGIC, 3, "images (N, H, W)");
      n = header[0];
      h = header[1];
      w = header[2];
      long pixels =
          (long) h
              * w; // at most 2^62: no overflow; the product with N is checked only when this is
      // small
      if (n < 0
          || h < 1
          || w < 1
          || pixels > Integer.MAX_VALUE
          || n * pixels > Integer.MAX_VALUE - 8) {
        throw new DatasetException(
            images,
            images
                + ": implausible IDX image dimensions N="
                + n
                + ", H="
                + h
                + ", W="
                + w
                + "; the file is corrupt or not an IDX image file");
      }
      pixelBytes = readFully(in, images, (int) (n * pixels), 16, n + " images of " + h + "x" + w);
    }
    byte[] labelBytes;
    try (InputStream in = open(labels)) {
      int count = header(in, labels, LABELS_MAGIC, 1, "labels (N)")[0];
      if (count < 0) {
        throw new DatasetException(
            labels, labels + ": negative label count " + count + "; the file is corrupt");
      }
      if (count != n) {
        throw new DatasetException(
            labels,
            "label/image count mismatch: "
                + labels
                + " has "
                + count
                + " labels but "
                + images
                + " has "
                + n
                + " images; use the labels file of the same split");
      }
      labelBytes = readFully(in, labels, count, 8, count + " labels");
    }
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = labelBytes[i] & 0xff;
      if (y[i] >= classNames.size()) {
        throw new DatasetException(
            labels,
            labels
                + ": label "
                + y[i]
                + " at index "
                + i
                + " is out of range: the dataset has "
                + classNames.size()
                + " classes (0.."
                + (classNames.size() - 1)
                + "); list every class name, one per line, in classes.txt");
      }
    }
    return ImageSet.wrap(stem(images), 1, h, w, pixelBytes, y, classNames);
  }

  /**
   * Reads the four files of an IDX directory (each plain or {@code .gz}; the dotted spelling {@code
   * train-images.idx3-ubyte} is accepted too).
   *
   * @param dir the directory
   * @param classNames the class names
   * @throws DatasetException naming the first missing file, or any error of {@link #read}
   */
  public static TrainTest readDirectory(Path dir, List<String> classNames) throws IOException {
    requireDirectory(dir);
    Path trainImages = find(dir, FILES.get(0));
    Path trainLabels = find(dir, FILES.get(1));
    Path testImages = find(dir, FILES.get(2));
    Path testLabels = find(dir, FILES.get(3));
    String name =
        dir.toAbsolutePath().normalize().getFileName() == null
            ? "idx"
            : dir.toAbsolutePath().normalize().getFileName().toString();
    return new TrainTest(
        read(trainImages, trainLabels, classNames).withName(name + "/train"),
        read(testImages, testLabels, classNames).withName(name + "/test"));
  }

  /**
   * Reads an IDX directory with the class names of {@link #classNames(Path)}.
   *
   * @param dir the directory
   */
  public static TrainTest readDirectory(Path dir) throws IOException {
    requireDirectory(dir);
    return readDirectory(dir, classNames(dir));
  }

  /**
   * The shape of an IDX directory from the header of its training images and its class names.
   *
   * @param dir the directory
   * @throws DatasetException naming a missing file or a malformed header
   */
  static Datasets.Shape shape(Path dir) throws IOException {
    requireDirectory(dir);
    Path images = find(dir, FILES.get(0));
    int[] header;
    try (InputStream in = open(images)) {
      header = header(in, images, IMAGES_MAGIC, 3, "images (N, H, W)");
    }
    if (header[0] < 0 || header[1] < 1 || header[2] < 1) {
      throw new DatasetException(
          images,
          images
              + ": implausible IDX image dimensions N="
              + header[0]
              + ", H="
              + header[1]
              + ", W="
              + header[2]
              + "; the file is corrupt or not an IDX image file");
    }
    return new Datasets.Shape(1, header[1], header[2], classNames(dir).size(), header[0]);
  }

  /**
   * The class names of a generic IDX directory: the lines of {@code classes.txt} in it (one name
   * per line, trailing blank lines ignored), else "0".."9".
   *
   * @param dir the directory
   */
  public static List<String> classNames(Path dir) throws IOException {
    Path file = dir.resolve("classes.txt");
    if (!Files.isRegularFile(file)) {
      List<String> digits = new ArrayList<>();
      for (int d = 0; d < 10; d++) {
        digits.add(Integer.toString(d));
      }
      return List.copyOf(digits);
    }
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    List<String> names = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String name = lines.get(i).strip();
      if (name.isEmpty()) {
        throw new DatasetException(
            file,
            file
                + ": line "
                + (i + 1)
                + " is blank; write one class name per line, in label order");
      }
      names.add(name);
    }
    if (names.isEmpty()) {
      throw new DatasetException(
          file, file + " is empty; write one class name per line, in label order");
    }
    return List.copyOf(names);
  }

  /** The plain or gzipped file of that base name in {@code dir}. */
  static Path find(Path dir, String base) throws DatasetException {
    String dotted = base.replaceFirst("-(idx[13]-ubyte)$", ".$1");
    for (String candidate : List.of(base, base + ".gz", dotted, dotted + ".gz")) {
      Path file = dir.resolve(candidate);
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new DatasetException(
        dir.resolve(base),
        dir
            + " has no "
            + base
            + "[.gz]; an IDX directory holds "
            + String.join(", ", FILES)
            + " (each plain or .gz)");
  }

  /** Whether {@code dir} holds all four files (plain or gzipped). */
  static boolean hasAllFiles(Path dir) {
    try {
      for (String base : FILES) {
        find(dir, base);
      }
      return true;
    } catch (DatasetException e) {
      return false;
    }
  }

  /** The file's stream, gunzipped if it starts with the gzip magic bytes 1f 8b. */
  static InputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new DatasetException(file, file + " does not exist or is not a file");
    }
    InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      in.mark(2);
      int b0 = in.read();
      int b1 = in.read();
      in.reset();
      if (b0 == 0x1f && b1 == 0x8b) {
        return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      }
      return in;
    } catch (IOException e) {
      in.close();
      throw new DatasetException(
          file, file + " is not a valid gzip file (" + e.getMessage() + "); download it again", e);
    }
  }

  /** Checks the magic number and returns the {@code dims} dimensions. */
  private static int[] header(InputStream in, Path file, int magic, int dims, String what)
      throws IOException {
    byte[] bytes = new byte[4 + 4 * dims];
    int got = readAtMost(in, file, bytes, 0, bytes.length);
    if (got >= 4 && readInt(bytes, 0) != magic) {
      throw new DatasetException(
          file,
          String.format(
              "%s: wrong magic number 0x%08X, expected 0x%08X (IDX %s); is it the right file (images and "
                  + "labels swapped, or not an IDX file)?",
              file, readInt(bytes, 0), magic, what));
    }
    if (got < bytes.length) {
      throw new DatasetException(
          file,
          file
              + " is truncated: expected at least "
              + bytes.length
              + " bytes of IDX header, found "
              + got
              + " bytes; download it again");
    }
    int[] result = new int[dims];
    for (int d = 0; d < dims; d++) {
      result[d] = readInt(bytes, 4 + 4 * d);
    }
    return result;
  }

  /**
   * Reads exactly {@code length} bytes after a header of headerBytes, and nothing more. The array
   * grows as the data arrives, so a damaged header announcing gigabytes costs only what the file
   * holds.
   */
  private static byte[] readFully(
      InputStream in, Path file, int length, int headerBytes, String what) throws IOException {
    byte[] data = new byte[Math.min(length, CHUNK)];
    int got = 0;
    while (true) {
      got += readAtMost(in, file, data, got, data.length - got);
      if (got < data.length || data.length == length) {
        break; // the end of the stream, or all of it
      }
      data = java.util.Arrays.copyOf(data, (int) Math.min(length, 2L * data.length));
    }
    if (got < length) {
      throw new DatasetException(
          file,
          file
              + " is truncated: expected "
              + (headerBytes + (long) length)
              + " bytes ("
              + what
              + "), found "
              + (headerBytes + (long) got)
              + " bytes; download it again");
    }
    long extra = 0;
    try {
      byte[] buffer = new byte[8192];
      for (int r; (r = in.read(buffer)) > 0; ) { // a gzip stream ending early shows here too
        extra += r;
      }
    } catch (EOFException | ZipException e) {
      throw new DatasetException(
          file,
          file + " is corrupt after its " + what + " (" + e.getMessage() + "); download it again",
          e);
    }
    if (extra > 0) {
      throw new DatasetException(
          file,
          file
              + " has "
              + extra
              + " bytes after the "
              + (headerBytes + (long) length)
              + " its header announces ("
              + what
              + "); the file is corrupt or its header is wrong");
    }
    return data;
  }

  /** Reads up to len bytes; a gzip stream that ends early counts as the end of the data. */
  private static int readAtMost(InputStream in, Path file, byte[] b, int off, int len)
      throws IOException {
    int total = 0;
    try {
      while (total < len) {
        int r = in.read(b, off + total, Math.min(CHUNK, len - total));
        if (r < 0) {
          break;
        }
        total += r;
      }
    } catch (EOFException e) {
      return total; // "Unexpected end of ZLIB input stream": a truncated .gz
    } catch (ZipException e) {
      throw new DatasetException(
          file, file + " is a corrupt gzip file (" + e.getMessage() + "); download it again", e);
    }
    return total;
  }

  private static int readInt(byte[] b, int off) {
    return (b[off] & 0xff) << 24
        | (b[off + 1] & 0xff) << 16
        | (b[off + 2] & 0xff) << 8
        | (b[off + 3] & 0xff);
  }

  private static void requireDirectory(Path dir) throws DatasetException {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          dir,
          dir
              + " is not a directory; an IDX directory holds "
              + String.join(", ", FILES)
              + " (each plain or .gz)");
    }
  }

  private static String stem(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
  }
}
