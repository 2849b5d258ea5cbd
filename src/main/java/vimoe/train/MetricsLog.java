package vimoe.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/** {@code metrics.jsonl}: one JSON object per line, appended as training goes. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    /** A log at {@code file}; it is created on the first append. */
    public MetricsLog(Path file) {
        this.file = file;
    }

    /** Appends one record as a line. */
    public void append(Map<String, ?> record) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Drops the lines of steps after {@code step} (before resuming from a checkpoint at that step). */
    public void truncateAfter(int step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> kept = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .filter(line -> {
                    try {
                        return JSON.readTree(line).path("step").asInt(0) <= step;
                    } catch (IOException e) {
                        return false; // a torn last line from a crash
                    }
                }).toList();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, kept, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
