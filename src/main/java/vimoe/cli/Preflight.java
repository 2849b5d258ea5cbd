package vimoe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.ImageSet;
import vimoe.model.ModelInfo;
import vimoe.model.VitConfig;
import vimoe.run.RunLock;
import vimoe.run.TrainConfig;
import vimoe.train.Trainer;
import vimoe.train.TrainingRun;

/**
 * The checks a command makes before it reads data or writes anything: options (with the user's
 * overrides applied to the defaults first), data locations and headers, output paths and free disk
 * space. Each failure is an {@link IllegalArgumentException} or an {@link IOException} whose
 * message names the option or file, the problem and the remedy.
 */
final class Preflight {
  /** Bytes a run needs besides its checkpoints: config, metrics, result (generous). */
  private static final long RUN_FILES_BYTES = 16L << 20;

  private Preflight() {}

  /**
   * Everything {@code train} can check before reading the dataset: the model configuration for the
   * dataset's shape (read from headers), the size of the converted images, batch and split sizes,
   * the few-shot dataset's location, the run directory and the free space for its checkpoints.
   *
   * @param defaultValidation whether the validation split is the default one (10% of the training
   *     images, {@link TrainConfig#defaultValidationSize}) rather than {@code train}'s
   * @return the validated model configuration
   */
  static VitConfig train(
      ModelOptions model,
      DataOptions data,
      FewShotOptions fewShot,
      TrainConfig train,
      boolean defaultValidation,
      DatasetSpec spec,
      Path runDir)
      throws IOException {
    Integer size = imageSize(data.imageSize, "--image-size");
    Integer channels = channels(data.channels);
    model.routerSpec(); // the router's own message names the bad option
    runDirectory(runDir, "--output");
    if (spec.kind() != DatasetSpec.Kind.FASHION_MNIST && data.dataDir != null) {
      throw new IllegalArgumentException(
          "--data-dir is for fashion-mnist only; with --dataset "
              + spec
              + " the directory is part of the spec; drop --data-dir");
    }
    Datasets.Shape shape = Datasets.shape(spec, data.dataDir);
    if (size == null && shape.height() != shape.width()) {
      throw new IllegalArgumentException(
          "--dataset "
              + spec
              + " has "
              + shape.height()
              + "x"
              + shape.width()
              + " images, not square; give --image-size N to resize them");
    }
    int side = size != null ? size : shape.height();
    int ch = channels != null ? channels : shape.channels();
    VitConfig vit = model.config(side, ch, shape.classes());
    if (shape.trainImages() >= 0) {
      long bytes = shape.trainImages() * ch * (long) side * side;
      if (bytes > ImageSet.MAX_PIXELS) {
        throw new IllegalArgumentException(
            "--dataset "
                + spec
                + ": "
                + shape.trainImages()
                + " images of "
                + ch
                + "x"
                + side
                + "x"
                + side
                + " need "
                + bytes
                + " bytes, more than one image set holds ("
                + ImageSet.MAX_PIXELS
                + "); use a smaller --image-size");
      }
      long images = train.trainImages(shape.trainImages());
      splitSizes(
          images,
          defaultValidation
              ? train.withValidationSize(
                  TrainConfig.defaultValidationSize((int) Math.min(images, Integer.MAX_VALUE)))
              : train,
          vit);
    }
    VitConfig.checkWholeGroups(train.batchSize(), vit.groupImages());
    fewShot.check(); // where it is and what it holds; it is read later
    long params = ModelInfo.of(vit).totalParameters();
    freeSpace(
        runDir,
        RUN_FILES_BYTES + 2 * 3 * 4 * params,
        "--output"); // 2 checkpoints of params, m and v
    return vit;
  }

  /**
   * Checks the split sizes of {@code images} training images (after --train-limit) against the
   * batch.
   */
  static void splitSizes(long images, TrainConfig train, VitConfig vit) {
    if (train.validationSize() < 1) {
      throw new IllegalArgumentException(
          "--validation-size must be >= 1, got "
              + train.validationSize()
              + "; the run reports its validation accuracy every epoch");
    }
    TrainingRun.checkValidationSize(train, images);
    Trainer.check(vit, train, images - train.validationSize());
  }

  /** The --image-size option, checked against the model's limit; null when absent. */
  static Integer imageSize(Integer size, String option) {
    if (size != null && (size < 1 || size > VitConfig.MAX_IMAGE_SIZE)) {
      throw new IllegalArgumentException(
          option + " must be between 1 and " + VitConfig.MAX_IMAGE_SIZE + " pixels, got " + size);
    }
    return size;
  }

  /** The --channels option: 1 (grey) or 3 (RGB); null when absent. */
  static Integer channels(Integer channels) {
    if (channels != null && channels != 1 && channels != 3) {
      throw new IllegalArgumentException("--channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    return channels;
  }

  /**
   * A new run directory: not a file, not holding a run, and creatable in a writable place.
   *
   * @param option the option that named it, for the message
   */
  static void runDirectory(Path dir, String option) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          option + " " + dir + " is a file, not a directory; choose another " + option);
    }
    if (Files.isDirectory(dir)) {
      RunLock.checkFree(dir); // a run being written there: name the process that writes it
    }
    if (Files.exists(dir.resolve("config.json"))) {
      throw new IllegalArgumentException(
          dir + " already holds a run; use --resume " + dir + " or another " + option);
    }
    writable(dir, option);
  }

  /**
   * An output file: not a directory, and in a directory that exists and is writable (the file is
   * written there under a temporary name first).
   *
   * @param option the option that named it, for the message
   */
  static void outputFile(Path file, String option) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(option + " " + file + " is a directory; give a file name");
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException(
          option
              + " "
              + file
              + ": the folder "
              + parent
              + " does not exist; create it first or choose another "
              + option);
    }
    if (!Files.isWritable(parent)) {
      throw new IllegalArgumentException(
          option
              + " "
              + file
              + ": the folder "
              + parent
              + " is not writable; choose another "
              + option);
    }
    if (Files.exists(file) && !Files.isWritable(file)) {
      throw new IllegalArgumentException(
          option + " " + file + " exists and is not writable; choose another " + option);
    }
  }

  /** The nearest existing folder at or above {@code path} is a writable directory. */
  static void writable(Path path, String option) {
    Path p = path.toAbsolutePath().normalize();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalArgumentException(option + " " + path + ": no folder above it exists");
    }
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException(
          option
              + " "
              + path
              + ": "
              + p
              + " is a file, not a folder; choose "
              + "another "
              + option);
    }
    if (!Files.isWritable(p)) {
      throw new IllegalArgumentException(
          option
              + " "
              + path
              + ": "
              + p
              + " is not writable; choose another "
              + option
              + " or fix its permissions");
    }
  }

  /** The file system of {@code path} has at least {@code bytes} free. */
  static void freeSpace(Path path, long bytes, String option) throws IOException {
    Path p = path.toAbsolutePath().normalize();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      return;
    }
    long free = Files.getFileStore(p).getUsableSpace();
    if (free < bytes) {
      throw new IOException(
          option
              + " "
              + path
              + ": "
              + (free >> 20)
              + " MiB free on its disk, the run needs "
              + "about "
              + (bytes >> 20)
              + " MiB for its checkpoints; free space or choose another "
              + option);
    }
  }
}
