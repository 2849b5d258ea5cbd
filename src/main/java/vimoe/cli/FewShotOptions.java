package vimoe.cli;

import java.io.IOException;
import picocli.CommandLine.Option;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.TrainTest;
import vimoe.eval.FewShotData;
import vimoe.model.VitConfig;

/** The option choosing the few-shot probe's dataset, shared by {@code train} and {@code eval}. */
final class FewShotOptions {
  @Option(
      names = "--fewshot-dataset",
      paramLabel = "SPEC",
      description =
          "Run the few-shot probe on this dataset instead of the training one: fashion-mnist, "
              + "idx:DIR, cifar10:DIR or folder:DIR, converted to the model's input size.")
  String dataset;

  /**
   * Checks the option and where its dataset is, without reading it (nothing to check without the
   * option).
   */
  void check() throws IOException {
    if (dataset != null) {
      Datasets.shape(DatasetSpec.parse(dataset), null);
    }
  }

  /**
   * Reads the chosen dataset in the input format of {@code model}, or returns null for the training
   * dataset.
   */
  FewShotData load(VitConfig model) throws IOException {
    if (dataset == null) {
      return null;
    }
    DatasetSpec spec = DatasetSpec.parse(dataset);
    System.err.println("reading " + spec + " for the few-shot probe...");
    TrainTest data =
        Datasets.load(spec, null, model.channels(), model.imageSize(), model.imageSize());
    return new FewShotData(dataset, data.train(), data.test());
  }
}
