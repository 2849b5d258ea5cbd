package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import vimoe.model.Variants;
import vimoe.run.TrainConfig;
import vimoe.study.Study;

/**
 * {@code study.json} names every value a study's runs use: the preset's and the defaults' values
 * written out, and the options that changed them marked with what they replaced.
 */
class StudySettingsTest {
  @Test
  void studyJsonNamesEveryValueUsedAndMarksTheOverrides(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    StudyCommand command = new StudyCommand();
    new CommandLine(command)
        .parseArgs(
            "--dataset",
            "idx:" + data,
            "--routers",
            "softmax-tc,soft",
            "--epochs",
            "1",
            "--train-limit",
            "200",
            "--validation-size",
            "32",
            "--width",
            "16",
            "--experts",
            "4",
            "--capacity-factor",
            "1.5");
    Path dir = tmp.resolve("study");
    Study.open(command.options.spec(), dir);

    JsonNode settings =
        StudyCommandTest.JSON.readTree(dir.resolve("study.json").toFile()).get("settings");
    assertEquals("quick", settings.get("preset").asText());
    List<String> changed = new ArrayList<>();
    settings.get("changed").forEach(c -> changed.add(c.asText()));
    Variants.Defaults micro = Variants.defaults("micro");
    assertEquals(
        List.of(
            "routers softmax-tc, soft, dense (default: the paper's 8)",
            "epochs 1 (preset quick: 3)",
            "train limit 200 (preset quick: 6000)",
            "validation size 32 (preset quick: 1000)",
            "capacity factor 1.5 (default: 1)",
            "experts 4 (micro: " + micro.experts() + ")",
            "width 16 (micro: " + micro.width() + ")"),
        changed);
    // the training recipe, defaults written out: the preset's batch, train's learning rate
    JsonNode training = settings.get("training");
    TrainConfig d = TrainConfig.defaults();
    assertEquals(1, training.get("epochs").asInt());
    assertEquals(64, training.get("batch_size").asInt());
    assertEquals(d.learningRate(), training.get("learning_rate").asDouble());
    assertEquals(d.weightDecay(), training.get("weight_decay").asDouble());
    assertEquals(d.warmupFraction(), training.get("warmup_fraction").asDouble());
    assertEquals(d.labelSmoothing(), training.get("label_smoothing").asDouble());
    assertEquals(d.clipNorm(), training.get("clip_norm").asDouble());
    assertEquals(200, training.get("train_limit").asInt());
    assertEquals(32, training.get("validation_size").asInt());
    assertEquals(2, training.get("seeds").asInt());
    // every router's model, the variant's values where no option was given
    assertEquals(List.of("softmax-tc", "soft", "dense"), names(settings.get("models")));
    for (JsonNode m : settings.get("models")) {
      assertEquals(8, m.get("image_size").asInt());
      assertEquals(1, m.get("channels").asInt());
      assertEquals(16, m.get("width").asInt());
      assertEquals(micro.depth(), m.get("depth").asInt());
      assertEquals(micro.heads(), m.get("heads").asInt());
      assertEquals(micro.mlpDim(), m.get("mlp_dim").asInt());
      assertEquals(micro.moeLayers(), m.get("moe_layers").asText());
      assertEquals(4, m.get("experts").asInt());
    }
    JsonNode tc = settings.get("models").get("softmax-tc").get("router");
    JsonNode soft = settings.get("models").get("soft").get("router");
    assertTrue(tc.toString().contains("1.5"), tc.toString());
    assertTrue(soft.toString().contains("1.5"), soft.toString()); // K * CF with K = 1
  }

  private static List<String> names(JsonNode object) {
    List<String> out = new ArrayList<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
