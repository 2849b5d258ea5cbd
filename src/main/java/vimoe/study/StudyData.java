package vimoe.study;

import java.io.IOException;
import java.nio.file.Path;
import vimoe.data.Augmentation;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.ImageSet;
import vimoe.data.TrainTest;
import vimoe.model.VitConfig;
import vimoe.run.RunConfig;
import vimoe.run.TrainConfig;
import vimoe.train.TrainingRun;

/**
 * The dataset of a study, read once, and the configuration of each run built from it exactly as
 * {@code vimoe train} builds its own: the train limit, then a seeded validation hold-out, then the
 * normalisation statistics of the training split.
 */
final class StudyData {
  private final StudySpec spec;
  private final TrainTest data;

  private StudyData(StudySpec spec, TrainTest data) {
    this.spec = spec;
    this.data = data;
  }

  /** Reads the study's dataset in the model's input format. */
  static StudyData load(StudySpec spec) throws IOException {
    DatasetSpec ds = DatasetSpec.parse(spec.dataset());
    int size = spec.imageSize() == null ? 0 : spec.imageSize();
    return new StudyData(
        spec,
        Datasets.load(
            ds,
            spec.dataDir() == null ? null : Path.of(spec.dataDir()),
            spec.channels() == null ? 0 : spec.channels(),
            size,
            size));
  }

  /** The training images (before the limit and the hold-out). */
  ImageSet sample() {
    return data.train();
  }

  /** The model of a run (its grid entry: a router or a variant). */
  VitConfig model(StudyRun run) {
    ImageSet s = data.train();
    return spec.config(run.router(), run.point(), s.height(), s.channels(), s.numClasses());
  }

  /**
   * The training recipe of a run: the defaults of {@code train} with the study's overrides and the
   * run's seed.
   */
  TrainConfig train(StudyRun run) {
    Augmentation aug = Datasets.defaultAugmentation(DatasetSpec.parse(spec.dataset()));
    TrainConfig d = TrainConfig.defaults();
    return new TrainConfig(
        spec.epochs(),
        spec.batchSize() == null ? d.batchSize() : spec.batchSize(),
        spec.learningRate() == null ? d.learningRate() : spec.learningRate(),
        d.weightDecay(),
        d.warmupFraction(),
        d.labelSmoothing(),
        d.clipNorm(),
        run.seed(),
        spec.validationSize(),
        spec.trainLimit() > 0 ? spec.trainLimit() : null,
        aug.pad(),
        aug.horizontalFlip());
  }

  /**
   * The configuration and data of a run. Checks what {@code train} would refuse later (a batch that
   * does not fill routing groups, a split with fewer images than a batch).
   */
  Prepared prepare(StudyRun run) {
    VitConfig model = model(run);
    TrainConfig train = train(run);
    RunConfig bare =
        new RunConfig(
            spec.dataset(),
            spec.dataDir(),
            spec.model().variant(),
            model,
            train,
            null,
            null,
            data.train().classNames());
    TrainingRun.Splits splits = TrainingRun.splits(bare, data);
    TrainingRun.check(bare, splits);
    double[][] meanStd = splits.train().channelMeanStd();
    RunConfig config =
        new RunConfig(
            bare.dataset(),
            bare.dataDir(),
            bare.variant(),
            model,
            train,
            toFloat(meanStd[0]),
            toFloat(meanStd[1]),
            bare.classNames());
    return new Prepared(config, splits);
  }

  /** A run's configuration and data splits. */
  record Prepared(RunConfig config, TrainingRun.Splits splits) {}

  private static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }
}
