package vimoe.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One point of a study's grid: a value for every swept option (empty without a sweep).
 *
 * @param values option name (capacity_factor, experts, k, group_images) to value, in sweep order
 */
public record GridPoint(Map<String, Double> values) {
  /** The options that can be swept. */
  public static final List<String> SWEEPABLE =
      List.of("capacity_factor", "experts", "k", "group_images");

  /** Copies the map, keeping its order. */
  public GridPoint {
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /** The point of a study without sweeps. */
  public static GridPoint none() {
    return new GridPoint(Map.of());
  }

  /** Every combination of the swept values, the first sweep varying slowest. */
  public static List<GridPoint> all(Map<String, List<Double>> sweeps) {
    List<GridPoint> points = new ArrayList<>(List.of(none()));
    sweeps.forEach(
        (name, vals) -> {
          List<GridPoint> next = new ArrayList<>();
          for (GridPoint p : points) {
            for (double v : vals) {
              Map<String, Double> m = new LinkedHashMap<>(p.values());
              m.put(name, v);
              next.add(new GridPoint(m));
            }
          }
          points.clear();
          points.addAll(next);
        });
    return points;
  }

  /** The value of {@code name} as an integer, or {@code fallback} when it is not swept. */
  public int intOr(String name, int fallback) {
    Double v = values.get(name);
    return v == null ? fallback : (int) Math.round(v);
  }

  /** The value of {@code name}, or {@code fallback} when it is not swept. */
  public double doubleOr(String name, double fallback) {
    Double v = values.get(name);
    return v == null ? fallback : v;
  }

  /** For reports: {@code capacity_factor=1.25 experts=8}, empty without a sweep. */
  public String label() {
    StringBuilder out = new StringBuilder();
    values.forEach(
        (k, v) -> out.append(out.length() == 0 ? "" : " ").append(k).append('=').append(number(v)));
    return out.toString();
  }

  /** For run names: {@code -cf1.25-e8}, empty without a sweep. */
  String suffix() {
    StringBuilder out = new StringBuilder();
    values.forEach(
        (k, v) ->
            out.append('-')
                .append(
                    switch (k) {
                      case "capacity_factor" -> "cf";
                      case "experts" -> "e";
                      case "k" -> "k";
                      default -> "g";
                    })
                .append(number(v)));
    return out.toString();
  }

  /** A number without a needless ".0": 2 and 1.25. */
  public static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15
        ? Long.toString((long) v)
        : String.format(Locale.ROOT, "%s", v);
  }
}
