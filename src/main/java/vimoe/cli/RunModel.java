package vimoe.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import vimoe.model.VisionTransformer;
import vimoe.train.Checkpoint;
import vimoe.train.RunConfig;
import vimoe.train.TrainingRun;

/** A trained model loaded from a run directory (its config.json and checkpoint). */
record RunModel(RunConfig config, VisionTransformer model) {

    /** Loads the run in {@code dir}; a missing or foreign directory gets one clear error. */
    static RunModel load(Path dir, NDManager manager) throws IOException {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw new IOException(dir + " is not a run directory (no config.json); pass the --output of 'vimoe train'");
        }
        RunConfig rc = TrainingRun.JSON.readValue(config.toFile(), RunConfig.class);
        VisionTransformer model = new VisionTransformer(rc.model());
        Checkpoint.loadModel(dir, model, manager);
        return new RunModel(rc, model);
    }
}
