package vimoe.study.report;

import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Composite;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Routing pictures: each image beside its patch grids, one grid per {@link Column} (a router and
 * MoE layer), each patch a solid block in the colour of the expert that processed it, grey where it
 * was dropped. Small images are enlarged by an integer factor with nearest-neighbour sampling (28 x
 * 28 to 112 x 112), so pixels and patches stay crisp; thin white lines separate the patches.
 */
public final class RoutingPictures {
  static {
    Headless.ensure();
  }

  /** The grey of dropped patches: lighter than any expert colour and unsaturated. */
  static final Color DROPPED = new Color(0xbdbdbd);

  private static final Color TEXT = new Color(0x1f2328);
  private static final int PAD = 14, GAP = 10, IMAGE_GAP = 22, ROW_GAP = 10, TARGET = 112;
  private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
  private static final Font LEGEND = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

  private RoutingPictures() {}

  /**
   * One column of routing pictures: a label (e.g. "softmax-ec, block 3") and, per image, the expert
   * of each patch in row-major patch order (-1: dropped, drawn grey).
   */
  public record Column(String label, List<int[]> expertPerPatch) {
    /** Copies the list (the arrays are read when drawing). */
    public Column {
      Objects.requireNonNull(label, "label");
      expertPerPatch = List.copyOf(expertPerPatch);
    }
  }

  /**
   * Draws the pictures as a PNG: rows are images; the first column is the image itself ({@code
   * [C][H][W]} in [0, 1], C = 1 or 3, all images the same size), then one patch grid per column,
   * patches ({@code patchSize} pixels square, row-major) coloured by {@link #expertColor}; a legend
   * of the expert colours and of the dropped grey below.
   *
   * @throws IllegalArgumentException if the images, the patch size or a column's assignments
   *     disagree
   */
  public static byte[] draw(
      List<float[][][]> images, int patchSize, int experts, List<Column> columns) {
    Layout layout = Layout.of(images, patchSize, experts, columns);
    BufferedImage out =
        new BufferedImage(layout.width(), layout.height(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, layout.width(), layout.height());
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
      drawHeaders(g, layout, columns);
      for (int r = 0; r < images.size(); r++) {
        drawImage(g, layout, r, images.get(r));
        for (int c = 0; c < columns.size(); c++) {
          drawGrid(g, layout, r, c + 1, columns.get(c).expertPerPatch().get(r), experts);
        }
      }
      drawLegend(g, layout, experts);
    } finally {
      g.dispose();
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(out, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing into memory does not fail
    }
    return png.toByteArray();
  }

  /**
   * The colour of an expert among {@code experts}: the 9 strong colours of {@link
   * Charts#seriesColor} for up to 9 experts, else saturated hues spaced evenly around the colour
   * wheel (light variants would be confused with the grey of dropped patches); -1 (dropped) is
   * grey.
   */
  public static Color expertColor(int expert, int experts) {
    if (expert < -1 || expert >= experts) {
      throw new IllegalArgumentException("expert " + expert + " is not in [-1, " + experts + ")");
    }
    if (expert == -1) {
      return DROPPED;
    }
    if (experts <= Charts.strongColours()) {
      return Charts.seriesColor(expert);
    }
    // alternate two brightness levels so that neighbouring hues stay apart
    return Color.getHSBColor((float) expert / experts, 0.75f, expert % 2 == 0 ? 0.9f : 0.65f);
  }

  private static void drawHeaders(Graphics2D g, Layout layout, List<Column> columns) {
    g.setFont(LABEL);
    g.setColor(TEXT);
    FontMetrics fm = g.getFontMetrics();
    for (int c = 0; c <= columns.size(); c++) {
      List<String> lines = layout.headerLines().get(c);
      int lineHeight = fm.getHeight();
      int y = PAD + layout.headerHeight() - 6 - (lines.size() - 1) * lineHeight - fm.getDescent();
      int centre = layout.tileX(c) + layout.tileWidth() / 2;
      for (String line : lines) {
        g.drawString(line, centre - fm.stringWidth(line) / 2, y);
        y += lineHeight;
      }
    }
  }

  private static void drawImage(Graphics2D g, Layout layout, int row, float[][][] image) {
    int s = layout.scale(), x0 = layout.tileX(0), y0 = layout.tileY(row);
    int channels = image.length, h = image[0].length, w = image[0][0].length;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int red = level(image[0][y][x]);
        int green = channels == 3 ? level(image[1][y][x]) : red;
        int blue = channels == 3 ? level(image[2][y][x]) : red;
        g.setColor(new Color(red, green, blue));
        g.fillRect(x0 + x * s, y0 + y * s, s, s); // nearest-neighbour enlargement
      }
    }
    // faint patch boundaries, so that a patch of the image matches its block in the grids
    Composite before = g.getComposite();
    g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.35f));
    g.setColor(Color.WHITE);
    drawGridLines(g, layout, x0, y0);
    g.setComposite(before);
  }

  private static void drawGrid(
      Graphics2D g, Layout layout, int row, int column, int[] assignment, int experts) {
    for (int q = 0; q < assignment.length; q++) {
      g.setColor(expertColor(assignment[q], experts));
      Rectangle box = layout.patchBox(row, column, q);
      g.fillRect(box.x, box.y, box.width, box.height);
    }
    g.setColor(Color.WHITE);
    drawGridLines(g, layout, layout.tileX(column), layout.tileY(row));
  }

  /**
   * One-pixel lines between patches (not around the tile, whose edge the background already marks).
   */
  private static void drawGridLines(Graphics2D g, Layout layout, int x0, int y0) {
    int cell = layout.cell();
    for (int i = 1; i < layout.patchColumns(); i++) {
      g.fillRect(x0 + i * cell, y0, 1, layout.tileHeight());
    }
    for (int i = 1; i < layout.patchRows(); i++) {
      g.fillRect(x0, y0 + i * cell, layout.tileWidth(), 1);
    }
  }

  private static void drawLegend(Graphics2D g, Layout layout, int experts) {
    g.setFont(LEGEND);
    FontMetrics fm = g.getFontMetrics();
    for (Layout.LegendItem item : layout.legend()) {
      g.setColor(expertColor(item.expert(), experts));
      g.fillRect(item.x(), item.y(), Layout.SWATCH, Layout.SWATCH);
      g.setColor(TEXT);
      g.drawString(
          item.text(),
          item.x() + Layout.SWATCH + 5,
          item.y() + (Layout.SWATCH + fm.getAscent() - fm.getDescent()) / 2);
    }
  }

  private static int level(float v) {
    return Math.round(255 * Math.max(0f, Math.min(1f, Float.isNaN(v) ? 0f : v)));
  }

  /**
   * Where everything goes, in pixels: tiles of {@code tileWidth x tileHeight} (the image enlarged
   * by {@code scale}), column {@code 0} the image, columns {@code 1..} the grids; {@code cell} is a
   * patch's side.
   */
  record Layout(
      int scale,
      int cell,
      int patchRows,
      int patchColumns,
      int columnWidth,
      int headerHeight,
      int rows,
      int width,
      int height,
      List<List<String>> headerLines,
      List<LegendItem> legend) {
    static final int SWATCH = 14;

    /** A legend entry: a swatch at (x, y) of the expert's colour, then the text. */
    record LegendItem(int expert, String text, int x, int y) {}

    static Layout of(List<float[][][]> images, int patchSize, int experts, List<Column> columns) {
      if (images.isEmpty()) {
        throw new IllegalArgumentException("no images to draw");
      }
      if (patchSize < 1 || experts < 1) {
        throw new IllegalArgumentException(
            "patch size " + patchSize + " and experts " + experts + " must be positive");
      }
      float[][][] first = images.get(0);
      int channels = first.length, h = first.length == 0 ? 0 : first[0].length;
      int w = h == 0 ? 0 : first[0][0].length;
      if ((channels != 1 && channels != 3) || h == 0 || w == 0) {
        throw new IllegalArgumentException(
            "an image is [C][H][W] with C = 1 or 3, not C = " + channels);
      }
      if (h % patchSize != 0 || w % patchSize != 0) {
        throw new IllegalArgumentException(
            "images of " + h + "x" + w + " do not split into patches of " + patchSize);
      }
      for (float[][][] image : images) {
        if (image.length != channels || image[0].length != h || image[0][0].length != w) {
          throw new IllegalArgumentException(
              "the images differ in size; all must be [" + channels + "][" + h + "][" + w + "]");
        }
      }
      int patchRows = h / patchSize, patchColumns = w / patchSize;
      for (Column c : columns) {
        if (c.expertPerPatch().size() != images.size()) {
          throw new IllegalArgumentException(
              "column \""
                  + c.label()
                  + "\" has "
                  + c.expertPerPatch().size()
                  + " assignments for "
                  + images.size()
                  + " images");
        }
        for (int[] a : c.expertPerPatch()) {
          if (a.length != patchRows * patchColumns) {
            throw new IllegalArgumentException(
                "column \""
                    + c.label()
                    + "\" assigns "
                    + a.length
                    + " patches; an image has "
                    + patchRows * patchColumns);
          }
          for (int e : a) {
            if (e < -1 || e >= experts) {
              throw new IllegalArgumentException(
                  "column \""
                      + c.label()
                      + "\" names expert "
                      + e
                      + ", not in [-1, "
                      + experts
                      + ")");
            }
          }
        }
      }
      int scale = Math.max(1, (int) Math.round((double) TARGET / Math.max(h, w)));
      int cell = patchSize * scale, tileWidth = w * scale;
      FontMetrics fm = metrics(LABEL);
      List<List<String>> headerLines = new ArrayList<>();
      headerLines.add(List.of("image"));
      int columnWidth = tileWidth;
      for (Column c : columns) {
        List<String> lines = wrap(c.label(), tileWidth + GAP - 4, fm);
        headerLines.add(lines);
        for (String line : lines) {
          columnWidth = Math.max(columnWidth, fm.stringWidth(line));
        }
      }
      int maxLines = headerLines.stream().mapToInt(List::size).max().orElse(1);
      int headerHeight = maxLines * fm.getHeight() + 6;
      int gridWidth =
          PAD * 2
              + columnWidth * (columns.size() + 1)
              + GAP * Math.max(0, columns.size() - 1)
              + (columns.isEmpty() ? 0 : IMAGE_GAP);
      int gridBottom =
          PAD + headerHeight + images.size() * (h * scale) + (images.size() - 1) * ROW_GAP;
      // the legend: "expert" swatches 0..E-1 then "dropped", wrapped to the picture's width
      FontMetrics lm = metrics(LEGEND);
      List<LegendItem> legend = new ArrayList<>();
      int width = Math.max(gridWidth, 320), x = PAD, y = gridBottom + 16;
      for (int e = 0; e <= experts; e++) {
        int expert = e == experts ? -1 : e;
        String text = expert == -1 ? "dropped" : "expert " + expert;
        int itemWidth = SWATCH + 5 + lm.stringWidth(text) + 16;
        if (x + itemWidth > width - PAD && x > PAD) {
          x = PAD;
          y += SWATCH + 8;
        }
        legend.add(new LegendItem(expert, text, x, y));
        x += itemWidth;
      }
      int height = y + SWATCH + PAD;
      return new Layout(
          scale,
          cell,
          patchRows,
          patchColumns,
          columnWidth,
          headerHeight,
          images.size(),
          width,
          height,
          List.copyOf(headerLines),
          List.copyOf(legend));
    }

    int tileWidth() {
      return patchColumns * cell;
    }

    int tileHeight() {
      return patchRows * cell;
    }

    /** The left edge of the tile of column {@code c} (0: the image), centred in its column. */
    int tileX(int c) {
      int left = PAD + c * (columnWidth + GAP) + (c > 0 ? IMAGE_GAP - GAP : 0);
      return left + (columnWidth - tileWidth()) / 2;
    }

    /** The top edge of the tiles of image row {@code r}. */
    int tileY(int r) {
      return PAD + headerHeight + r * (tileHeight() + ROW_GAP);
    }

    /** The pixels of patch {@code q} (row-major) of image row {@code r} in column {@code c}. */
    Rectangle patchBox(int r, int c, int q) {
      return new Rectangle(
          tileX(c) + (q % patchColumns) * cell, tileY(r) + (q / patchColumns) * cell, cell, cell);
    }

    private static FontMetrics metrics(Font font) {
      Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
      try {
        g.setRenderingHint(
            RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        return g.getFontMetrics(font);
      } finally {
        g.dispose();
      }
    }

    /**
     * The label on one line if it fits, else broken after each comma ("softmax-ec," / "block 3"),
     * each part wrapped greedily at spaces; a word wider than the width stands on a line of its
     * own.
     */
    private static List<String> wrap(String text, int width, FontMetrics fm) {
      text = text.strip().replaceAll("\\s+", " ");
      if (fm.stringWidth(text) <= width) {
        return List.of(text);
      }
      List<String> lines = new ArrayList<>();
      for (String part : text.split("(?<=,) ", -1)) {
        wrapWords(part, width, fm, lines);
      }
      return lines;
    }

    private static void wrapWords(String text, int width, FontMetrics fm, List<String> lines) {
      StringBuilder line = new StringBuilder();
      for (String word : text.split(" ", -1)) {
        if (line.length() > 0 && fm.stringWidth(line + " " + word) > width) {
          lines.add(line.toString());
          line.setLength(0);
        }
        line.append(line.length() > 0 ? " " : "").append(word);
      }
      lines.add(line.toString());
    }
  }
}
