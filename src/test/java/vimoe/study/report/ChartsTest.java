package vimoe.study.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The charts, read back from their PNGs: size, which data made marks, and where. */
class ChartsTest {
  private static BufferedImage decode(byte[] png) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(png));
  }

  /**
   * Pixels of exactly {@code colour}: count, mean x, mean y, min and max x, in the left {@code
   * maxX} columns.
   */
  private static double[] find(BufferedImage img, Color colour, int maxX) {
    double n = 0, sx = 0, sy = 0, minX = Double.MAX_VALUE, maxXFound = -1;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < Math.min(maxX, img.getWidth()); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == (colour.getRGB() & 0xffffff)) {
          n++;
          sx += x;
          sy += y;
          minX = Math.min(minX, x);
          maxXFound = Math.max(maxXFound, x);
        }
      }
    }
    return new double[] {n, n == 0 ? 0 : sx / n, n == 0 ? 0 : sy / n, minX, maxXFound};
  }

  /**
   * The runs of bar-coloured pixels along row {@code y}: one per bar that reaches that row (a gap
   * of a few pixels, where a whisker crosses the bar, does not split a run).
   */
  private static int barsAcross(BufferedImage img, int y) {
    int runs = 0, lastBar = -100;
    for (int x = 0; x < img.getWidth(); x++) {
      if ((img.getRGB(x, y) & 0xffffff) == (Charts.seriesColor(0).getRGB() & 0xffffff)) {
        runs += x - lastBar > 5 ? 1 : 0;
        lastBar = x;
      }
    }
    return runs;
  }

  /** The lowest row with bar colour: just above the axis, where every bar is. */
  private static int baseRow(BufferedImage img) {
    for (int y = img.getHeight() - 1; y >= 0; y--) {
      if (barsAcross(img, y) > 0) {
        return y;
      }
    }
    return -1;
  }

  @Test
  void barsWithCiDrawOneBarPerFiniteMeanAndTallerForLarger() throws IOException {
    List<String> routers = List.of("dense", "softmax-ec", "soft", "sinkhorn-tc");
    BufferedImage img =
        decode(
            Charts.barsWithCi(
                "Test accuracy",
                "accuracy (%)",
                routers,
                new double[] {88.1, 88.7, Double.NaN, 87.0},
                new double[] {87.5, 88.1, Double.NaN, 86.0},
                new double[] {88.6, 89.2, Double.NaN, 88.0}));
    assertEquals(800, img.getWidth());
    assertEquals(450, img.getHeight());
    int base = baseRow(img);
    assertEquals(3, barsAcross(img, base), "no bar for the NaN mean");
    // the tallest bar (88.7) is the only one left at the height between 88.1 and 88.7
    int top = base;
    while (barsAcross(img, top - 1) > 0) {
      top--;
    }
    assertEquals(1, barsAcross(img, top));
    int x = 0;
    while ((img.getRGB(x, top) & 0xffffff) != (Charts.seriesColor(0).getRGB() & 0xffffff)) {
      x++;
    }
    assertTrue(x > 200 && x < 400, "the tallest bar is in the second of four slots: x = " + x);
  }

  @Test
  void longNamesTurnTheBarsSideways() throws IOException {
    List<String> names =
        java.util.stream.IntStream.range(0, 14)
            .mapToObj(i -> "sparse-ot-ec capacity_factor=" + i)
            .toList();
    double[] values = java.util.stream.IntStream.range(0, 14).mapToDouble(i -> 1 + i).toArray();
    BufferedImage img = decode(Charts.bars("Sideways", "value", names, values));
    assertEquals(110 + 34 * 14, img.getHeight(), "a row per name");
    // a vertical scan just right of the value axis' 0 crosses every bar
    int x = 0;
    while ((img.getRGB(x, img.getHeight() / 2) & 0xffffff)
        != (Charts.seriesColor(0).getRGB() & 0xffffff)) {
      x++;
    }
    int runs = 0, last = -100;
    for (int y = 0; y < img.getHeight(); y++) {
      if ((img.getRGB(x + 2, y) & 0xffffff) == (Charts.seriesColor(0).getRGB() & 0xffffff)) {
        runs += y - last > 3 ? 1 : 0;
        last = y;
      }
    }
    assertEquals(14, runs);
  }

  @Test
  void barsStartAtZero() throws IOException {
    BufferedImage img =
        decode(
            Charts.bars("Dropped", "fraction", List.of("a", "b", "c"), new double[] {0.1, 0.2, 0}));
    int base = baseRow(img);
    assertEquals(2, barsAcross(img, base), "a zero value has no bar");
    int heightA = 0, heightB = 0;
    for (int y = base; y > 0; y--) {
      int n = barsAcross(img, y);
      heightA += n >= 1 ? 1 : 0;
      heightB += n == 2 ? 1 : 0;
    }
    assertTrue(
        Math.abs(heightB - 0.5 * heightA) < 3,
        "0.1 is half of 0.2 when bars start at 0: " + heightB + " vs " + heightA);
  }

  @Test
  void linesRiseWhereTheValuesRise() throws IOException {
    LinkedHashMap<String, double[][]> one = new LinkedHashMap<>();
    one.put("dense", new double[][] {{1, 2, 3, 4}, {70, 80, 85, 88}});
    BufferedImage img = decode(Charts.lines("Validation accuracy", "epoch", "accuracy (%)", one));
    Color c = Charts.seriesColor(0);
    // the leftmost and rightmost pixels of the line: the first epoch is low, the last one high
    int leftY = -1, rightY = -1, leftX = Integer.MAX_VALUE, rightX = -1;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) {
          if (x < leftX) {
            leftX = x;
            leftY = y;
          }
          if (x > rightX) {
            rightX = x;
            rightY = y;
          }
        }
      }
    }
    assertTrue(rightX - leftX > 500, "the line spans the plot");
    assertTrue(leftY - rightY > 200, "higher accuracy is drawn higher: " + leftY + " vs " + rightY);

    LinkedHashMap<String, double[][]> two = new LinkedHashMap<>(one);
    two.put("soft", new double[][] {{1, 2}, {71, 79}});
    img = decode(Charts.lines("Validation accuracy", "epoch", "accuracy (%)", two));
    assertTrue(
        find(img, Charts.seriesColor(0), 800)[0] > 100
            && find(img, Charts.seriesColor(1), 800)[0] > 100);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Charts.lines(
                "t",
                "x",
                "y",
                new LinkedHashMap<>(java.util.Map.of("bad", new double[][] {{1, 2}, {1}}))));
  }

  @Test
  void scatterGivesEachLabelItsColourAtItsPlace() throws IOException {
    BufferedImage img =
        decode(
            Charts.scatter(
                "Accuracy against speed",
                "images/s",
                "accuracy (%)",
                List.of("fast-bad", "slow-good"),
                new double[] {700, 500},
                new double[] {86, 89}));
    double[] fast = find(img, Charts.seriesColor(0), 800),
        slow = find(img, Charts.seriesColor(1), 800);
    assertTrue(fast[0] > 20 && slow[0] > 20);
    // legend swatches sit at the bottom; the points are the marks above it
    assertTrue(fast[3] > slow[3], "the faster point is further right");
  }

  @Test
  void heatmapColoursTheLargestValueYellowAndTheSmallestPurple() throws IOException {
    double[][] values = {{0.5, 0.2}, {0.1, 0.2}};
    BufferedImage img =
        decode(
            Charts.heatmap(
                "Expert load",
                List.of("softmax-tc", "soft"),
                List.of("0", "1"),
                values,
                "share of tokens"));
    assertEquals(800, img.getWidth());
    // the plot's left 85%: the colour legend on the right has every colour
    double[] yellow = find(img, new Color(0xfde725), 680),
        purple = find(img, new Color(0x440154), 680);
    assertTrue(
        yellow[0] > 1000 && purple[0] > 1000,
        yellow[0] + " yellow and " + purple[0] + " purple pixels");
    assertTrue(
        yellow[1] < purple[1] && yellow[2] < purple[2],
        "0.5 is top left, 0.1 bottom left of the grid");
    assertThrows(
        IllegalArgumentException.class,
        () -> Charts.heatmap("t", List.of("a"), List.of("0", "1"), new double[][] {{1}}, "v"));
  }

  @Test
  void pointsAreNamedBesideThemOnlyWhereTheNamesCannotOverlap() {
    // the quick study's accuracy against speed: four routers within 0.01 of each other in speed
    // (x spans 0.14) and 1 point in accuracy (y spans 40 points with the whiskers)
    double[] x = {1.0, 0.878, 0.886, 0.887, 0.863}, y = {65.6, 65.6, 65.0, 65.1, 62.9};
    assertEquals(false, Charts.namesFit(x, y, 40));
    // the same routers spread out: every name has its own place
    double[] apart = {1.0, 0.60, 0.70, 0.80, 0.90};
    assertTrue(Charts.namesFit(apart, y, 40));
    // close in speed but far apart in accuracy: names stack without touching
    assertTrue(Charts.namesFit(new double[] {0.9, 0.9}, new double[] {60, 70}, 20));
    // more than 16 points are never named
    assertEquals(false, Charts.namesFit(new double[17], new double[17], 1));
  }

  @Test
  void labelsOfAChartShareTheirDecimals() {
    assertEquals(1, Charts.decimals(88.7));
    assertEquals(0, Charts.decimals(691));
    assertEquals(2, Charts.decimals(0.22));
    assertEquals(3, Charts.decimals(0.08));
    assertEquals("1,234", Charts.format(1234.4, 0));
    assertEquals(0.5, Charts.niceStep(0.31));
    assertEquals(0.02, Charts.niceStep(0.0167), 1e-12);
  }
}
