package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vimoe.model.VisionTransformer;
import vimoe.run.Checkpoint;
import vimoe.run.ModelFiles;
import vimoe.run.RunConfig;
import vimoe.run.RunDir;
import vimoe.run.RunLock;

/**
 * A trained model loaded from a run directory or a checkpoint directory.
 *
 * @param config the run configuration
 * @param model the model with the checkpoint's parameters
 * @param files where the model's files are
 */
record RunModel(RunConfig config, VisionTransformer model, ModelFiles files) {

  /** Where reports about this model go: the run directory, or a standalone checkpoint directory. */
  Path home() {
    return files.home();
  }

  /**
   * Takes the lock of the directory that {@code eval} writes into for {@code dir} (the run
   * directory, or a standalone checkpoint directory); opening a run directory repairs what a crash
   * left there first.
   */
  static AutoCloseable lock(Path dir, String command) throws IOException {
    if (Files.isRegularFile(dir.resolve(RunDir.CONFIG)) && !Checkpoint.holdsParameters(dir)) {
      return RunDir.open(dir, command);
    }
    Path parent = dir.toAbsolutePath().normalize().getParent();
    if (Checkpoint.holdsParameters(dir)
        && parent != null
        && Files.isRegularFile(parent.resolve(RunDir.CONFIG))
        && dir.getFileName().toString().equals(Checkpoint.DIR)) {
      return RunDir.open(parent, command);
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException(
          dir
              + " is not a run directory (no config.json and checkpoint/) or a checkpoint "
              + "(no model.params); pass the --output of 'vimoe train' or its checkpoint/");
    }
    return RunLock.acquire(dir, command);
  }

  /**
   * Loads a model from {@code dir}: a run directory written by {@code train} (its config.json and
   * checkpoint/), a run's checkpoint/ directory, or a checkpoint directory copied elsewhere (it
   * holds its own config.json). Anything else gets one clear error; so do parameters that are not
   * finite (a diverged run).
   */
  static RunModel load(Path dir, NDManager manager) throws IOException {
    return load(dir, manager, java.util.function.UnaryOperator.identity());
  }

  /**
   * As {@link #load(Path, NDManager)}, with the saved configuration changed by {@code change}
   * before the model is built.
   */
  static RunModel load(
      Path dir, NDManager manager, java.util.function.UnaryOperator<RunConfig> change)
      throws IOException {
    ModelFiles files = ModelFiles.locate(dir);
    RunConfig rc = change.apply(RunDir.readConfig(files.config()));
    VisionTransformer model = new VisionTransformer(rc.model());
    Checkpoint.loadParameters(files.checkpoint(), model, manager);
    return new RunModel(rc, model, files);
  }
}
