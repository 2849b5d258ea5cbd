package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vimoe study} end to end on a tiny grid: 2 routers + dense, 2 seeds, 2 epochs of 8 x 8 textures. */
class StudyCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    static Path data;
    static Path uninterrupted;
    static CliRunner.Result first;

    static List<String> grid() {
        return List.of("--dataset", "idx:" + data, "--routers", "softmax-tc,softmax-ec", "--seeds", "2",
                "--epochs", "2", "--batch-size", "32", "--validation-size", "32", "--width", "16", "--depth", "2",
                "--heads", "2", "--mlp-dim", "32", "--experts", "4");
    }

    static String[] args(String... head) {
        List<String> a = new ArrayList<>(List.of(head));
        a.addAll(grid());
        return a.toArray(String[]::new);
    }

    @BeforeAll
    static void uninterruptedStudy() throws Exception {
        data = tmp.resolve("textures");
        TrainCommandTest.writeIdx(data, "train", 320, 1);
        TrainCommandTest.writeIdx(data, "t10k", 64, 2);
        uninterrupted = tmp.resolve("study");
        first = CliRunner.run("", args("study", "--output", uninterrupted.toString()));
    }

    @Test
    void studyWritesResultsAndReport() throws Exception {
        assertEquals(0, first.status(), first.err());
        JsonNode results = JSON.readTree(uninterrupted.resolve("results.json").toFile());
        assertEquals(3, results.get("results").size(), results.toPrettyString());
        assertEquals(3, results.get("findings").size());
        for (String f : List.of("study.json", "results.csv", "report.md", "report.html")) {
            assertTrue(Files.isRegularFile(uninterrupted.resolve(f)), f);
        }
    }
}
