package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ImageSetTest {

  /** n images of 1 x 2 x 2 whose every pixel is the image index; labels i % 3. */
  static ImageSet indexed(int n) {
    byte[] pixels = new byte[n * 4];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      Arrays.fill(pixels, i * 4, i * 4 + 4, (byte) i);
      labels[i] = i % 3;
    }
    return new ImageSet("indexed", 1, 2, 2, pixels, labels, List.of("a", "b", "c"));
  }

  private static int[] ids(ImageSet set) {
    int[] ids = new int[set.size()];
    for (int i = 0; i < set.size(); i++) {
      ids[i] = set.pixel(i, 0, 0, 0);
      assertEquals(ids[i] % 3, set.label(i), "label travels with its image");
    }
    return ids;
  }

  @Test
  void constructorValidatesAndCopies() {
    byte[] pixels = new byte[8];
    int[] labels = {0, 1};
    ImageSet set = new ImageSet("s", 1, 2, 2, pixels, labels, List.of("a", "b"));
    pixels[0] = 9;
    labels[0] = 1;
    assertEquals(0, set.pixel(0, 0, 0, 0));
    assertEquals(0, set.label(0));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ImageSet("s", 1, 2, 2, new byte[7], new int[] {0, 1}, List.of("a", "b")));
    assertTrue(e.getMessage().contains("need 8 pixels, got 7"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ImageSet("s", 1, 2, 2, new byte[8], new int[] {0, 2}, List.of("a", "b")));
    assertTrue(e.getMessage().contains("label 2 of image 1 is out of range 0..1"), e.getMessage());
  }

  @Test
  void headTakesTheFirstImages() {
    ImageSet set = indexed(10);
    assertArrayEquals(new int[] {0, 1, 2, 3}, ids(set.head(4)));
    assertEquals(0, set.head(0).size());
    var e = assertThrows(IllegalArgumentException.class, () -> set.head(11));
    assertTrue(e.getMessage().contains("has 10 images; cannot take the first 11"), e.getMessage());
  }

  @Test
  void subsetKeepsOrderAndRepeats() {
    ImageSet set = indexed(10);
    assertArrayEquals(new int[] {7, 2, 7}, ids(set.subset(new int[] {7, 2, 7})));
    assertThrows(IndexOutOfBoundsException.class, () -> set.subset(new int[] {10}));
  }

  @Test
  void splitIsDeterministicDisjointAndComplete() {
    ImageSet set = indexed(100);
    ImageSet.Split a = set.split(20, 42);
    ImageSet.Split b = set.split(20, 42);
    ImageSet.Split c = set.split(20, 43);
    assertEquals(20, a.validation().size());
    assertEquals(80, a.train().size());
    assertArrayEquals(ids(a.validation()), ids(b.validation()));
    assertArrayEquals(ids(a.train()), ids(b.train()));
    assertFalse(
        Arrays.equals(ids(a.validation()), ids(c.validation())), "another seed, another split");
    assertFalse(
        Arrays.equals(ids(a.validation()), ids(set.head(20))), "shuffled, not the first 20");
  }

  @Property(tries = 200)
  void splitPartitionsTheSet(
      @ForAll @IntRange(min = 1, max = 200) int n,
      @ForAll @IntRange(min = 0, max = 199) int holdout,
      @ForAll long seed) {
    if (holdout >= n) {
      assertThrows(IllegalArgumentException.class, () -> indexed(n).split(holdout, seed));
      return;
    }
    ImageSet.Split s = indexed(n).split(holdout, seed);
    Set<Integer> seen = new HashSet<>();
    for (int id : ids(s.train())) {
      assertTrue(seen.add(id));
    }
    for (int id : ids(s.validation())) {
      assertTrue(seen.add(id), "image " + id + " is in both parts");
    }
    assertEquals(n, seen.size());
    assertEquals(holdout, s.validation().size());
  }

  @Test
  void splitBounds() {
    ImageSet set = indexed(10);
    assertEquals(0, set.split(0, 1).validation().size());
    assertEquals(10, set.split(0, 1).train().size());
    var e = assertThrows(IllegalArgumentException.class, () -> set.split(10, 1));
    assertTrue(e.getMessage().contains("cannot hold out 10 validation images"), e.getMessage());
    assertTrue(e.getMessage().contains("which has 10"), e.getMessage());
  }

  @Test
  void channelMeanStdByHand() {
    // Ch 2, 1 x 2, N 2. Channel 0 pixels 0, 255, 255, 255 -> mean 0.75, std sqrt(0.75 * 0.25) =
    // 0.4330;
    // channel 1 pixels all 51 -> mean 0.2, std 0.
    byte[] pixels = {0, (byte) 255, 51, 51, (byte) 255, (byte) 255, 51, 51};
    ImageSet set = new ImageSet("s", 2, 1, 2, pixels, new int[] {0, 0}, List.of("a"));
    double[][] ms = set.channelMeanStd();
    assertEquals(0.75, ms[0][0], 1e-12);
    assertEquals(0.2, ms[0][1], 1e-12);
    assertEquals(Math.sqrt(0.75 * 0.25), ms[1][0], 1e-12);
    assertEquals(0.0, ms[1][1], 1e-12);
  }

  @Test
  void classCountsCountLabels() {
    assertArrayEquals(new int[] {4, 3, 3}, indexed(10).classCounts());
  }

  @Test
  void convertResizesBilinearlyAndConvertsChannels() {
    // 1 x 1 x 2 [0, 100] -> width 4: source x = (x + 0.5) / 2 - 0.5 = -0.25 (clamped), 0.25, 0.75,
    // 1.25
    // (clamped): 0, 25, 75, 100
    ImageSet row = new ImageSet("r", 1, 1, 2, new byte[] {0, 100}, new int[] {0}, List.of("a"));
    ImageSet wide = row.convert(1, 1, 4);
    assertArrayEquals(new byte[] {0, 25, 75, 100}, wide.image(0));
    // grey -> RGB repeats the plane
    assertArrayEquals(new byte[] {0, 100, 0, 100, 0, 100}, row.convert(3, 1, 2).image(0));
    // RGB (200, 100, 50) -> 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2 -> 124
    ImageSet rgb =
        new ImageSet("c", 3, 1, 1, new byte[] {(byte) 200, 100, 50}, new int[] {0}, List.of("a"));
    assertArrayEquals(new byte[] {124}, rgb.convert(1, 1, 1).image(0));
    assertEquals(row, row.convert(1, 1, 2), "same format: the same set");
    assertNotEquals(row, wide);
  }
}
