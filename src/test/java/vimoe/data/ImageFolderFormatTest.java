package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderFormatTest {

  @TempDir Path tmp;

  private static final int RED = 0xff0000;
  private static final int TEAL = 0x2080c0; // r 32, g 128, b 192

  /** train/ and test/ with class "red" as PNG and "teal" as JPEG. */
  private Path trainTestFolder() throws IOException {
    Path dir = tmp.resolve("shapes");
    for (String split : List.of("train", "test")) {
      Fixtures.writeImage(
          dir.resolve(split).resolve("red").resolve("a.png"), Fixtures.solid(8, 8, RED), "png");
      Fixtures.writeImage(
          dir.resolve(split).resolve("teal").resolve("b.jpg"), Fixtures.solid(16, 12, TEAL), "jpg");
    }
    Fixtures.writeImage(
        dir.resolve("train").resolve("red").resolve("c.PNG"), Fixtures.solid(5, 9, RED), "png");
    Files.writeString(dir.resolve("train").resolve("red").resolve(".DS_Store"), "ignored");
    return dir;
  }

  @Test
  void readsPngAndJpegAsRgbAtTheGivenSize() throws IOException {
    TrainTest t = ImageFolderFormat.read(trainTestFolder(), 3, 4, 6);
    assertEquals(List.of("red", "teal"), t.train().classNames());
    assertEquals(3, t.train().size()); // a.png, c.PNG, b.jpg; .DS_Store ignored
    assertEquals(2, t.test().size());
    assertArrayEquals(new int[] {0, 0, 1}, t.train().labels());
    assertEquals(4, t.train().height());
    assertEquals(6, t.train().width());
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 6; x++) {
        assertEquals(255, t.train().pixel(0, 0, y, x));
        assertEquals(0, t.train().pixel(0, 1, y, x));
        assertEquals(0, t.train().pixel(1, 2, y, x));
        // JPEG of a flat colour is within a few levels of it
        assertEquals(32, t.train().pixel(2, 0, y, x), 4);
        assertEquals(128, t.train().pixel(2, 1, y, x), 4);
        assertEquals(192, t.train().pixel(2, 2, y, x), 4);
      }
    }
  }

  @Test
  void greyIsLuminanceAndGreyImagesKeepTheirValue() throws IOException {
    TrainTest t = ImageFolderFormat.read(trainTestFolder(), 1, 5, 5);
    assertEquals(76, t.train().pixel(0, 0, 2, 2)); // 0.299 * 255 = 76.2
    assertEquals(
        (float) Math.round(0.299 * 32 + 0.587 * 128 + 0.114 * 192),
        t.train().pixel(2, 0, 2, 2),
        4); // 106

    BufferedImage grey = new BufferedImage(6, 6, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 6; y++) {
      for (int x = 0; x < 6; x++) {
        grey.getRaster().setSample(x, y, 0, 100);
      }
    }
    Path file = tmp.resolve("grey.png");
    Fixtures.writeImage(file, grey, "png");
    byte[] asRgb = ImageFolderFormat.readImage(file, 3, 6, 6);
    byte[] asGrey = ImageFolderFormat.readImage(file, 1, 6, 6);
    for (byte b : asRgb) {
      assertEquals(100, b & 0xff);
    }
    for (byte b : asGrey) {
      assertEquals(100, b & 0xff);
    }
  }

  @Test
  void resizeIsBilinear() throws IOException {
    // 8 x 8: left half black, right half white; halved, the samples at source x = 0.5, 2.5, 4.5,
    // 6.5
    BufferedImage img = Fixtures.solid(8, 8, 0x000000);
    for (int y = 0; y < 8; y++) {
      for (int x = 4; x < 8; x++) {
        img.setRGB(x, y, 0xffffff);
      }
    }
    Path file = tmp.resolve("halves.png");
    Fixtures.writeImage(file, img, "png");
    byte[] out = ImageFolderFormat.readImage(file, 1, 4, 4);
    for (int y = 0; y < 4; y++) {
      assertArrayEquals(
          new int[] {0, 0, 255, 255},
          new int[] {
            out[y * 4] & 0xff, out[y * 4 + 1] & 0xff, out[y * 4 + 2] & 0xff, out[y * 4 + 3] & 0xff
          });
    }
    // doubled: the edge is interpolated, so a middle level appears
    byte[] up = ImageFolderFormat.readImage(file, 1, 16, 16);
    Set<Integer> levels = new HashSet<>();
    for (byte b : up) {
      levels.add(b & 0xff);
    }
    assertTrue(levels.size() > 2, "bilinear upsampling blends the edge: " + levels);
  }

  @Test
  void withoutTrainTestFoldersHoldsOutAStratifiedFifthDeterministically() throws IOException {
    Path dir = tmp.resolve("flat");
    for (int c = 0; c < 2; c++) {
      for (int i = 0; i < 10; i++) { // every image a distinct grey level
        int v = c * 100 + i * 5;
        Fixtures.writeImage(
            dir.resolve("class" + c).resolve("img" + i + ".png"),
            Fixtures.solid(4, 4, v << 16 | v << 8 | v),
            "png");
      }
    }
    TrainTest t = ImageFolderFormat.read(dir, 1, 4, 4);
    assertArrayEquals(new int[] {8, 8}, t.train().classCounts());
    assertArrayEquals(new int[] {2, 2}, t.test().classCounts());
    Set<Integer> trainLevels = levels(t.train());
    Set<Integer> testLevels = levels(t.test());
    assertEquals(16, trainLevels.size());
    assertEquals(4, testLevels.size());
    trainLevels.retainAll(testLevels);
    assertTrue(trainLevels.isEmpty(), "train and test share images " + trainLevels);

    TrainTest again = ImageFolderFormat.read(dir, 1, 4, 4);
    assertEquals(levels(t.test()), levels(again.test()));
  }

  private static Set<Integer> levels(ImageSet set) {
    Set<Integer> s = new HashSet<>();
    for (int i = 0; i < set.size(); i++) {
      s.add(set.pixel(i, 0, 0, 0));
    }
    return s;
  }

  @Test
  void nonImageFileIsNamed() throws IOException {
    Path dir = trainTestFolder();
    Path bad = dir.resolve("train").resolve("teal").resolve("notes.png");
    Files.writeString(bad, "this is not an image");
    DatasetException e =
        assertThrows(DatasetException.class, () -> ImageFolderFormat.read(dir, 3, 4, 4));
    assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a PNG or JPEG image"), e.getMessage());
  }

  @Test
  void truncatedImageIsUnreadable() throws IOException {
    Path dir = trainTestFolder();
    Path png = dir.resolve("test").resolve("red").resolve("a.png");
    byte[] bytes = Files.readAllBytes(png);
    Files.write(png, Arrays.copyOf(bytes, bytes.length / 2));
    DatasetException e =
        assertThrows(DatasetException.class, () -> ImageFolderFormat.read(dir, 3, 4, 4));
    assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
    assertTrue(
        e.getMessage().contains("unreadable image") || e.getMessage().contains("not a PNG or JPEG"),
        e.getMessage());
  }

  @Test
  void emptyClassFolderIsNamed() throws IOException {
    Path dir = trainTestFolder();
    Path empty = Files.createDirectories(dir.resolve("train").resolve("zebra"));
    DatasetException e =
        assertThrows(DatasetException.class, () -> ImageFolderFormat.read(dir, 3, 4, 4));
    assertTrue(e.getMessage().contains("class folder " + empty + " is empty"), e.getMessage());
  }

  @Test
  void folderWithoutClassFoldersIsRefused() throws IOException {
    Files.writeString(tmp.resolve("loose.png"), "x");
    DatasetException e =
        assertThrows(DatasetException.class, () -> ImageFolderFormat.read(tmp, 3, 4, 4));
    assertTrue(e.getMessage().contains("has no class folders"), e.getMessage());
  }

  @Test
  void testClassUnknownToTrainIsRefused() throws IOException {
    Path dir = trainTestFolder();
    Fixtures.writeImage(
        dir.resolve("test").resolve("zebra").resolve("z.png"), Fixtures.solid(4, 4, RED), "png");
    DatasetException e =
        assertThrows(DatasetException.class, () -> ImageFolderFormat.read(dir, 3, 4, 4));
    assertTrue(e.getMessage().contains("has no counterpart"), e.getMessage());
  }
}
