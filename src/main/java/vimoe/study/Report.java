package vimoe.study;

import java.util.List;
import java.util.Locale;

/** A head-to-head report of runs: a Markdown table and an SVG plot of validation accuracy per epoch. */
public final class Report {
    private static final String[] COLOURS = {
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    private static final int WIDTH = 720, HEIGHT = 420, LEFT = 60, RIGHT = 170, TOP = 30, BOTTOM = 50;

    private Report() {}

    /**
     * The Markdown table of the runs, in the order given: router, epochs, test accuracy, 10-shot
     * accuracy (mean ± std), wall time, training images/s, parameters (total / active), FLOPs per image.
     */
    public static String markdown(List<RunSummary> runs) {
        StringBuilder out = new StringBuilder();
        out.append("| run | router | epochs | test accuracy | 10-shot accuracy | wall time | training images/s "
                + "| parameters (total / active) | FLOPs per image |\n");
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for (RunSummary r : runs) {
            out.append(String.format(Locale.ROOT, "| %s | `%s` | %d | %s | %s | %s | %s | %,d / %,d | %.1f M |%n",
                    r.name(), r.router(), r.epochs(), percent(r.testAccuracy()),
                    Double.isNaN(r.tenShotMean()) ? "-"
                            : percent(r.tenShotMean()) + String.format(Locale.ROOT, " ± %.2f", 100 * r.tenShotStd()),
                    duration(r.elapsedSeconds()),
                    Double.isNaN(r.imagesPerSecond()) ? "-" : String.format(Locale.ROOT, "%.0f", r.imagesPerSecond()),
                    r.parametersTotal(), r.parametersActive(), r.flopsPerImage() / 1e6));
        }
        return out.toString();
    }

    /** An accuracy in [0, 1] as a percentage with two decimals, e.g. {@code 88.08%}. */
    static String percent(double accuracy) {
        return Double.isNaN(accuracy) ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * accuracy);
    }

    /** Seconds as {@code 23 min 46 s} (or {@code 42 s}). */
    static String duration(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }

    /**
     * An SVG line plot of validation accuracy (y, percent) against epoch (x), one line and legend
     * entry per run; runs without any validation accuracy are listed in the legend only.
     */
    public static String svg(List<RunSummary> runs) {
        int maxEpoch = 1;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (RunSummary r : runs) {
            maxEpoch = Math.max(maxEpoch, r.validationCurve().size());
            for (double v : r.validationCurve()) {
                if (!Double.isNaN(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 1;
        }
        lo = Math.floor(lo * 20) / 20; // grid every 5 points of accuracy
        hi = Math.max(lo + 0.05, Math.ceil(hi * 20) / 20);
        double plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">Validation accuracy per epoch</text>%n",
                LEFT));
        int ySteps = (int) Math.round((hi - lo) * 20);
        for (int i = 0; i <= ySteps; i++) {
            double v = lo + i * 0.05, y = TOP + plotH * (1 - (v - lo) / (hi - lo));
            out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotW, y));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f%%</text>%n",
                    LEFT - 6, y + 4, 100 * v));
        }
        int xStep = Math.max(1, maxEpoch / 10);
        for (int e = 1; e <= maxEpoch; e += xStep) {
            double x = xOf(e, maxEpoch, plotW);
            out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n",
                    x, TOP + (int) plotH + 18, e));
        }
        out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">epoch</text>%n",
                LEFT + plotW / 2, HEIGHT - 10));
        out.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                + "stroke=\"#444\"/>%n", LEFT, TOP, plotW, plotH));
        for (int i = 0; i < runs.size(); i++) {
            RunSummary r = runs.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder points = new StringBuilder();
            List<Double> curve = r.validationCurve();
            for (int e = 1; e <= curve.size(); e++) {
                double v = curve.get(e - 1);
                if (!Double.isNaN(v)) {
                    points.append(String.format(Locale.ROOT, "%.1f,%.1f ", xOf(e, maxEpoch, plotW),
                            TOP + plotH * (1 - (v - lo) / (hi - lo))));
                }
            }
            if (points.length() > 0) {
                out.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                        + "points=\"%s\"><title>%s</title></polyline>%n", colour, points.toString().trim(), escape(r.name())));
            }
            double ly = TOP + 10 + 18 * i;
            out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
                    + "stroke-width=\"2\"/>%n", WIDTH - RIGHT + 12, ly, WIDTH - RIGHT + 32, ly, colour));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\">%s</text>%n", WIDTH - RIGHT + 38, ly + 4,
                    escape(r.name())));
        }
        out.append("</svg>\n");
        return out.toString();
    }

    private static double xOf(int epoch, int maxEpoch, double plotW) {
        return LEFT + (maxEpoch == 1 ? plotW / 2 : plotW * (epoch - 1) / (maxEpoch - 1));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
