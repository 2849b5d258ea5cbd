package vimoe.cli;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.ZooModel;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import vimoe.data.ImageFolderFormat;
import vimoe.djl.VimoeModelZoo;

/**
 * {@code vimoe predict}: the top-5 classes of image files under a trained model, loaded through
 * DJL's Criteria ({@link VimoeModelZoo}); each image is classified on its own.
 */
@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description =
        "Classify image files (PNG or JPEG) with a trained model: the top 5 classes and their probabilities.")
final class PredictCommand implements Callable<Integer> {
  @Option(
      names = "--run",
      required = true,
      paramLabel = "RUN_DIR",
      description = "A run directory written by 'vimoe train', or a checkpoint directory.")
  Path run;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Mixin DeviceOptions device = new DeviceOptions();

  @Parameters(
      arity = "1..*",
      paramLabel = "IMAGE",
      description = "Image files; resized to the model's input.")
  List<Path> images;

  @Override
  public Integer call() throws Exception {
    List<Map<String, Object>> rows = new ArrayList<>();
    try (ZooModel<Image, Classifications> model =
            VimoeModelZoo.criteria(run, device.device()).loadModel();
        Predictor<Image, Classifications> predictor = model.newPredictor()) {
      for (Path file : images) {
        Image image = ImageFactory.getInstance().fromImage(ImageFolderFormat.readSource(file));
        List<Map<String, Object>> top = new ArrayList<>();
        for (Classifications.Classification c : predictor.predict(image).topK(5)) {
          top.add(Map.of("class", c.getClassName(), "probability", (float) c.getProbability()));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("image", file.toString());
        row.put("top5", top);
        rows.add(row);
      }
    }
    if (json) {
      System.out.println(
          new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows));
      return 0;
    }
    for (Map<String, Object> row : rows) {
      System.out.println(row.get("image"));
      for (Object t : (List<?>) row.get("top5")) {
        Map<?, ?> m = (Map<?, ?>) t;
        System.out.printf("  %6.2f%%  %s%n", 100 * (Float) m.get("probability"), m.get("class"));
      }
    }
    return 0;
  }
}
