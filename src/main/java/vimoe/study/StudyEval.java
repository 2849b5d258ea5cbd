package vimoe.study;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.Corruptions;
import vimoe.data.ImageSet;
import vimoe.eval.CapacityAtEvaluation;
import vimoe.eval.Evaluator;
import vimoe.eval.RoutingCapture;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;
import vimoe.run.RunConfig;
import vimoe.train.TrainingRun;

/**
 * The study's evaluation of a trained run: corruptions, other capacity factors, routing pictures.
 */
final class StudyEval {
  /** Images per routing picture set. */
  static final int PICTURES = 8;

  /** Seed of the noise corruption (the same noise for every run). */
  private static final long NOISE_SEED = 20240131L;

  private StudyEval() {}

  /**
   * Evaluates the final checkpoint of the run in {@code dir}.
   *
   * @param capacityFactors factors to evaluate sparse routers at; null: the trained factor and
   *     twice it
   * @param trainedAccuracy the run's test accuracy at its trained factor (not measured again)
   */
  static RunExtras evaluate(
      RunConfig config,
      TrainingRun.Splits splits,
      Path dir,
      List<Double> capacityFactors,
      double trainedAccuracy)
      throws IOException {
    ImageSet test = splits.test();
    float[] mean = config.mean(), std = config.std();
    try (NDManager manager = NDManager.newBaseManager()) {
      VisionTransformer model = load(config, dir, manager);
      double noise =
          Evaluator.run(
                  model,
                  Corruptions.gaussianNoise(test, Corruptions.STUDY_NOISE_STD, NOISE_SEED),
                  mean,
                  std,
                  256,
                  manager,
                  false,
                  false)
              .accuracy();
      double rotation =
          Evaluator.run(
                  model,
                  Corruptions.rotate(test, Corruptions.STUDY_ROTATION_DEGREES),
                  mean,
                  std,
                  256,
                  manager,
                  false,
                  false)
              .accuracy();
      List<RunExtras.CapacityAccuracy> capacity = new ArrayList<>();
      if (CapacityAtEvaluation.applies(config.model().router().family())) {
        double trained = config.model().router().capacityFactor();
        List<Double> factors =
            capacityFactors != null ? capacityFactors : List.of(trained, 2 * trained);
        for (double cf : factors) {
          if (cf == trained) {
            capacity.add(new RunExtras.CapacityAccuracy(cf, true, trainedAccuracy));
            continue;
          }
          RunConfig other = CapacityAtEvaluation.withCapacityFactor(config, cf);
          try (NDManager sub = manager.newSubManager()) {
            capacity.add(
                new RunExtras.CapacityAccuracy(
                    cf,
                    false,
                    Evaluator.run(load(other, dir, sub), test, mean, std, 256, sub, false, false)
                        .accuracy()));
          }
        }
      }
      int[] pictures = pictureImages(test, config.model().groupImages());
      List<int[][]> dominant =
          model.moeLayers().isEmpty()
              ? List.of()
              : RoutingCapture.dominantExperts(model, test.subset(pictures), mean, std, manager)
                  .stream()
                  .map(
                      perImage ->
                          java.util.Arrays.copyOf(perImage, Math.min(PICTURES, perImage.length)))
                  .toList();
      List<Integer> shown = java.util.Arrays.stream(pictures).limit(PICTURES).boxed().toList();
      return new RunExtras(
          noise,
          rotation,
          capacity,
          shown,
          new int[] {test.channels(), test.height(), test.width()},
          shown.stream().map(test::image).toList(),
          model.moeBlockIndices(),
          dominant,
          splits.train().size(),
          splits.validation().size(),
          test.size());
    }
  }

  private static VisionTransformer load(RunConfig config, Path dir, NDManager manager)
      throws IOException {
    VisionTransformer model = new VisionTransformer(config.model());
    Checkpoint.loadModel(dir, model, manager);
    return model;
  }

  /**
   * The test images of the routing pictures: the first image of each class in turn (so the eight
   * show different classes where there are eight), then more in test order; padded to fill the
   * model's routing groups.
   */
  static int[] pictureImages(ImageSet test, int groupImages) {
    List<Integer> chosen = new ArrayList<>();
    int[] labels = test.labels();
    boolean[] seen = new boolean[test.numClasses()];
    for (int i = 0; i < labels.length && chosen.size() < PICTURES; i++) {
      if (!seen[labels[i]]) {
        seen[labels[i]] = true;
        chosen.add(i);
      }
    }
    for (int i = 0; i < labels.length && chosen.size() < PICTURES; i++) {
      if (!chosen.contains(i)) {
        chosen.add(i);
      }
    }
    int padded = (chosen.size() + groupImages - 1) / groupImages * groupImages;
    while (chosen.size() < padded) {
      chosen.add(chosen.get(chosen.size() - 1));
    }
    return chosen.stream().mapToInt(Integer::intValue).toArray();
  }
}
