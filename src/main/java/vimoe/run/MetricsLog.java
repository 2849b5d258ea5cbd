package vimoe.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl}: one JSON object per line, appended as training goes; every line has a
 * {@code step}. A run resumed from a checkpoint at step T first drops the lines after T ({@link
 * #truncateAfter}), so the log never misses or repeats an epoch; the trainer appends an epoch's
 * line before it saves that epoch's checkpoint.
 */
public final class MetricsLog {
  private final Path file;

  /** A log at {@code file}; it is created on the first append. */
  public MetricsLog(Path file) {
    this.file = file;
  }

  /** The log's file. */
  public Path file() {
    return file;
  }

  /**
   * Appends one record as a line (written through to the OS, so a killed process loses nothing).
   */
  public void append(Map<String, ?> record) throws IOException {
    append(record, false);
  }

  /** Appends one record as a line; with {@code sync}, forces the file to disk before returning. */
  public void append(Map<String, ?> record, boolean sync) throws IOException {
    byte[] line =
        (RunJson.LINES.writeValueAsString(record) + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer buffer = ByteBuffer.wrap(line);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (sync) {
        channel.force(false);
      }
    }
  }

  /**
   * Keeps the lines of steps up to {@code step} (0: none) and drops the rest, including a line torn
   * by a crash; rewritten atomically.
   */
  public void truncateAfter(int step) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    StringBuilder kept = new StringBuilder();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      try {
        var node = RunJson.LINES.readTree(line);
        if (node != null && node.path("step").isInt() && node.get("step").asInt() <= step) {
          kept.append(line).append('\n');
        }
      } catch (IOException e) {
        // a line torn by a crash: dropped
      }
    }
    AtomicFiles.write(file, kept.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Validation accuracy after each epoch (index epoch - 1; NaN for an epoch without one). */
  public List<Double> validationCurve() throws IOException {
    List<Double> curve = new java.util.ArrayList<>();
    for (Map<String, Object> m : read()) {
      if (m.get("epoch") instanceof Number epoch) {
        while (curve.size() < epoch.intValue()) {
          curve.add(Double.NaN);
        }
        curve.set(
            epoch.intValue() - 1,
            m.get("validation_accuracy") instanceof Number v ? v.doubleValue() : Double.NaN);
      }
    }
    return curve;
  }

  /** The records of the log, in order (a torn last line is skipped). */
  public List<Map<String, Object>> read() throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      try {
        out.add(
            RunJson.LINES.readValue(
                line, new com.fasterxml.jackson.core.type.TypeReference<>() {}));
      } catch (IOException e) {
        // a line torn by a crash
      }
    }
    return out;
  }
}
