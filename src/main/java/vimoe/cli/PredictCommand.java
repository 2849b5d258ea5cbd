package vimoe.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
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
import vimoe.model.VitConfig;

/** {@code vimoe predict}: the top-5 classes of image files under a trained model. */
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
    try (NDManager manager = NDManager.newBaseManager(device.device())) {
      RunModel loaded = RunModel.load(run, manager);
      VitConfig c = loaded.config().model();
      float[] mean = loaded.config().mean(), std = loaded.config().std();
      int size = c.channels() * c.imageSize() * c.imageSize(),
          plane = c.imageSize() * c.imageSize();
      int group = c.groupImages(), n = images.size(), padded = (n + group - 1) / group * group;
      float[] pixels = new float[padded * size];
      for (int i = 0; i < padded; i++) {
        byte[] raw =
            ImageFolderFormat.readImage(
                images.get(Math.min(i, n - 1)), c.channels(), c.imageSize(), c.imageSize());
        for (int j = 0; j < size; j++) {
          int ch = j / plane;
          pixels[i * size + j] = ((raw[j] & 0xff) / 255f - mean[ch]) / std[ch];
        }
      }
      NDArray x =
          manager.create(pixels, new Shape(padded, c.channels(), c.imageSize(), c.imageSize()));
      NDList out = loaded.model().forward(new ParameterStore(manager, false), new NDList(x), false);
      float[] probs = out.get(0).softmax(1).toFloatArray();
      List<String> names = loaded.config().classNames();
      List<Map<String, Object>> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Integer[] order = new Integer[c.numClasses()];
        for (int k = 0; k < order.length; k++) {
          order[k] = k;
        }
        int base = i * c.numClasses();
        java.util.Arrays.sort(order, (a, b) -> Float.compare(probs[base + b], probs[base + a]));
        List<Map<String, Object>> top = new ArrayList<>();
        for (int k = 0; k < Math.min(5, order.length); k++) {
          top.add(Map.of("class", names.get(order[k]), "probability", probs[base + order[k]]));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("image", images.get(i).toString());
        row.put("top5", top);
        rows.add(row);
      }
      if (json) {
        System.out.println(
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(rows));
      } else {
        for (Map<String, Object> row : rows) {
          System.out.println(row.get("image"));
          for (Object t : (List<?>) row.get("top5")) {
            Map<?, ?> m = (Map<?, ?>) t;
            System.out.printf(
                "  %6.2f%%  %s%n", 100 * (Float) m.get("probability"), m.get("class"));
          }
        }
      }
      return 0;
    }
  }
}
