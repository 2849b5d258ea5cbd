package vimoe.study;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import vimoe.data.Corruptions;
import vimoe.data.ImageSet;
import vimoe.eval.CapacityAtEvaluation;
import vimoe.eval.Evaluator;
import vimoe.eval.RoutingCapture;
import vimoe.model.VisionTransformer;
import vimoe.moe.routing.HostPaths;
import vimoe.run.Checkpoint;
import vimoe.run.RunConfig;
import vimoe.train.TrainingRun;

/**
 * The study's evaluation of a trained run beyond {@code result.json}'s: corruptions, other capacity
 * factors, routing pictures. It runs on the model in memory at the end of training ({@link
 * vimoe.train.TrainingRun.AfterEvaluation}), so each run is evaluated once.
 */
final class StudyEval {
  /** Images per routing picture set. */
  static final int PICTURES = 8;

  /** Seed of the noise corruption (the same noise for every run). */
  private static final long NOISE_SEED = 20240131L;

  private StudyEval() {}

  /**
   * Evaluates the trained model in memory (the study's part of the run's single evaluation), with a
   * progress line per phase on {@code log}.
   *
   * @param model the trained model, its arrays in {@code manager}
   * @param capacityFactors factors to evaluate sparse routers at; null: the trained factor and
   *     twice it
   * @param trainedAccuracy the run's test accuracy at its trained factor (not measured again)
   */
  static RunExtras evaluate(
      VisionTransformer model,
      NDManager manager,
      RunConfig config,
      TrainingRun.Splits splits,
      List<Double> capacityFactors,
      double trainedAccuracy,
      PrintStream log)
      throws IOException {
    ImageSet test = splits.test();
    float[] mean = config.mean(), std = config.std();
    Phases phases = new Phases(log, test.size());
    double noise =
        phases.time(
            "Gaussian noise",
            () ->
                Evaluator.run(
                        model,
                        Corruptions.gaussianNoise(test, Corruptions.STUDY_NOISE_STD, NOISE_SEED),
                        mean,
                        std,
                        256,
                        manager,
                        false,
                        false)
                    .accuracy());
    double rotation =
        phases.time(
            "rotation",
            () ->
                Evaluator.run(
                        model,
                        Corruptions.rotate(test, Corruptions.STUDY_ROTATION_DEGREES),
                        mean,
                        std,
                        256,
                        manager,
                        false,
                        false)
                    .accuracy());
    List<RunExtras.CapacityAccuracy> capacity = new ArrayList<>();
    if (CapacityAtEvaluation.applies(config.model().router().family())) {
      double trained = config.model().router().capacityFactor();
      List<Double> factors =
          capacityFactors != null ? capacityFactors : List.of(trained, 2 * trained);
      byte[] parameters = null;
      for (double cf : factors) {
        if (cf == trained) {
          capacity.add(new RunExtras.CapacityAccuracy(cf, true, trainedAccuracy));
          continue;
        }
        if (parameters == null) {
          parameters = parameters(model);
        }
        RunConfig other = CapacityAtEvaluation.withCapacityFactor(config, cf);
        byte[] trainedParameters = parameters;
        try (NDManager sub = manager.newSubManager()) {
          capacity.add(
              new RunExtras.CapacityAccuracy(
                  cf,
                  false,
                  phases.time(
                      "capacity factor " + GridPoint.number(cf),
                      () ->
                          Evaluator.run(
                                  withParameters(other, trainedParameters, sub),
                                  test,
                                  mean,
                                  std,
                                  256,
                                  sub,
                                  false,
                                  false)
                              .accuracy())));
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
    List<vimoe.moe.routing.RoutingViews> views =
        model.moeLayers().isEmpty()
            ? List.of()
            : phases.get(
                "routing views",
                () ->
                    RoutingCapture.views(
                        model, wholeGroups(test, config), mean, std, 256, manager));
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
        test.size(),
        manager.getDevice().toString(),
        HostPaths.forced() || manager.getDevice().isGpu() ? "device" : "host",
        deviceMemory(manager.getDevice()),
        views);
  }

  /** The test images in whole routing groups (the last partial group left out). */
  private static ImageSet wholeGroups(ImageSet test, RunConfig config) {
    int group = config.model().groupImages();
    int n = test.size() / group * group;
    return n == test.size() ? test : test.subset(java.util.stream.IntStream.range(0, n).toArray());
  }

  /**
   * Evaluates the final checkpoint of the run in {@code dir} on {@code device}: for a run whose
   * training finished in a process that was stopped before the study's evaluation.
   */
  static RunExtras evaluateCheckpoint(
      RunConfig config,
      TrainingRun.Splits splits,
      Path dir,
      List<Double> capacityFactors,
      double trainedAccuracy,
      Device device,
      PrintStream log)
      throws IOException {
    try (NDManager manager = NDManager.newBaseManager(device)) {
      VisionTransformer model = new VisionTransformer(config.model());
      Checkpoint.loadModel(dir, model, manager);
      return evaluate(model, manager, config, splits, capacityFactors, trainedAccuracy, log);
    }
  }

  /** Bytes in use on a GPU (by every process on it), or null on a CPU. */
  private static Long deviceMemory(Device device) {
    if (!device.isGpu()) {
      return null;
    }
    long used = ai.djl.util.cuda.CudaUtils.getGpuMemory(device).getUsed();
    return used >= 0 ? used : null;
  }

  /** The parameters of {@code model} in DJL's format, as a checkpoint holds them. */
  private static byte[] parameters(VisionTransformer model) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      model.saveParameters(out);
    }
    return bytes.toByteArray();
  }

  /**
   * The model of {@code config} holding {@code parameters}: a sparse router's parameters do not
   * depend on its capacity factor ({@link CapacityAtEvaluation}).
   */
  private static VisionTransformer withParameters(
      RunConfig config, byte[] parameters, NDManager manager) {
    VisionTransformer model = new VisionTransformer(config.model());
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(parameters))) {
      model.loadParameters(manager, in);
    } catch (IOException | ai.djl.MalformedModelException e) {
      throw new IllegalStateException("the trained parameters do not load at another capacity", e);
    }
    return model;
  }

  /** Times the study's evaluation phases and prints a line as each starts. */
  private static final class Phases {
    private final PrintStream log;
    private final int images;

    Phases(PrintStream log, int images) {
      this.log = log;
      this.images = images;
    }

    double time(String what, java.util.function.DoubleSupplier phase) {
      log.printf(java.util.Locale.ROOT, "test set under %s (%d images)...%n", what, images);
      return phase.getAsDouble();
    }

    <T> T get(String what, java.util.function.Supplier<T> phase) {
      log.printf(java.util.Locale.ROOT, "test set for %s (%d images)...%n", what, images);
      return phase.get();
    }
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
