package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The corruptions of the study's robustness test, on small hand-made images. */
class CorruptionsTest {
  static ImageSet single(int h, int w, byte[] pixels) {
    return new ImageSet("t", 1, h, w, pixels, new int[] {0}, List.of("a"));
  }

  @Test
  void rotationByNinetyDegreesMovesPixelsAsExpected() {
    // 3 x 3, a bright pixel at row 0, column 2 (top right). Rotating the picture 90 degrees
    // counter-clockwise about the centre takes the top right corner to the top left.
    byte[] p = new byte[9];
    p[2] = (byte) 200;
    ImageSet r = Corruptions.rotate(single(3, 3, p), 90);
    byte[] expected = new byte[9];
    expected[0] = (byte) 200;
    assertArrayEquals(expected, r.image(0));
    assertArrayEquals(p, Corruptions.rotate(single(3, 3, p), 0).image(0));
  }

  @Test
  void noiseIsDeterministicClippedAndOfTheRightSize() {
    byte[] p = new byte[400];
    java.util.Arrays.fill(p, (byte) 128);
    ImageSet set = single(20, 20, p);
    ImageSet a = Corruptions.gaussianNoise(set, 0.1, 7), b = Corruptions.gaussianNoise(set, 0.1, 7);
    assertArrayEquals(a.image(0), b.image(0));
    assertNotEquals(
        java.util.Arrays.toString(a.image(0)),
        java.util.Arrays.toString(Corruptions.gaussianNoise(set, 0.1, 8).image(0)));
    double sum = 0, sq = 0;
    for (byte v : a.image(0)) {
      double d = (v & 0xff) - 128;
      sum += d;
      sq += d * d;
    }
    // 400 draws of N(0, 25.5^2): the sample std lies within 15% of 25.5 (about 4 standard errors)
    assertEquals(25.5, Math.sqrt(sq / 400 - (sum / 400) * (sum / 400)), 0.15 * 25.5);
    byte[] white = new byte[400];
    java.util.Arrays.fill(white, (byte) 255);
    for (byte v : Corruptions.gaussianNoise(single(20, 20, white), 0.5, 1).image(0)) {
      assertEquals(true, (v & 0xff) <= 255 && (v & 0xff) >= 0);
    }
    assertEquals(0, set.label(0));
  }
}
