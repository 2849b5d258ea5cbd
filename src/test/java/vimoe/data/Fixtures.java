package vimoe.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;

/**
 * Small dataset files written by the tests into temporary directories (no binary fixtures in git).
 */
final class Fixtures {
  private Fixtures() {}

  /** IDX images: magic 0x803, N, H, W, then the pixels. */
  static byte[] idxImages(int n, int h, int w, byte[] pixels) {
    return ByteBuffer.allocate(16 + pixels.length)
        .putInt(IdxFormat.IMAGES_MAGIC)
        .putInt(n)
        .putInt(h)
        .putInt(w)
        .put(pixels)
        .array();
  }

  /** IDX labels: magic 0x801, N, then the labels. */
  static byte[] idxLabels(byte[] labels) {
    return ByteBuffer.allocate(8 + labels.length)
        .putInt(IdxFormat.LABELS_MAGIC)
        .putInt(labels.length)
        .put(labels)
        .array();
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Pixels n x h x w where pixel (i, y, x) = (i * 37 + y * w + x) mod 256. */
  static byte[] pattern(int n, int h, int w) {
    byte[] p = new byte[n * h * w];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < h * w; k++) {
        p[i * h * w + k] = (byte) (i * 37 + k);
      }
    }
    return p;
  }

  /**
   * Writes an IDX directory: train has nTrain images, test nTest, H = 3, W = 4, labels i % classes.
   */
  static void idxDirectory(Path dir, int nTrain, int nTest, int classes, boolean gzipTrain)
      throws IOException {
    Files.createDirectories(dir);
    write(
        dir.resolve("train-images-idx3-ubyte" + (gzipTrain ? ".gz" : "")),
        maybeGzip(idxImages(nTrain, 3, 4, pattern(nTrain, 3, 4)), gzipTrain));
    write(
        dir.resolve("train-labels-idx1-ubyte" + (gzipTrain ? ".gz" : "")),
        maybeGzip(idxLabels(labels(nTrain, classes)), gzipTrain));
    write(dir.resolve("t10k-images-idx3-ubyte"), idxImages(nTest, 3, 4, pattern(nTest, 3, 4)));
    write(dir.resolve("t10k-labels-idx1-ubyte"), idxLabels(labels(nTest, classes)));
  }

  static byte[] labels(int n, int classes) {
    byte[] l = new byte[n];
    for (int i = 0; i < n; i++) {
      l[i] = (byte) (i % classes);
    }
    return l;
  }

  private static byte[] maybeGzip(byte[] data, boolean gz) {
    return gz ? gzip(data) : data;
  }

  /**
   * One CIFAR-10 binary record per label: label byte, then 3072 bytes where byte k = (r * 7 + k)
   * mod 256.
   */
  static byte[] cifarRecords(int firstRecord, int... labels) {
    ByteBuffer b = ByteBuffer.allocate(labels.length * 3073);
    for (int r = 0; r < labels.length; r++) {
      b.put((byte) labels[r]);
      for (int k = 0; k < 3072; k++) {
        b.put((byte) ((firstRecord + r) * 7 + k));
      }
    }
    return b.array();
  }

  /** The six batch files of the CIFAR-10 binary version, two records each (labels 0..9, 0, 1). */
  static void cifarDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (int f = 1; f <= 5; f++) {
      write(
          dir.resolve("data_batch_" + f + ".bin"),
          cifarRecords(2 * (f - 1), 2 * (f - 1), 2 * (f - 1) + 1));
    }
    write(dir.resolve("test_batch.bin"), cifarRecords(10, 0, 1));
  }

  /** A w x h image of one RGB colour. */
  static BufferedImage solid(int w, int h, int rgb) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    return img;
  }

  static void writeImage(Path file, BufferedImage image, String format) throws IOException {
    Files.createDirectories(file.getParent());
    if (!ImageIO.write(image, format, file.toFile())) {
      throw new IOException("no " + format + " writer");
    }
  }

  static void write(Path file, byte[] bytes) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  static List<String> names(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> "c" + i).toList();
  }
}
