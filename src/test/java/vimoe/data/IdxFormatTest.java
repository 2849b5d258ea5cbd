package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFormatTest {

  @TempDir Path tmp;

  /** 3 images of 2 x 4, labels 2, 0, 1. */
  private static final byte[] PIXELS = Fixtures.pattern(3, 2, 4);

  private static final byte[] LABELS = {2, 0, 1};

  private ImageSet readBoth(
      boolean gzipImages, boolean gzipLabels, String imagesName, String labelsName)
      throws IOException {
    byte[] images = Fixtures.idxImages(3, 2, 4, PIXELS);
    byte[] labels = Fixtures.idxLabels(LABELS);
    Path im = tmp.resolve(imagesName);
    Path lb = tmp.resolve(labelsName);
    Files.write(im, gzipImages ? Fixtures.gzip(images) : images);
    Files.write(lb, gzipLabels ? Fixtures.gzip(labels) : labels);
    return IdxFormat.read(im, lb, Fixtures.names(3));
  }

  private static void assertFixture(ImageSet set) {
    assertEquals(3, set.size());
    assertEquals(1, set.channels());
    assertEquals(2, set.height());
    assertEquals(4, set.width());
    assertArrayEquals(new int[] {2, 0, 1}, set.labels());
    // pixel (i, y, x) = i * 37 + y * 4 + x: image 2, row 1, column 3 -> 74 + 7 = 81
    assertEquals(81, set.pixel(2, 0, 1, 3));
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(Arrays.copyOfRange(PIXELS, i * 8, i * 8 + 8), set.image(i));
    }
  }

  @Test
  void readsPlainFiles() throws IOException {
    assertFixture(readBoth(false, false, "im-idx3-ubyte", "lb-idx1-ubyte"));
  }

  @Test
  void readsGzippedFiles() throws IOException {
    assertFixture(readBoth(true, true, "im-idx3-ubyte.gz", "lb-idx1-ubyte.gz"));
  }

  @Test
  void detectsGzipByMagicBytesNotByName() throws IOException {
    // gzip content without .gz, plain content with .gz
    assertFixture(readBoth(true, false, "im-idx3-ubyte", "lb-idx1-ubyte.gz"));
  }

  @Test
  void wrongMagicNumberNamesFileFoundAndExpected() throws IOException {
    Path labels = tmp.resolve("labels");
    Files.write(labels, Fixtures.idxLabels(LABELS));
    // labels passed as images
    DatasetException e =
        assertThrows(
            DatasetException.class, () -> IdxFormat.read(labels, labels, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("wrong magic number 0x00000801"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 0x00000803"), e.getMessage());
    assertTrue(e.getMessage().contains(labels.toString()), e.getMessage());
    assertEquals(labels, e.file());
  }

  @Test
  void truncatedPlainFileSaysExpectedAndActualBytes() throws IOException {
    Path im = tmp.resolve("im");
    Path lb = tmp.resolve("lb");
    byte[] images = Fixtures.idxImages(3, 2, 4, PIXELS); // 16 + 24 = 40 bytes
    Files.write(im, Arrays.copyOf(images, 35));
    Files.write(lb, Fixtures.idxLabels(LABELS));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 40 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("found 35 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains(im.toString()), e.getMessage());
  }

  @Test
  void truncatedGzipFileIsReportedAsTruncated() throws IOException {
    byte[] pixels = new byte[100 * 10 * 10];
    new Random(1).nextBytes(pixels); // incompressible: cutting the .gz in half cuts the data
    byte[] gz = Fixtures.gzip(Fixtures.idxImages(100, 10, 10, pixels));
    Path im = tmp.resolve("im.gz");
    Path lb = tmp.resolve("lb");
    Files.write(im, Arrays.copyOf(gz, gz.length / 2));
    Files.write(lb, Fixtures.idxLabels(new byte[100]));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 10016 bytes"), e.getMessage());
  }

  @Test
  void truncatedHeaderAndTruncatedLabels() throws IOException {
    Path im = tmp.resolve("im");
    Path lb = tmp.resolve("lb");
    Files.write(im, Arrays.copyOf(Fixtures.idxImages(3, 2, 4, PIXELS), 10));
    Files.write(lb, Fixtures.idxLabels(LABELS));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(
        e.getMessage().contains("expected at least 16 bytes of IDX header, found 10"),
        e.getMessage());

    Files.write(im, Fixtures.idxImages(3, 2, 4, PIXELS));
    Files.write(lb, Arrays.copyOf(Fixtures.idxLabels(LABELS), 9)); // 8 + 3 = 11 expected
    e = assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("expected 11 bytes (3 labels), found 9"), e.getMessage());
  }

  @Test
  void trailingBytesAreRefused() throws IOException {
    Path im = tmp.resolve("im");
    Path lb = tmp.resolve("lb");
    byte[] images = Fixtures.idxImages(3, 2, 4, PIXELS);
    Files.write(im, Arrays.copyOf(images, images.length + 5));
    Files.write(lb, Fixtures.idxLabels(LABELS));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("has 5 bytes after"), e.getMessage());
  }

  @Test
  void labelImageCountMismatch() throws IOException {
    Path im = tmp.resolve("im");
    Path lb = tmp.resolve("lb");
    Files.write(im, Fixtures.idxImages(3, 2, 4, PIXELS));
    Files.write(lb, Fixtures.idxLabels(new byte[] {0, 1}));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("count mismatch"), e.getMessage());
    assertTrue(e.getMessage().contains("has 2 labels"), e.getMessage());
    assertTrue(e.getMessage().contains("has 3 images"), e.getMessage());
  }

  @Test
  void labelOutOfRangeNamesIndexAndValue() throws IOException {
    Path im = tmp.resolve("im");
    Path lb = tmp.resolve("lb");
    Files.write(im, Fixtures.idxImages(3, 2, 4, PIXELS));
    Files.write(lb, Fixtures.idxLabels(new byte[] {0, 7, 1}));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, Fixtures.names(3)));
    assertTrue(e.getMessage().contains("label 7 at index 1 is out of range"), e.getMessage());
    assertTrue(e.getMessage().contains("3 classes"), e.getMessage());
  }

  @Test
  void readDirectoryMixesGzippedAndPlainAndUsesDigitNames() throws IOException {
    Path dir = tmp.resolve("digits");
    Fixtures.idxDirectory(dir, 12, 5, 10, true);
    TrainTest t = IdxFormat.readDirectory(dir);
    assertEquals(12, t.train().size());
    assertEquals(5, t.test().size());
    assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), t.train().classNames());
    assertEquals("digits/train", t.train().name());
    assertEquals(4, t.test().label(4));
  }

  @Test
  void classesTxtSetsNamesAndTheirCount() throws IOException {
    Path dir = tmp.resolve("three");
    Fixtures.idxDirectory(dir, 6, 3, 3, false);
    Files.writeString(dir.resolve("classes.txt"), "cat\ndog\nbird\n\n");
    TrainTest t = IdxFormat.readDirectory(dir);
    assertEquals(List.of("cat", "dog", "bird"), t.test().classNames());

    Files.writeString(dir.resolve("classes.txt"), "cat\ndog\n");
    DatasetException e = assertThrows(DatasetException.class, () -> IdxFormat.readDirectory(dir));
    assertTrue(e.getMessage().contains("label 2 at index 2 is out of range"), e.getMessage());

    Files.writeString(dir.resolve("classes.txt"), "cat\n\ndog\n");
    e = assertThrows(DatasetException.class, () -> IdxFormat.readDirectory(dir));
    assertTrue(e.getMessage().contains("line 2 is blank"), e.getMessage());
  }

  @Test
  void missingFileIsNamed() throws IOException {
    Path dir = tmp.resolve("partial");
    Fixtures.idxDirectory(dir, 4, 2, 2, false);
    Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
    DatasetException e = assertThrows(DatasetException.class, () -> IdxFormat.readDirectory(dir));
    assertTrue(e.getMessage().contains("has no t10k-labels-idx1-ubyte[.gz]"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  @Test
  void dimensionsWhoseProductOverflowsALongAreRefusedByName(@TempDir Path dir) throws IOException {
    // N * H * W = 2^24 * 2^20 * 2^20 = 2^64 wraps to 0 in a long: the header must still be refused.
    Path im = dir.resolve("images"), lb = dir.resolve("labels");
    Files.write(im, Fixtures.idxImages(1 << 24, 1 << 20, 1 << 20, new byte[0]));
    Files.write(lb, Fixtures.idxLabels(new byte[] {0}));
    DatasetException e =
        assertThrows(DatasetException.class, () -> IdxFormat.read(im, lb, List.of("a")));
    assertTrue(e.getMessage().contains("implausible IDX image dimensions"), e.getMessage());
  }
}
