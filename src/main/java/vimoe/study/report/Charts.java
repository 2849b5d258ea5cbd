package vimoe.study.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The report's charts, drawn with JFreeChart and encoded as PNG: white background, light grid,
 * fonts legible at the default 800 x 450 pixels, series in the qualitative palette of {@link
 * #seriesColor}. NaN values are left out (no bar, no point, no whisker).
 */
public final class Charts {
  static {
    Headless.ensure();
  }

  /** The default size of a chart in pixels. */
  static final int WIDTH = 800, HEIGHT = 450;

  /** Category10 without its grey, then its light variants without theirs: grey means "dropped". */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b),
    new Color(0xe377c2),
    new Color(0xbcbd22),
    new Color(0x17becf),
    new Color(0xaec7e8),
    new Color(0xffbb78),
    new Color(0x98df8a),
    new Color(0xff9896),
    new Color(0xc5b0d5),
    new Color(0xc49c94),
    new Color(0xf7b6d2),
    new Color(0xdbdb8d),
    new Color(0x9edae5)
  };

  private static final Color TEXT = new Color(0x1f2328),
      GRID = new Color(0xdde1e6),
      AXIS = new Color(0x8c959f);
  private static final String FONT = Font.SANS_SERIF;

  private Charts() {}

  /**
   * The colour of series {@code i}: 9 strong colours, then their light variants, then again; never
   * grey.
   */
  public static Color seriesColor(int i) {
    return PALETTE[Math.floorMod(i, PALETTE.length)];
  }

  /** How many strong colours {@link #seriesColor} starts with (then come their light variants). */
  static int strongColours() {
    return 9;
  }

  /**
   * Bars of means with 95% confidence whiskers from {@code lo} to {@code hi}, one bar per category,
   * the mean written beyond each whisker. The value axis spans the whiskers (it need not start at
   * 0, so that differences of a point of accuracy stay visible); when it spans 0, a zero line is
   * drawn. Long category names turn the chart on its side (horizontal bars).
   */
  public static byte[] barsWithCi(
      String title,
      String yLabel,
      List<String> categories,
      double[] mean,
      double[] lo,
      double[] hi) {
    return barsWithCi(
        title,
        yLabel,
        categories,
        mean,
        lo,
        hi,
        Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY);
  }

  /**
   * As {@link #barsWithCi(String, String, List, double[], double[], double[])} for a quantity that
   * cannot leave {@code [floor, ceiling]} (an accuracy in percent: 0 to 100): the value axis stays
   * within it.
   */
  public static byte[] barsWithCi(
      String title,
      String yLabel,
      List<String> categories,
      double[] mean,
      double[] lo,
      double[] hi,
      double floor,
      double ceiling) {
    sameLength(categories.size(), mean, lo, hi);
    return barChart(title, yLabel, categories, mean, lo, hi, floor, ceiling);
  }

  /**
   * Bars of values from 0, one per category, the value written beyond each bar; long names go
   * sideways.
   */
  public static byte[] bars(String title, String yLabel, List<String> categories, double[] values) {
    sameLength(categories.size(), values);
    return barChart(
        title,
        yLabel,
        categories,
        values,
        null,
        null,
        Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY);
  }

  private static byte[] barChart(
      String title,
      String yLabel,
      List<String> categories,
      double[] values,
      double[] lo,
      double[] hi,
      double floor,
      double ceiling) {
    int longest = longestLabel(categories);
    boolean sideways = longest > 120;
    JFreeChart chart =
        ChartFactory.createBarChart(
            title,
            null,
            yLabel,
            categoryData(categories, values),
            sideways ? PlotOrientation.HORIZONTAL : PlotOrientation.VERTICAL,
            false,
            false,
            false);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setRenderer(new WhiskerBarRenderer(lo, hi, decimals(maxAbs(values))));
    style(chart);
    plot.getRenderer().setSeriesPaint(0, seriesColor(0));
    CategoryAxis axis = plot.getDomainAxis();
    axis.setMaximumCategoryLabelLines(2);
    axis.setCategoryMargin(0.25);
    // JFreeChart gives an upright label about 3/4 of its category's width before it breaks it at a
    // hyphen
    if (!sideways && longest > 0.75 * (WIDTH - 100.0) / Math.max(1, categories.size())) {
      axis.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
    }
    if (sideways) {
      axis.setMaximumCategoryLabelWidthRatio(
          0.45f); // of the chart's width: long names stay on one line
      plot.setRangeAxisLocation(
          AxisLocation.BOTTOM_OR_RIGHT); // the value axis below, where it is read
    }
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    for (double[] array : lo == null ? new double[][] {values} : new double[][] {values, lo, hi}) {
      for (double v : array) {
        if (Double.isFinite(v)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    if (lo == null) {
      min = Math.min(min, 0); // plain bars start at 0
      max = Math.max(max, 0);
    }
    if (min <= max) {
      double pad = Math.max(max - min, Math.abs(max) * 0.01 + 1e-9) * (lo == null ? 0.12 : 0.25);
      double lower =
          min >= 0 && (lo == null || min - pad < 0)
              ? Math.max(0, lo == null ? 0 : min - pad)
              : min - pad;
      double upper = max <= 0 && lo == null ? 0 : max + pad;
      lower = Math.max(lower, floor);
      upper = Math.min(upper, ceiling);
      plot.getRangeAxis().setRange(lower, upper);
      // differences (a paired estimate and its interval) read against zero
      plot.setRangeZeroBaselineVisible(lower < 0 && upper > 0);
      plot.setRangeZeroBaselinePaint(TEXT);
      plot.setRangeZeroBaselineStroke(new BasicStroke(1.2f));
      zoomNote(chart, List.of(sideways ? "x" : "y"), List.of(plot.getRangeAxis()));
    }
    int height = sideways ? Math.max(HEIGHT, 110 + 34 * categories.size()) : HEIGHT;
    return png(chart, WIDTH, height);
  }

  /** The width in pixels of the widest label in the theme's tick label font. */
  private static int longestLabel(List<String> labels) {
    Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
    try {
      FontMetrics fm = g.getFontMetrics(new Font(FONT, Font.PLAIN, 13));
      return labels.stream().mapToInt(fm::stringWidth).max().orElse(0);
    } finally {
      g.dispose();
    }
  }

  /**
   * Lines with point markers, one per series ({@code name -> {xs, ys}}), in the map's order, with a
   * legend; integer x values (epochs) get integer ticks.
   */
  public static byte[] lines(
      String title, String xLabel, String yLabel, Map<String, double[][]> series) {
    XYSeriesCollection data = new XYSeriesCollection();
    boolean integral = true;
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      double[] xs = e.getValue()[0], ys = e.getValue()[1];
      if (xs.length != ys.length) {
        throw new IllegalArgumentException(
            "series "
                + e.getKey()
                + " has "
                + xs.length
                + " x values and "
                + ys.length
                + " y values");
      }
      XYSeries s = new XYSeries(e.getKey(), false, true);
      for (int i = 0; i < xs.length; i++) {
        if (Double.isFinite(xs[i]) && Double.isFinite(ys[i])) {
          s.add(xs[i], ys[i]);
          integral &= xs[i] == Math.rint(xs[i]);
        }
      }
      data.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, xLabel, yLabel, data, PlotOrientation.VERTICAL, series.size() > 1, false, false);
    return linePng(chart, new XYLineAndShapeRenderer(true, true), integral);
  }

  /**
   * {@code chart}'s lines drawn by {@code renderer} (thick round strokes, a dot at each point), its
   * axes finished: whole-number ticks when every x is {@code integral}, no forced 0, and the zoom
   * note when the y axis does not start at 0.
   */
  private static byte[] linePng(
      JFreeChart chart, XYLineAndShapeRenderer renderer, boolean integral) {
    XYPlot plot = chart.getXYPlot();
    renderer.setDefaultStroke(new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    renderer.setAutoPopulateSeriesStroke(false);
    renderer.setDefaultShape(new Ellipse2D.Double(-3.5, -3.5, 7, 7));
    renderer.setAutoPopulateSeriesShape(false);
    plot.setRenderer(renderer);
    style(chart);
    NumberAxis x = (NumberAxis) plot.getDomainAxis(), y = (NumberAxis) plot.getRangeAxis();
    if (integral) {
      x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    x.setAutoRangeIncludesZero(false);
    y.setAutoRangeIncludesZero(false);
    zoomNote(chart, List.of("y"), List.of(y));
    return png(chart, WIDTH, HEIGHT);
  }

  /**
   * Lines of means with a shaded 95% band, one per series ({@code name -> {xs, ys, lo, hi}}), in
   * the map's iteration order, with a legend; a NaN band end draws no band at that x. The y axis
   * need not start at 0; when it does not, the chart says so under its title.
   */
  public static byte[] linesWithBands(
      String title, String xLabel, String yLabel, Map<String, double[][]> series) {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    boolean integral = true;
    for (Map.Entry<String, double[][]> e : series.entrySet()) {
      double[][] v = e.getValue();
      if (v.length != 4) {
        throw new IllegalArgumentException("series " + e.getKey() + " needs xs, ys, lo and hi");
      }
      sameLength(v[0].length, v[1], v[2], v[3]);
      YIntervalSeries s = new YIntervalSeries(e.getKey(), false, true);
      for (int i = 0; i < v[0].length; i++) {
        if (Double.isFinite(v[0][i]) && Double.isFinite(v[1][i])) {
          boolean band = Double.isFinite(v[2][i]) && Double.isFinite(v[3][i]);
          s.add(v[0][i], v[1][i], band ? v[2][i] : v[1][i], band ? v[3][i] : v[1][i]);
          integral &= v[0][i] == Math.rint(v[0][i]);
        }
      }
      data.addSeries(s);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            title, xLabel, yLabel, data, PlotOrientation.VERTICAL, series.size() > 1, false, false);
    DeviationRenderer renderer = new DeviationRenderer(true, true);
    renderer.setAlpha(0.14f);
    for (int i = 0; i < series.size(); i++) {
      renderer.setSeriesPaint(i, seriesColor(i));
      renderer.setSeriesFillPaint(i, seriesColor(i));
    }
    return linePng(chart, renderer, integral);
  }

  /**
   * Labelled points with vertical 95% whiskers from {@code lo} to {@code hi} (NaN: no whisker), as
   * {@link #scatter}; zoomed axes are named under the title.
   */
  public static byte[] scatterWithErrors(
      String title,
      String xLabel,
      String yLabel,
      List<String> labels,
      double[] x,
      double[] y,
      double[] lo,
      double[] hi) {
    sameLength(labels.size(), x, y, lo, hi);
    LinkedHashMap<String, XYIntervalSeries> byLabel = new LinkedHashMap<>();
    for (int i = 0; i < x.length; i++) {
      XYIntervalSeries s = byLabel.computeIfAbsent(labels.get(i), l -> new XYIntervalSeries(l));
      if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
        boolean bar = Double.isFinite(lo[i]) && Double.isFinite(hi[i]);
        s.add(x[i], x[i], x[i], y[i], bar ? lo[i] : y[i], bar ? hi[i] : y[i]);
      }
    }
    XYIntervalSeriesCollection data = new XYIntervalSeriesCollection();
    byLabel.values().forEach(data::addSeries);
    JFreeChart chart =
        ChartFactory.createScatterPlot(
            title,
            xLabel,
            yLabel,
            data,
            PlotOrientation.VERTICAL,
            byLabel.size() > 1 && byLabel.size() <= 20,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    XYErrorRenderer renderer = new XYErrorRenderer();
    renderer.setDrawXError(false);
    renderer.setDrawYError(true);
    renderer.setErrorPaint(TEXT);
    renderer.setErrorStroke(new BasicStroke(1.4f));
    renderer.setCapLength(8);
    renderer.setDefaultShape(new Ellipse2D.Double(-5, -5, 10, 10));
    renderer.setAutoPopulateSeriesShape(false);
    labelPoints(renderer, x, y, span(y, lo, hi));
    plot.setRenderer(renderer);
    style(chart);
    NumberAxis xAxis = (NumberAxis) plot.getDomainAxis(), yAxis = (NumberAxis) plot.getRangeAxis();
    xAxis.setAutoRangeIncludesZero(false);
    yAxis.setAutoRangeIncludesZero(false);
    xAxis.setUpperMargin(0.15);
    xAxis.setLowerMargin(0.05);
    yAxis.setUpperMargin(0.08);
    yAxis.setLowerMargin(0.08);
    zoomNote(chart, List.of("x", "y"), List.of(xAxis, yAxis));
    return png(chart, WIDTH, HEIGHT);
  }

  /** Names each point beside it where {@link #namesFit}; the legend names them otherwise. */
  private static void labelPoints(
      XYLineAndShapeRenderer renderer, double[] x, double[] y, double ySpan) {
    if (!namesFit(x, y, ySpan)) {
      return;
    }
    renderer.setDefaultItemLabelGenerator((d, s, item) -> d.getSeriesKey(s).toString());
    renderer.setDefaultItemLabelsVisible(true);
    renderer.setDefaultItemLabelFont(new Font(FONT, Font.PLAIN, 12));
    renderer.setDefaultItemLabelPaint(TEXT);
    renderer.setDefaultPositiveItemLabelPosition(
        new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
    renderer.setDefaultNegativeItemLabelPosition(
        new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
    renderer.setItemLabelAnchorOffset(4);
  }

  /**
   * Whether the points can be named beside them: at most 16, and no two closer than a name's width
   * in x (16% of the x span) and a line's height in y (5% of {@code ySpan}), as overlapping names
   * cannot be read.
   */
  static boolean namesFit(double[] x, double[] y, double ySpan) {
    if (x.length > 16) {
      return false;
    }
    double xSpan = span(x);
    for (int i = 0; i < x.length; i++) {
      for (int j = i + 1; j < x.length; j++) {
        if (Math.abs(x[i] - x[j]) < 0.16 * xSpan && Math.abs(y[i] - y[j]) < 0.05 * ySpan) {
          return false;
        }
      }
    }
    return true;
  }

  /** The range max - min of the finite values (0 without two). */
  private static double span(double[]... values) {
    double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
    for (double[] v : values) {
      for (double d : v) {
        if (Double.isFinite(d)) {
          lo = Math.min(lo, d);
          hi = Math.max(hi, d);
        }
      }
    }
    return hi > lo ? hi - lo : 0;
  }

  /**
   * Says under the title which value axes do not start at 0 ("zoomed"), with where they start, so
   * that a small difference is not read as a large one. Axes that span 0 or end below it are not
   * zoomed.
   */
  static void zoomNote(JFreeChart chart, List<String> names, List<ValueAxis> axes) {
    List<String> zoomed = new java.util.ArrayList<>();
    for (int i = 0; i < axes.size(); i++) {
      ValueAxis a = axes.get(i);
      if (a instanceof NumberAxis n) {
        n.configure(); // the auto range, as drawing will compute it
      }
      double lower = a.getLowerBound();
      if (lower > 0) {
        zoomed.add(
            names.get(i)
                + " axis starts at "
                + format(lower, decimals(Math.max(Math.abs(a.getUpperBound()), lower))));
      }
    }
    if (!zoomed.isEmpty()) {
      TextTitle note =
          new TextTitle(
              "Zoomed: " + String.join(", ", zoomed) + ", not at 0",
              new Font(FONT, Font.ITALIC, 12));
      note.setPaint(AXIS.darker());
      chart.addSubtitle(note);
    }
  }

  /**
   * Labelled points: one colour (and legend entry) per distinct label, each point named beside it
   * when there are at most 16 points.
   */
  public static byte[] scatter(
      String title, String xLabel, String yLabel, List<String> labels, double[] x, double[] y) {
    sameLength(labels.size(), x, y);
    LinkedHashMap<String, XYSeries> byLabel = new LinkedHashMap<>();
    for (int i = 0; i < x.length; i++) {
      XYSeries s = byLabel.computeIfAbsent(labels.get(i), l -> new XYSeries(l, false, true));
      if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
        s.add(x[i], y[i]);
      }
    }
    XYSeriesCollection data = new XYSeriesCollection();
    byLabel.values().forEach(data::addSeries);
    JFreeChart chart =
        ChartFactory.createScatterPlot(
            title,
            xLabel,
            yLabel,
            data,
            PlotOrientation.VERTICAL,
            byLabel.size() > 1 && byLabel.size() <= 20,
            false,
            false);
    XYPlot plot = chart.getXYPlot();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
    renderer.setDefaultShape(new Ellipse2D.Double(-5, -5, 10, 10));
    renderer.setAutoPopulateSeriesShape(false);
    labelPoints(renderer, x, y, span(y));
    plot.setRenderer(renderer);
    style(chart);
    NumberAxis xAxis = (NumberAxis) plot.getDomainAxis(), yAxis = (NumberAxis) plot.getRangeAxis();
    xAxis.setAutoRangeIncludesZero(false);
    yAxis.setAutoRangeIncludesZero(false);
    xAxis.setUpperMargin(0.15); // room for the labels right of the points
    xAxis.setLowerMargin(0.05);
    yAxis.setUpperMargin(0.08);
    yAxis.setLowerMargin(0.08);
    zoomNote(chart, List.of("x", "y"), List.of(xAxis, yAxis));
    return png(chart, WIDTH, HEIGHT);
  }

  /**
   * A heat map of {@code values[row][column]} (rows top to bottom), cells coloured on a
   * perceptually uniform scale (viridis) with its legend titled {@code valueLabel}, each value
   * written in its cell when there are at most 200 cells; NaN cells are left light grey.
   */
  public static byte[] heatmap(
      String title,
      List<String> rowLabels,
      List<String> columnLabels,
      double[][] values,
      String valueLabel) {
    return heatmap(title, rowLabels, columnLabels, values, valueLabel, Double.NaN, Double.NaN);
  }

  /**
   * A heat map as {@link #heatmap(String, List, List, double[][], String)} on the fixed colour
   * scale {@code [lower, upper]} (values beyond it take the end colours; NaN ends: the values' own
   * range). An anchored scale keeps float noise from being stretched over the whole map: values
   * that differ by 1e-10 get one colour.
   */
  public static byte[] heatmap(
      String title,
      List<String> rowLabels,
      List<String> columnLabels,
      double[][] values,
      String valueLabel,
      double lower,
      double upper) {
    if (values.length != rowLabels.size()) {
      throw new IllegalArgumentException(
          values.length + " rows of values for " + rowLabels.size() + " labels");
    }
    int rows = rowLabels.size(), columns = columnLabels.size();
    double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
    double[][] xyz = new double[3][rows * columns];
    for (int r = 0; r < rows; r++) {
      if (values[r].length != columns) {
        throw new IllegalArgumentException(
            "row " + r + " has " + values[r].length + " values for " + columns + " column labels");
      }
      for (int c = 0; c < columns; c++) {
        xyz[0][r * columns + c] = c;
        xyz[1][r * columns + c] = r;
        xyz[2][r * columns + c] = values[r][c];
        if (Double.isFinite(values[r][c])) {
          min = Math.min(min, values[r][c]);
          max = Math.max(max, values[r][c]);
        }
      }
    }
    if (Double.isFinite(lower) && Double.isFinite(upper) && lower < upper) {
      min = lower;
      max = upper;
    } else if (!(min <= max)) {
      min = 0;
      max = 1;
    } else if (min == max) {
      min -= 0.5;
      max += 0.5;
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries("values", xyz);
    SymbolAxis x = new SymbolAxis(null, columnLabels.toArray(String[]::new));
    SymbolAxis y = new SymbolAxis(null, rowLabels.toArray(String[]::new));
    for (SymbolAxis a : new SymbolAxis[] {x, y}) {
      a.setGridBandsVisible(false);
      a.setLowerMargin(0);
      a.setUpperMargin(0);
    }
    y.setInverted(true); // the first row on top, as in the table
    Viridis scale = new Viridis(min, max);
    XYBlockRenderer renderer = new XYBlockRenderer();
    renderer.setPaintScale(scale);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    JFreeChart chart = new JFreeChart(title, plot);
    chart.removeLegend();
    NumberAxis legendAxis = new NumberAxis(valueLabel);
    legendAxis.setRange(min, max);
    legendAxis.setTickUnit(new NumberTickUnit(niceStep((max - min) / 6)));
    PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setAxisLocation(AxisLocation.BOTTOM_OR_RIGHT);
    legend.setStripWidth(14);
    legend.setSubdivisionCount(128);
    legend.setMargin(new RectangleInsets(8, 12, 8, 4));
    legend.setBackgroundPaint(Color.WHITE);
    chart.addSubtitle(legend);
    style(chart);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    x.setTickLabelFont(new Font(FONT, Font.PLAIN, 12));
    y.setTickLabelFont(new Font(FONT, Font.PLAIN, 12));
    legendAxis.setLabelFont(new Font(FONT, Font.PLAIN, 13));
    legendAxis.setTickLabelFont(new Font(FONT, Font.PLAIN, 12));
    if (rows * columns <= 200) {
      int decimals = decimals(Arrays.stream(values).mapToDouble(Charts::maxAbs).max().orElse(0));
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < columns; c++) {
          if (Double.isFinite(values[r][c])) {
            XYTextAnnotation a = new XYTextAnnotation(format(values[r][c], decimals), c, r);
            a.setFont(new Font(FONT, Font.PLAIN, columns > 12 ? 10 : 12));
            a.setPaint(luminance(scale.colour(values[r][c])) > 0.5 ? TEXT : Color.WHITE);
            plot.addAnnotation(a);
          }
        }
      }
    }
    if (columns > 10 && columnLabels.stream().anyMatch(l -> l.length() > 6)) {
      x.setVerticalTickLabels(true);
    }
    int height = Math.max(HEIGHT, 130 + 30 * rows);
    return png(chart, WIDTH, height);
  }

  // ------------------------------------------------------------------------------------------------

  /** The 1, 2 or 5 times a power of ten nearest above {@code step}. */
  static double niceStep(double step) {
    double power = Math.pow(10, Math.floor(Math.log10(step)));
    for (double m : new double[] {1, 2, 5}) {
      if (m * power >= step) {
        return m * power;
      }
    }
    return 10 * power;
  }

  private static DefaultCategoryDataset categoryData(List<String> categories, double[] values) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (int i = 0; i < categories.size(); i++) {
      data.addValue(Double.isFinite(values[i]) ? values[i] : null, "value", categories.get(i));
    }
    return data;
  }

  private static void style(JFreeChart chart) {
    StandardChartTheme theme = new StandardChartTheme("vimoe");
    theme.setExtraLargeFont(new Font(FONT, Font.BOLD, 17));
    theme.setLargeFont(new Font(FONT, Font.PLAIN, 14));
    theme.setRegularFont(new Font(FONT, Font.PLAIN, 13));
    theme.setSmallFont(new Font(FONT, Font.PLAIN, 12));
    theme.setTitlePaint(TEXT);
    theme.setAxisLabelPaint(TEXT);
    theme.setTickLabelPaint(TEXT);
    theme.setLegendItemPaint(TEXT);
    theme.setItemLabelPaint(TEXT);
    theme.setChartBackgroundPaint(Color.WHITE);
    theme.setLegendBackgroundPaint(Color.WHITE);
    theme.setPlotBackgroundPaint(Color.WHITE);
    theme.setPlotOutlinePaint(AXIS);
    theme.setDomainGridlinePaint(GRID);
    theme.setRangeGridlinePaint(GRID);
    theme.setBarPainter(new StandardBarPainter());
    theme.setXYBarPainter(new StandardXYBarPainter());
    theme.setShadowVisible(false);
    theme.setAxisOffset(new RectangleInsets(0, 0, 0, 0));
    Stroke line = new BasicStroke(2.2f);
    theme.setDrawingSupplier(
        new DefaultDrawingSupplier(
            PALETTE,
            new Paint[] {Color.WHITE},
            new Paint[] {AXIS},
            new Stroke[] {line},
            new Stroke[] {new BasicStroke(1f)},
            new Shape[] {new Ellipse2D.Double(-3.5, -3.5, 7, 7)}));
    theme.apply(chart);
    chart.setPadding(new RectangleInsets(8, 8, 8, 12));
    if (chart.getLegend() != null) {
      chart.getLegend().setFrame(BlockBorder.NONE);
    }
    if (chart.getPlot() instanceof XYPlot xy) {
      xy.setDomainGridlineStroke(new BasicStroke(1f));
      xy.setRangeGridlineStroke(new BasicStroke(1f));
    } else if (chart.getPlot() instanceof CategoryPlot cp) {
      cp.setRangeGridlineStroke(new BasicStroke(1f));
      cp.setDomainGridlinesVisible(false);
    }
  }

  private static byte[] png(JFreeChart chart, int width, int height) {
    try {
      return ChartUtils.encodeAsPNG(chart.createBufferedImage(width, height));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // encoding into memory does not fail
    }
  }

  private static void sameLength(int n, double[]... arrays) {
    for (double[] a : arrays) {
      if (a.length != n) {
        throw new IllegalArgumentException(a.length + " values for " + n + " categories or labels");
      }
    }
  }

  /**
   * The decimals that show values up to {@code max} in absolute value with three significant digits
   * at that magnitude (88.7, 691, 0.128; 0.080 for two-digit fractions), so one chart's labels
   * align.
   */
  static int decimals(double max) {
    if (!(max > 0) || !Double.isFinite(max)) {
      return 2;
    }
    int magnitude = (int) Math.floor(Math.log10(max));
    return Math.max(0, Math.min(6, magnitude >= 0 ? 2 - magnitude : 1 - magnitude));
  }

  /** {@code v} with {@code decimals} decimals, thousands grouped. */
  static String format(double v, int decimals) {
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  private static double maxAbs(double[]... arrays) {
    double max = 0;
    for (double[] a : arrays) {
      for (double v : a) {
        if (Double.isFinite(v)) {
          max = Math.max(max, Math.abs(v));
        }
      }
    }
    return max;
  }

  private static double luminance(Color c) {
    return (0.2126 * c.getRed() + 0.7152 * c.getGreen() + 0.0722 * c.getBlue()) / 255;
  }

  /**
   * Bars with optional whiskers ({@code lo}, {@code hi}: null for none) and the value written on
   * top.
   */
  private static final class WhiskerBarRenderer extends BarRenderer {
    private static final long serialVersionUID = 1L;
    private final double[] lo, hi;
    private final int decimals;

    WhiskerBarRenderer(double[] lo, double[] hi, int decimals) {
      this.lo = lo;
      this.hi = hi;
      this.decimals = decimals;
      setDrawBarOutline(false);
      setShadowVisible(false);
      setBarPainter(new StandardBarPainter());
      setMaximumBarWidth(0.12);
    }

    @Override
    public void drawItem(
        Graphics2D g2,
        CategoryItemRendererState state,
        Rectangle2D dataArea,
        CategoryPlot plot,
        CategoryAxis domainAxis,
        ValueAxis rangeAxis,
        CategoryDataset dataset,
        int row,
        int column,
        int pass) {
      super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
      Number value = dataset.getValue(row, column);
      if (value == null) {
        return;
      }
      boolean vertical = PlotOrientation.VERTICAL.equals(plot.getOrientation());
      // c: across the categories; v: along the value axis, with "beyond" the direction away from 0
      double c =
          domainAxis.getCategoryMiddle(
              column, dataset.getColumnCount(), dataArea, plot.getDomainAxisEdge());
      RectangleEdge edge = plot.getRangeAxisEdge();
      double v = value.doubleValue();
      double end = rangeAxis.valueToJava2D(v, dataArea, edge);
      double zero =
          rangeAxis.valueToJava2D(
              Math.max(rangeAxis.getLowerBound(), Math.min(0, rangeAxis.getUpperBound())),
              dataArea,
              edge);
      double beyond = Math.signum(end - zero) == 0 ? (vertical ? -1 : 1) : Math.signum(end - zero);
      if (lo != null && Double.isFinite(lo[column]) && Double.isFinite(hi[column])) {
        double a = rangeAxis.valueToJava2D(lo[column], dataArea, edge);
        double b = rangeAxis.valueToJava2D(hi[column], dataArea, edge);
        double cap = Math.min(8, state.getBarWidth() / 3);
        g2.setPaint(TEXT);
        g2.setStroke(new BasicStroke(1.6f));
        line(g2, vertical, c, a, c, b);
        line(g2, vertical, c - cap, a, c + cap, a);
        line(g2, vertical, c - cap, b, c + cap, b);
        end = beyond < 0 ? Math.min(end, Math.min(a, b)) : Math.max(end, Math.max(a, b));
      }
      if (dataset.getColumnCount() <= 16) {
        g2.setPaint(TEXT);
        g2.setFont(new Font(FONT, Font.PLAIN, 12));
        FontMetrics fm = g2.getFontMetrics();
        String text = format(v, decimals);
        int w = fm.stringWidth(text);
        if (vertical) {
          double y = beyond < 0 ? end - 5 : end + 5 + fm.getAscent();
          g2.drawString(text, (float) (c - w / 2.0), (float) Math.max(dataArea.getMinY() + 12, y));
        } else {
          double x = beyond > 0 ? end + 5 : end - 5 - w;
          g2.drawString(text, (float) x, (float) (c + (fm.getAscent() - fm.getDescent()) / 2.0));
        }
      }
    }

    /** A line given across-category and along-value coordinates, in the plot's orientation. */
    private static void line(
        Graphics2D g2, boolean vertical, double c1, double v1, double c2, double v2) {
      g2.draw(vertical ? new Line2D.Double(c1, v1, c2, v2) : new Line2D.Double(v1, c1, v2, c2));
    }
  }

  /**
   * The viridis colour map (anchors every 1/8 of matplotlib's table), interpolated linearly; NaN is
   * grey.
   */
  private static final class Viridis implements PaintScale {
    private static final int[] ANCHORS = {
      0x440154, 0x46327e, 0x365c8d, 0x277f8e, 0x1fa187, 0x4ac16d, 0x9fda3a, 0xd8e219, 0xfde725
    };
    private final double lower, upper;

    Viridis(double lower, double upper) {
      this.lower = lower;
      this.upper = upper;
    }

    @Override
    public double getLowerBound() {
      return lower;
    }

    @Override
    public double getUpperBound() {
      return upper;
    }

    @Override
    public Paint getPaint(double value) {
      return colour(value);
    }

    Color colour(double value) {
      if (!Double.isFinite(value)) {
        return new Color(0xeeeeee);
      }
      // positions are quantised to 1e-6 of the scale: values a rounding error apart (1e-10) get
      // the same colour even where an interpolated channel lies on a .5 rounding boundary
      double position = Math.rint(1e6 * (value - lower) / (upper - lower)) / 1e6;
      double t = Math.max(0, Math.min(1, position)) * (ANCHORS.length - 1);
      int i = Math.min((int) t, ANCHORS.length - 2);
      double f = t - i;
      Color a = new Color(ANCHORS[i]), b = new Color(ANCHORS[i + 1]);
      return new Color(
          (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
          (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
          (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
    }
  }
}
