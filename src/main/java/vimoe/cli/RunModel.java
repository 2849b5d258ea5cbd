package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vimoe.model.VisionTransformer;
import vimoe.train.Checkpoint;
import vimoe.train.RunConfig;
import vimoe.train.TrainingRun;

/**
 * A trained model loaded from a run directory or a checkpoint directory.
 *
 * @param config the run configuration
 * @param model the model with the checkpoint's parameters
 * @param home where reports about this model go: the run directory, or a standalone checkpoint directory
 */
record RunModel(RunConfig config, VisionTransformer model, Path home) {

    /**
     * Loads a model from {@code dir}: a run directory written by {@code train} (its config.json and
     * checkpoint/), a run's checkpoint/ directory, or a checkpoint directory copied elsewhere (it
     * holds its own config.json). Anything else gets one clear error.
     */
    static RunModel load(Path dir, NDManager manager) throws IOException {
        Path checkpoint, config, home;
        if (Files.isRegularFile(dir.resolve(Checkpoint.CONFIG)) && Checkpoint.exists(dir)) {
            checkpoint = dir.resolve(Checkpoint.DIR);
            config = dir.resolve(Checkpoint.CONFIG);
            home = dir;
        } else if (Files.isRegularFile(dir.resolve("model.params"))) {
            checkpoint = dir;
            Path parent = dir.toAbsolutePath().normalize().getParent();
            boolean inRun = parent != null && Files.isRegularFile(parent.resolve(Checkpoint.CONFIG));
            config = Files.isRegularFile(dir.resolve(Checkpoint.CONFIG)) ? dir.resolve(Checkpoint.CONFIG)
                    : inRun ? parent.resolve(Checkpoint.CONFIG) : null;
            home = inRun ? parent : dir;
            if (config == null) {
                throw new IOException(dir + " holds parameters but no config.json, here or in its parent; "
                        + "pass the run directory written by 'vimoe train'");
            }
        } else {
            throw new IOException(dir + " is not a run directory (no config.json and checkpoint/) or a checkpoint "
                    + "(no model.params); pass the --output of 'vimoe train' or its checkpoint/");
        }
        RunConfig rc = TrainingRun.JSON.readValue(config.toFile(), RunConfig.class);
        VisionTransformer model = new VisionTransformer(rc.model());
        Checkpoint.loadParameters(checkpoint, model, manager);
        return new RunModel(rc, model, home);
    }
}
