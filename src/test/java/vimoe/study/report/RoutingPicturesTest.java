package vimoe.study.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Routing pictures: the colour of every patch, the enlarged image and the legend, read back from
 * the PNG.
 */
class RoutingPicturesTest {
  private static final int E = 4, P = 7; // 28 x 28 images, 4 x 4 patches of 7 pixels

  /** A 28 x 28 grey image whose pixel (y, x) has level ((7y + 3x) mod 256) / 255. */
  private static float[][][] image(int offset) {
    float[][][] im = new float[1][28][28];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        im[0][y][x] = ((7 * y + 3 * x + offset) % 256) / 255f;
      }
    }
    return im;
  }

  /**
   * Patch q of image i in column c goes to expert (q + i + c) mod (E + 1) - 1: every expert and -1
   * occur.
   */
  private static int[] plan(int image, int column) {
    int[] experts = new int[16];
    for (int q = 0; q < 16; q++) {
      experts[q] = (q + image + column) % (E + 1) - 1;
    }
    return experts;
  }

  @Test
  void everyPatchHasTheColourOfItsExpertAndDroppedPatchesAreGrey() throws IOException {
    List<float[][][]> images = List.of(image(0), image(40));
    List<RoutingPictures.Column> columns =
        List.of(
            new RoutingPictures.Column("softmax-ec, block 3", List.of(plan(0, 0), plan(1, 0))),
            new RoutingPictures.Column("soft, block 4", List.of(plan(0, 1), plan(1, 1))));
    BufferedImage png =
        ImageIO.read(new ByteArrayInputStream(RoutingPictures.draw(images, P, E, columns)));
    RoutingPictures.Layout layout = RoutingPictures.Layout.of(images, P, E, columns);
    assertEquals(layout.width(), png.getWidth());
    assertEquals(layout.height(), png.getHeight());
    assertEquals(4, layout.scale(), "28 pixels are enlarged 4 times, to 112");
    int grey = 0;
    for (int r = 0; r < 2; r++) {
      for (int c = 0; c < 2; c++) {
        int[] plan = plan(r, c);
        for (int q = 0; q < 16; q++) {
          Rectangle box = layout.patchBox(r, c + 1, q);
          assertEquals(28, box.width);
          Color expected = RoutingPictures.expertColor(plan[q], E);
          assertEquals(
              expected.getRGB(),
              png.getRGB((int) box.getCenterX(), (int) box.getCenterY()),
              "image " + r + ", column " + c + ", patch " + q + " (expert " + plan[q] + ")");
          grey += plan[q] == -1 ? 1 : 0;
        }
      }
    }
    assertTrue(grey >= 12, "the plans drop patches");
    assertEquals(new Color(0xbdbdbd), RoutingPictures.expertColor(-1, E));
  }

  @Test
  void theImageIsEnlargedPixelByPixel() throws IOException {
    List<float[][][]> images = List.of(image(0), image(40));
    List<RoutingPictures.Column> columns =
        List.of(new RoutingPictures.Column("dense", List.of(plan(0, 0), plan(1, 0))));
    BufferedImage png =
        ImageIO.read(new ByteArrayInputStream(RoutingPictures.draw(images, P, E, columns)));
    RoutingPictures.Layout layout = RoutingPictures.Layout.of(images, P, E, columns);
    for (int r = 0; r < 2; r++) {
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          int level = Math.round(255 * images.get(r)[0][y][x]);
          // every pixel of the 4 x 4 block but its first row and column (where patch lines may run)
          for (int dy = 1; dy < 4; dy++) {
            for (int dx = 1; dx < 4; dx++) {
              int rgb = png.getRGB(layout.tileX(0) + 4 * x + dx, layout.tileY(r) + 4 * y + dy);
              assertEquals(
                  new Color(level, level, level).getRGB(),
                  rgb,
                  "image " + r + " at " + y + "," + x);
            }
          }
        }
      }
    }
  }

  @Test
  void theLegendShowsEveryExpertAndDropped() throws IOException {
    List<float[][][]> images = List.<float[][][]>of(image(0));
    List<RoutingPictures.Column> columns =
        List.of(new RoutingPictures.Column("x", List.of(plan(0, 0))));
    BufferedImage png =
        ImageIO.read(new ByteArrayInputStream(RoutingPictures.draw(images, P, E, columns)));
    RoutingPictures.Layout layout = RoutingPictures.Layout.of(images, P, E, columns);
    assertEquals(E + 1, layout.legend().size());
    Set<Integer> shown = new HashSet<>();
    for (RoutingPictures.Layout.LegendItem item : layout.legend()) {
      int rgb = png.getRGB(item.x() + 7, item.y() + 7);
      assertEquals(RoutingPictures.expertColor(item.expert(), E).getRGB(), rgb, item.text());
      shown.add(item.expert());
    }
    assertEquals(Set.of(-1, 0, 1, 2, 3), shown);
  }

  @Test
  void expertColoursAreDistinctAndNeverTheDroppedGrey() {
    for (int experts : new int[] {1, 8, 18, 32, 64}) {
      Set<Integer> colours = new HashSet<>();
      for (int e = 0; e < experts; e++) {
        Color c = RoutingPictures.expertColor(e, experts);
        assertTrue(colours.add(c.getRGB()), "expert " + e + " of " + experts + " repeats a colour");
        assertNotEquals(RoutingPictures.DROPPED, c);
        float[] hsb = Color.RGBtoHSB(c.getRed(), c.getGreen(), c.getBlue(), null);
        assertTrue(hsb[1] > 0.2f, "expert " + e + " of " + experts + " is nearly grey");
      }
    }
    assertThrows(IllegalArgumentException.class, () -> RoutingPictures.expertColor(8, 8));
    assertThrows(IllegalArgumentException.class, () -> RoutingPictures.expertColor(-2, 8));
  }

  @Test
  void inconsistentInputIsRefusedWithTheReason() {
    List<float[][][]> images = List.<float[][][]>of(image(0));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RoutingPictures.draw(
                    images, P, E, List.of(new RoutingPictures.Column("a", List.of(new int[15])))));
    assertTrue(e.getMessage().contains("assigns 15 patches; an image has 16"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RoutingPictures.draw(
                    images,
                    P,
                    E,
                    List.of(new RoutingPictures.Column("a", List.of(new int[16], new int[16])))));
    assertTrue(e.getMessage().contains("2 assignments for 1 images"), e.getMessage());
    int[] bad = new int[16];
    bad[3] = E;
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                RoutingPictures.draw(
                    images, P, E, List.of(new RoutingPictures.Column("a", List.of(bad)))));
    assertTrue(e.getMessage().contains("names expert 4"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> RoutingPictures.draw(images, 5, E, List.of()));
    assertTrue(e.getMessage().contains("do not split into patches of 5"), e.getMessage());
  }

  @Test
  void colourImagesAreDrawnInColour() throws IOException {
    float[][][] rgb = new float[3][8][8];
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        rgb[0][y][x] = 1f; // pure red
      }
    }
    List<float[][][]> images = List.<float[][][]>of(rgb);
    BufferedImage png =
        ImageIO.read(new ByteArrayInputStream(RoutingPictures.draw(images, 4, 2, List.of())));
    RoutingPictures.Layout layout = RoutingPictures.Layout.of(images, 4, 2, List.of());
    assertEquals(14, layout.scale(), "8 pixels are enlarged 14 times, to 112");
    assertEquals(Color.RED.getRGB(), png.getRGB(layout.tileX(0) + 5, layout.tileY(0) + 5));
  }
}
