package vimoe.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the files of a trained model are, found from a run directory written by {@code train}, its
 * {@code checkpoint/} directory, or a checkpoint directory copied elsewhere (which holds its own
 * {@code config.json}).
 *
 * @param config the run configuration to build the model from
 * @param checkpoint the checkpoint directory holding the parameters (the one {@link
 *     Checkpoint#readable} picks in a run directory)
 * @param home where reports about the model go: the run directory, or a standalone checkpoint
 *     directory
 */
public record ModelFiles(Path config, Path checkpoint, Path home) {

  /**
   * Finds the files of the model in {@code dir}; anything else is refused with one line naming
   * {@code dir} and what to pass instead.
   */
  public static ModelFiles locate(Path dir) throws IOException {
    Path checkpoint =
        Files.isRegularFile(dir.resolve(RunDir.CONFIG)) && !Checkpoint.holdsParameters(dir)
            ? Checkpoint.readable(dir)
            : dir;
    if (!Checkpoint.holdsParameters(checkpoint)) {
      throw new IOException(
          dir
              + " is not a run directory (no config.json and checkpoint/) or a checkpoint "
              + "(no model.params); pass the --output of 'vimoe train' or its checkpoint/");
    }
    // A run's checkpoint/ reports into the run; a checkpoint elsewhere reports into itself.
    Path parent = checkpoint.toAbsolutePath().normalize().getParent();
    boolean inRun = parent != null && Files.isRegularFile(parent.resolve(Checkpoint.CONFIG));
    Path home = inRun ? parent : checkpoint;
    Path config =
        Files.isRegularFile(checkpoint.resolve(Checkpoint.CONFIG))
            ? checkpoint.resolve(Checkpoint.CONFIG)
            : home.resolve(Checkpoint.CONFIG);
    if (!Files.isRegularFile(config)) {
      throw new IOException(
          dir
              + " holds parameters but no config.json, here or in its parent; "
              + "pass the run directory written by 'vimoe train'");
    }
    return new ModelFiles(config, checkpoint, home);
  }
}
