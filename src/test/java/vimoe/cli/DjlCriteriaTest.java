package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vimoe.data.ImageFolderFormat;
import vimoe.djl.VimoeModelZoo;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.run.Checkpoint;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;

/**
 * A finished run loads through DJL's {@link Criteria} into a {@link ZooModel}, and gives the top-5
 * of {@code vimoe predict} and of the model's own forward pass on a PNG.
 */
class DjlCriteriaTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRunLoadsThroughCriteriaWithTheTop5OfPredict(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("textures");
    TrainCommandTest.writeIdx(data, "train", 320, 1);
    TrainCommandTest.writeIdx(data, "t10k", 64, 2);
    Path run = tmp.resolve("run");
    CliRunner.Result trained =
        CliRunner.run(
            "",
            "train",
            "--dataset",
            "idx:" + data,
            "--router",
            "softmax-ec",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--validation-size",
            "32",
            "--experts",
            "4",
            "--group-images",
            "2",
            "--output",
            run.toString());
    assertEquals(0, trained.status(), trained.err());
    Path png = tmp.resolve("checker.png");
    BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        image.getRaster().setSample(x, y, 0, (x + y) % 2 == 0 ? 190 : 50);
      }
    }
    ImageIO.write(image, "png", png.toFile());

    CliRunner.Result predicted =
        CliRunner.run("", "predict", "--run", run.toString(), "--json", png.toString());
    assertEquals(0, predicted.status(), predicted.err());
    JsonNode top5 = JSON.readTree(predicted.out()).get(0).get("top5");

    Classifications fromRun, fromCheckpoint;
    // README-CRITERIA-BEGIN
    Criteria<Image, Classifications> criteria =
        Criteria.builder()
            .setTypes(Image.class, Classifications.class)
            .optGroupId(VimoeModelZoo.GROUP_ID) // vimoe's model zoo
            .optArgument(VimoeModelZoo.RUN, run.toString()) // a run or checkpoint directory
            .build();
    try (ZooModel<Image, Classifications> model = criteria.loadModel();
        Predictor<Image, Classifications> predictor = model.newPredictor()) {
      Classifications top = predictor.predict(ImageFactory.getInstance().fromFile(png));
      System.out.println(top.topK(5));
      // README-CRITERIA-END
      assertEquals("softmax-ec", model.getProperty("router"));
      fromRun = top;
    }
    try (ZooModel<Image, Classifications> model =
            VimoeModelZoo.criteria(run.resolve(Checkpoint.DIR), null).loadModel();
        Predictor<Image, Classifications> predictor = model.newPredictor()) {
      fromCheckpoint = predictor.predict(ImageFactory.getInstance().fromFile(png));
    }

    float[] direct = forward(run, png);
    List<Classifications.Classification> best = fromRun.topK(5);
    assertEquals(4, best.size()); // only 4 classes
    assertEquals(top5.size(), best.size());
    for (int i = 0; i < best.size(); i++) {
      Classifications.Classification c = best.get(i);
      assertEquals(top5.get(i).get("class").asText(), c.getClassName(), "rank " + i);
      assertEquals(top5.get(i).get("probability").asDouble(), c.getProbability(), 1e-6);
      assertEquals(c.getClassName(), fromCheckpoint.topK(5).get(i).getClassName());
      assertEquals(c.getProbability(), fromCheckpoint.topK(5).get(i).getProbability(), 1e-7);
      int label = List.of("horizontal", "vertical", "checker", "flat").indexOf(c.getClassName());
      assertEquals(direct[label], c.getProbability(), 1e-6, c.getClassName());
    }

    ModelNotFoundException noRun =
        assertThrows(
            ModelNotFoundException.class,
            () ->
                Criteria.builder()
                    .setTypes(Image.class, Classifications.class)
                    .optGroupId(VimoeModelZoo.GROUP_ID)
                    .build()
                    .loadModel());
    assertTrue(
        String.valueOf(noRun.getMessage()).contains("optArgument")
            || String.valueOf(noRun.getCause()).contains("optArgument"),
        String.valueOf(noRun));
  }

  /**
   * Softmax of the model's logits on {@code png}, computed without DJL's predictor: the pixels as
   * training reads them, the group filled with the image, the checkpoint's parameters.
   */
  private static float[] forward(Path run, Path png) throws Exception {
    RunConfig config = RunDir.readConfig(run.resolve(RunDir.CONFIG));
    VitConfig c = config.model();
    byte[] raw = ImageFolderFormat.readImage(png, c.channels(), c.imageSize(), c.imageSize());
    int group = c.groupImages();
    float[] pixels = new float[group * raw.length];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = ((raw[i % raw.length] & 0xff) / 255f - config.mean()[0]) / config.std()[0];
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      VisionTransformer model = new VisionTransformer(c);
      Checkpoint.loadModel(run, model, manager);
      var x = manager.create(pixels, new Shape(group, c.channels(), c.imageSize(), c.imageSize()));
      var logits =
          model.forward(new ParameterStore(manager, false), new ai.djl.ndarray.NDList(x), false);
      return logits.head().get(0).softmax(0).toFloatArray();
    }
  }
}
