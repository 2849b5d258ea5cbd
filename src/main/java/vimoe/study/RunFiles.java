package vimoe.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import vimoe.train.Checkpoint;
import vimoe.train.RunConfig;
import vimoe.train.Trainer;
import vimoe.train.TrainingRun;

/**
 * The study's only contact with run directories: their state, training or resuming them, and
 * reading what they hold into typed records. (One adapter, so that the run-directory package can
 * replace what is here.)
 */
final class RunFiles {
    /** The study's evaluation of a run, beside its {@code result.json}. */
    static final String EXTRAS = "study-eval.json";
    /** Jackson for the study's own files: snake_case names, indented. */
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper PLAIN = new ObjectMapper();

    private RunFiles() {}

    /** Whether training finished ({@code result.json} written). */
    static boolean trained(Path dir) {
        return Files.isRegularFile(dir.resolve("result.json"));
    }

    /** Whether the run is finished for the study: trained and evaluated by the study. */
    static boolean finished(Path dir) {
        return trained(dir) && Files.isRegularFile(dir.resolve(EXTRAS));
    }

    /**
     * Trains the run in {@code dir}: resumes from its checkpoint when it has one, otherwise starts
     * afresh (a run killed before its first checkpoint leaves only a config, which is discarded).
     *
     * @return whether it resumed
     */
    static boolean train(RunConfig config, TrainingRun.Splits splits, Path dir, Trainer.Listener listener,
            PrintStream log) throws IOException {
        boolean resume = Checkpoint.exists(dir);
        if (!resume && Files.exists(dir)) {
            deleteRecursively(dir);
        }
        TrainingRun.run(resume ? TrainingRun.JSON.readValue(dir.resolve("config.json").toFile(), RunConfig.class)
                : config, splits, dir, resume, listener, log);
        return resume;
    }

    /** Writes the study's evaluation of the run, atomically. */
    static void writeExtras(Path dir, RunExtras extras) throws IOException {
        TrainingRun.writeAtomically(dir.resolve(EXTRAS), JSON.writeValueAsBytes(extras));
    }

    /** Writes {@code bytes} to a temporary sibling and renames it over {@code file}. */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        TrainingRun.writeAtomically(file, bytes);
    }

    /** Reads a finished run. */
    static RunRecord read(Path dir, StudyRun run) throws IOException {
        JsonNode r = PLAIN.readTree(dir.resolve("result.json").toFile());
        RunExtras extras = JSON.readValue(dir.resolve(EXTRAS).toFile(), RunExtras.class);
        List<RunRecord.LayerRouting> layers = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = r.path("routing").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode m = e.getValue();
            double[] perExpert = new double[m.path("tokens_per_expert").size()];
            for (int i = 0; i < perExpert.length; i++) {
                perExpert[i] = m.path("tokens_per_expert").get(i).asDouble();
            }
            layers.add(new RunRecord.LayerRouting(Integer.parseInt(e.getKey().replace("block", "")),
                    m.path("dropped_fraction").asDouble(), m.path("tokens_per_expert_cv").asDouble(),
                    m.path("experts_per_token_mean").asDouble(), perExpert));
        }
        return new RunRecord(run, r.path("test_accuracy").asDouble(), number(r.path("fewshot").path("10").get("mean")),
                number(r.get("images_per_second")), number(r.get("inference_images_per_second")),
                r.path("flops_per_image").asLong(), r.path("parameters").path("total").asLong(),
                r.path("parameters").path("active").asLong(), layers, validationCurve(dir), extras);
    }

    /** Validation accuracy after each epoch, from {@code metrics.jsonl}. */
    private static List<Double> validationCurve(Path dir) throws IOException {
        List<Double> curve = new ArrayList<>();
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(metrics)) {
            return curve;
        }
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode m;
            try {
                m = PLAIN.readTree(line);
            } catch (IOException e) {
                continue; // a torn line from a crash
            }
            if (m.has("epoch")) {
                int epoch = m.get("epoch").asInt();
                while (curve.size() < epoch) {
                    curve.add(Double.NaN);
                }
                curve.set(epoch - 1, number(m.get("validation_accuracy")));
            }
        }
        return curve;
    }

    private static double number(JsonNode n) {
        return n == null || !n.isNumber() ? Double.NaN : n.asDouble();
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
