package vimoe.study;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The numbers of one finished run, read from its directory ({@code result.json}, and the
 * per-epoch validation accuracy from {@code metrics.jsonl}).
 *
 * @param name the run directory's name
 * @param router the router, or {@code dense}
 * @param epochs epochs trained
 * @param seed the run's seed
 * @param testAccuracy top-1 accuracy on the test split
 * @param validationAccuracy top-1 accuracy on the validation split (NaN without one)
 * @param tenShotMean mean 10-shot probe accuracy (NaN when not drawn)
 * @param tenShotStd its standard deviation over draws (NaN when not drawn)
 * @param elapsedSeconds wall time of the whole run
 * @param imagesPerSecond training throughput (NaN when unknown)
 * @param parametersTotal all parameters
 * @param parametersActive parameters applied to one token
 * @param flopsPerImage FLOPs of one forward pass
 * @param validationCurve validation accuracy after each epoch, epoch 1 first (NaN where absent)
 */
public record RunSummary(String name, String router, int epochs, long seed, double testAccuracy,
        double validationAccuracy, double tenShotMean, double tenShotStd, double elapsedSeconds,
        double imagesPerSecond, long parametersTotal, long parametersActive, long flopsPerImage,
        List<Double> validationCurve) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads the run in {@code dir}.
     *
     * @throws IOException naming the directory and what to do when it is not a finished run or its
     *     files are not valid JSON
     */
    public static RunSummary read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + " is not a directory; pass run directories written by 'vimoe train'");
        }
        Path resultFile = dir.resolve("result.json");
        if (!Files.isRegularFile(resultFile)) {
            throw new IOException(dir + " has no result.json: the run has not finished; finish it with "
                    + "'vimoe train --resume " + dir + "'");
        }
        JsonNode r = parse(resultFile, Files.readString(resultFile, StandardCharsets.UTF_8));
        for (String field : List.of("router", "test_accuracy", "parameters", "flops_per_image")) {
            if (!r.hasNonNull(field)) {
                throw new IOException(resultFile + " lacks \"" + field + "\"; was it written by 'vimoe train'?");
            }
        }
        JsonNode ten = r.path("fewshot").path("10");
        List<Double> curve = new ArrayList<>();
        Path metrics = dir.resolve("metrics.jsonl");
        if (Files.isRegularFile(metrics)) {
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode m = parse(metrics, line);
                if (m.has("epoch")) {
                    int epoch = m.get("epoch").asInt();
                    while (curve.size() < epoch) {
                        curve.add(Double.NaN);
                    }
                    curve.set(epoch - 1, number(m.get("validation_accuracy")));
                }
            }
        }
        return new RunSummary(dir.toAbsolutePath().normalize().getFileName().toString(), r.get("router").asText(),
                r.path("epochs").asInt(curve.size()), r.path("seed").asLong(), r.get("test_accuracy").asDouble(),
                number(r.get("validation_accuracy")), number(ten.get("mean")), number(ten.get("std")),
                number(r.get("elapsed_seconds")), number(r.get("images_per_second")),
                r.get("parameters").path("total").asLong(), r.get("parameters").path("active").asLong(),
                r.get("flops_per_image").asLong(), List.copyOf(curve));
    }

    private static JsonNode parse(Path file, String text) throws IOException {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is not valid JSON (" + e.getOriginalMessage() + "); "
                    + "was it cut short? Run or evaluate again to rewrite it", e);
        }
    }

    private static double number(JsonNode n) {
        return n == null || !n.isNumber() ? Double.NaN : n.asDouble();
    }
}
