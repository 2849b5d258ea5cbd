package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ImageSet#batch}: normalisation, and augmentation as a pure function of (seed, epoch,
 * index).
 */
class BatchTest {

  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** n random images of Ch x H x W (pixels 1..255, so 0 marks padding), labels i % 10. */
  static ImageSet random(int n, int ch, int h, int w, long seed) {
    Random rng = new Random(seed);
    byte[] pixels = new byte[n * ch * h * w];
    for (int k = 0; k < pixels.length; k++) {
      pixels[k] = (byte) (1 + rng.nextInt(255));
    }
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 10;
    }
    return new ImageSet("random", ch, h, w, pixels, labels, Fixtures.names(10));
  }

  /** The pixel values 0..255 of the batch images (mean 0, std 1: value * 255). */
  private static int[][] pixels(ImageSet set, int[] idx, Augmentation aug, long seed, int epoch) {
    try (NDManager sub = manager.newSubManager()) {
      NDList b = set.batch(sub, idx, aug, seed, epoch, null, null);
      float[] x = b.get(0).toFloatArray();
      int size = set.imageSize();
      int[][] out = new int[idx.length][size];
      for (int k = 0; k < x.length; k++) {
        out[k / size][k % size] = Math.round(x[k] * 255);
      }
      return out;
    }
  }

  @Test
  void normalisationByHand() {
    // Ch 2, 1 x 2. Channel 0 [0, 255] with mean 0.5, std 0.5: (0 - 0.5) / 0.5 = -1, (1 - 0.5) / 0.5
    // = 1.
    // Channel 1 [51, 102] with mean 0.2, std 0.4: (0.2 - 0.2) / 0.4 = 0, (0.4 - 0.2) / 0.4 = 0.5.
    byte[] pixels = {0, (byte) 255, 51, 102, (byte) 255, 0, 102, 51};
    ImageSet set = new ImageSet("s", 2, 1, 2, pixels, new int[] {1, 0}, List.of("a", "b"));
    try (NDManager sub = manager.newSubManager()) {
      NDList b =
          set.batch(
              sub,
              new int[] {0, 1},
              Augmentation.NONE,
              0,
              0,
              new float[] {0.5f, 0.2f},
              new float[] {0.5f, 0.4f});
      assertEquals(new Shape(2, 2, 1, 2), b.get(0).getShape());
      assertEquals(DataType.FLOAT32, b.get(0).getDataType());
      assertArrayEquals(
          new float[] {-1, 1, 0, 0.5f, 1, -1, 0.5f, 0}, b.get(0).toFloatArray(), 1e-6f);
      assertEquals(new Shape(2), b.get(1).getShape());
      assertEquals(DataType.INT64, b.get(1).getDataType());
      assertArrayEquals(new long[] {1, 0}, b.get(1).toLongArray());
    }
  }

  @Test
  void badNormalisationOrIndicesAreRefused() {
    ImageSet set = random(3, 2, 2, 2, 1);
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                set.batch(
                    manager, new int[] {0}, null, 0, 0, new float[] {0.5f}, new float[] {1, 1}));
    assertTrue(e.getMessage().contains("mean and std need 2 values each"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> set.batch(manager, new int[] {0}, null, 0, 0, null, new float[] {1, 0}));
    assertTrue(e.getMessage().contains("std > 0"), e.getMessage());
    assertThrows(
        IndexOutOfBoundsException.class,
        () -> set.batch(manager, new int[] {3}, null, 0, 0, null, null));
  }

  @Test
  void augmentationDependsOnlyOnSeedEpochAndIndex() {
    ImageSet set = random(20, 3, 8, 8, 2);
    Augmentation aug = new Augmentation(3, true);
    int[][] batch = pixels(set, new int[] {4, 9, 13}, aug, 7, 2);
    int[][] again = pixels(set, new int[] {4, 9, 13}, aug, 7, 2);
    int[][] otherBatch = pixels(set, new int[] {13, 0, 1, 2, 9}, aug, 7, 2);
    int[][] alone = pixels(set, new int[] {9}, aug, 7, 2);
    assertArrayEquals(batch, again);
    assertArrayEquals(batch[2], otherBatch[0], "image 13 does not depend on its batch");
    assertArrayEquals(batch[1], otherBatch[4], "image 9 does not depend on its position");
    assertArrayEquals(batch[1], alone[0]);
  }

  @Test
  void augmentationChangesAcrossEpochsAndSeeds() {
    ImageSet set = random(40, 1, 8, 8, 3);
    int[] all = new int[40];
    Arrays.setAll(all, i -> i);
    Augmentation aug = new Augmentation(2, true);
    int[][] e0 = pixels(set, all, aug, 1, 0);
    int[][] e1 = pixels(set, all, aug, 1, 1);
    int[][] s2 = pixels(set, all, aug, 2, 0);
    int changedByEpoch = 0;
    int changedBySeed = 0;
    for (int i = 0; i < 40; i++) {
      changedByEpoch += Arrays.equals(e0[i], e1[i]) ? 0 : 1;
      changedBySeed += Arrays.equals(e0[i], s2[i]) ? 0 : 1;
    }
    // 50 equally likely (shift, flip) draws: about 1 in 50 images repeats by chance
    assertTrue(changedByEpoch >= 30, "images changed between epochs: " + changedByEpoch);
    assertTrue(changedBySeed >= 30, "images changed between seeds: " + changedBySeed);
  }

  /** The shift (dy, dx) in -pad..pad with out(y, x) = src(y + dy, x + dx) (0 outside), or null. */
  private static int[] shiftOf(int[] out, byte[] src, int ch, int h, int w, int pad) {
    for (int dy = -pad; dy <= pad; dy++) {
      for (int dx = -pad; dx <= pad; dx++) {
        boolean ok = true;
        for (int c = 0; c < ch && ok; c++) {
          for (int y = 0; y < h && ok; y++) {
            for (int x = 0; x < w && ok; x++) {
              int sy = y + dy;
              int sx = x + dx;
              int expected =
                  sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : src[(c * h + sy) * w + sx] & 0xff;
              ok = out[(c * h + y) * w + x] == expected;
            }
          }
        }
        if (ok) {
          return new int[] {dy, dx};
        }
      }
    }
    return null;
  }

  @Test
  void padCropKeepsShapeAndOnlyShiftsContent() {
    int pad = 2;
    ImageSet set = random(200, 2, 6, 7, 4);
    int[] all = new int[200];
    Arrays.setAll(all, i -> i);
    try (NDManager sub = manager.newSubManager()) {
      assertEquals(
          new Shape(200, 2, 6, 7),
          set.batch(sub, all, new Augmentation(pad, false), 5, 0, null, null).get(0).getShape());
    }
    int[][] out = pixels(set, all, new Augmentation(pad, false), 5, 0);
    Set<String> shifts = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int[] s = shiftOf(out[i], set.image(i), 2, 6, 7, pad);
      assertTrue(s != null, "image " + i + " is not a shift of its source by at most " + pad);
      shifts.add(s[0] + "," + s[1]);
    }
    // 25 equally likely shifts over 200 images: all appear (each is missed with probability 3e-4)
    assertEquals(25, shifts.size(), "shifts seen: " + shifts);
  }

  @Test
  void paddingIsZeroInPixelSpace() {
    // All-white image, mean 0.5, std 0.5: white -> 1, padding (pixel 0) -> -1.
    byte[] white = new byte[16];
    Arrays.fill(white, (byte) 255);
    ImageSet set = new ImageSet("w", 1, 4, 4, white, new int[] {0}, List.of("a"));
    boolean sawPadding = false;
    for (int epoch = 0; epoch < 20; epoch++) {
      try (NDManager sub = manager.newSubManager()) {
        float[] x =
            set.batch(
                    sub,
                    new int[] {0},
                    new Augmentation(1, false),
                    9,
                    epoch,
                    new float[] {0.5f},
                    new float[] {0.5f})
                .get(0)
                .toFloatArray();
        for (float v : x) {
          assertTrue(v == 1f || v == -1f, "value " + v);
          sawPadding |= v == -1f;
        }
      }
    }
    assertTrue(sawPadding, "some epoch shifts the image and shows padding");
  }

  @Test
  void flipMirrorsAboutHalfTheImages() {
    int h = 5;
    int w = 6;
    ImageSet set = random(100, 3, h, w, 6);
    int[] all = new int[100];
    Arrays.setAll(all, i -> i);
    int[][] out = pixels(set, all, new Augmentation(0, true), 11, 3);
    int flipped = 0;
    for (int i = 0; i < 100; i++) {
      byte[] src = set.image(i);
      int[] same = new int[src.length];
      int[] mirror = new int[src.length];
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            same[(c * h + y) * w + x] = src[(c * h + y) * w + x] & 0xff;
            mirror[(c * h + y) * w + x] = src[(c * h + y) * w + (w - 1 - x)] & 0xff;
          }
        }
      }
      boolean isSame = Arrays.equals(out[i], same);
      boolean isMirror = Arrays.equals(out[i], mirror);
      assertTrue(isSame ^ isMirror, "image " + i + " is its source or its mirror");
      flipped += isMirror ? 1 : 0;
    }
    assertTrue(flipped > 30 && flipped < 70, "flipped " + flipped + " of 100 (p = 0.5)");
  }

  @Test
  void noAugmentationIsTheIdentity() {
    ImageSet set = random(5, 3, 4, 4, 7);
    int[][] out = pixels(set, new int[] {0, 1, 2, 3, 4}, Augmentation.NONE, 1, 1);
    for (int i = 0; i < 5; i++) {
      int[] src = new int[set.imageSize()];
      byte[] b = set.image(i);
      Arrays.setAll(src, k -> b[k] & 0xff);
      assertArrayEquals(src, out[i]);
    }
    assertFalse(new Augmentation(0, true).isNone());
    assertThrows(IllegalArgumentException.class, () -> new Augmentation(-1, false));
  }
}
