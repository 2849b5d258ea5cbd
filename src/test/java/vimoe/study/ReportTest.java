package vimoe.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import vimoe.cli.Main;

/** Run summaries, the Markdown table and the SVG plot of {@code vimoe report}, on hand-written run directories. */
class ReportTest {

    /** Writes a finished run: result.json and metrics.jsonl with step lines and one line per epoch. */
    static Path writeRun(Path dir, String router, double test, double... validation) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("result.json"), """
                {"router": "%s", "seed": 0, "epochs": %d, "test_accuracy": %s, "validation_accuracy": %s,
                 "fewshot": {"1": {"mean": 0.5, "std": 0.1}, "10": {"mean": 0.8653, "std": 0.0019}},
                 "images_per_second": 406.03, "elapsed_seconds": 1425.9,
                 "parameters": {"total": 304906, "active": 304906}, "flops_per_image": 32690944}
                """.formatted(router, validation.length, test, validation[validation.length - 1]));
        StringBuilder metrics = new StringBuilder();
        for (int e = 1; e <= validation.length; e++) {
            metrics.append("{\"step\": ").append(50 * e).append(", \"loss\": 1.0, \"learning_rate\": 0.001}\n");
            metrics.append("{\"epoch\": ").append(e).append(", \"step\": ").append(100 * e)
                    .append(", \"validation_accuracy\": ").append(validation[e - 1]).append("}\n");
        }
        Files.writeString(dir.resolve("metrics.jsonl"), metrics);
        return dir;
    }

    @Test
    void summaryReadsResultAndValidationCurve(@TempDir Path tmp) throws IOException {
        RunSummary s = RunSummary.read(writeRun(tmp.resolve("dense-e3"), "dense", 0.8808, 0.70, 0.80, 0.85));
        assertEquals("dense-e3", s.name());
        assertEquals("dense", s.router());
        assertEquals(3, s.epochs());
        assertEquals(0.8808, s.testAccuracy());
        assertEquals(0.85, s.validationAccuracy());
        assertEquals(0.8653, s.tenShotMean());
        assertEquals(List.of(0.70, 0.80, 0.85), s.validationCurve());
    }

    @Test
    void tableHasOneRowPerRunInOrder(@TempDir Path tmp) throws IOException {
        RunSummary a = RunSummary.read(writeRun(tmp.resolve("b-run"), "dense", 0.8808, 0.7, 0.8));
        RunSummary b = RunSummary.read(writeRun(tmp.resolve("a-run"), "softmax-ec", 0.8883, 0.75, 0.85));
        List<String> lines = Report.markdown(List.of(a, b)).lines().toList();
        assertEquals(4, lines.size());
        assertTrue(lines.get(2).startsWith("| b-run | `dense` | 2 | 88.08% | 86.53% ± 0.19 | 23 min 46 s | 406 "
                + "| 304,906 / 304,906 | 32.7 M |"), lines.get(2));
        assertTrue(lines.get(3).startsWith("| a-run | `softmax-ec` | 2 | 88.83% |"), lines.get(3));
        assertEquals("42 s", Report.duration(42.4));
        assertEquals("60 min 00 s", Report.duration(3600));
    }

    @Test
    void plotDrawsOneLinePerRunHigherAccuracyHigher(@TempDir Path tmp) throws Exception {
        RunSummary a = RunSummary.read(writeRun(tmp.resolve("a"), "dense", 0.88, 0.70, 0.80, 0.86));
        RunSummary b = RunSummary.read(writeRun(tmp.resolve("b"), "soft", 0.87, 0.72, 0.78));
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Report.svg(List.of(a, b)).getBytes(StandardCharsets.UTF_8)));
        NodeList lines = svg.getElementsByTagName("polyline");
        assertEquals(2, lines.getLength());
        double[][] first = points((Element) lines.item(0));
        assertEquals(3, first.length);
        assertEquals(2, points((Element) lines.item(1)).length);
        assertTrue(first[0][0] < first[1][0] && first[1][0] < first[2][0], "epochs run left to right");
        assertTrue(first[0][1] > first[1][1] && first[1][1] > first[2][1], "higher accuracy is drawn higher");
    }

    private static double[][] points(Element polyline) {
        return Arrays.stream(polyline.getAttribute("points").trim().split("\\s+"))
                .map(p -> Arrays.stream(p.split(",")).mapToDouble(Double::parseDouble).toArray())
                .toArray(double[][]::new);
    }

    @Test
    void unfinishedOrCorruptRunsGetClearErrors(@TempDir Path tmp) throws IOException {
        Path unfinished = Files.createDirectories(tmp.resolve("unfinished"));
        IOException e = assertThrows(IOException.class, () -> RunSummary.read(unfinished));
        assertTrue(e.getMessage().contains("has no result.json") && e.getMessage().contains("--resume"), e.getMessage());
        Path corrupt = writeRun(tmp.resolve("corrupt"), "dense", 0.5, 0.5);
        Files.writeString(corrupt.resolve("result.json"), "{\"router\": \"dense\", \"test_acc");
        e = assertThrows(IOException.class, () -> RunSummary.read(corrupt));
        assertTrue(e.getMessage().contains("result.json is not valid JSON"), e.getMessage());
        Path foreign = writeRun(tmp.resolve("foreign"), "dense", 0.5, 0.5);
        Files.writeString(foreign.resolve("result.json"), "{\"router\": \"dense\"}");
        e = assertThrows(IOException.class, () -> RunSummary.read(foreign));
        assertTrue(e.getMessage().contains("lacks \"test_accuracy\""), e.getMessage());
    }

    @Test
    void commandWritesNothingWhenOneRunIsBad(@TempDir Path tmp) throws IOException {
        Path good = writeRun(tmp.resolve("good"), "dense", 0.88, 0.8);
        Path table = tmp.resolve("table.md"), plot = tmp.resolve("plot.svg");
        assertEquals(1, Main.run("report", good.toString(), tmp.resolve("missing").toString(),
                "--output", table.toString(), "--plot", plot.toString()));
        assertFalse(Files.exists(table) || Files.exists(plot));
        assertEquals(0, Main.run("report", good.toString(), "--output", table.toString(), "--plot", plot.toString()));
        assertTrue(Files.readString(table).contains("| good | `dense` | 1 | 88.00% |"));
        assertTrue(Files.readString(plot).startsWith("<svg"));
    }
}
