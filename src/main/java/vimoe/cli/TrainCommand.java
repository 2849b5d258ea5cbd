package vimoe.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import vimoe.data.Augmentation;
import vimoe.data.DatasetSpec;
import vimoe.data.Datasets;
import vimoe.data.ImageSet;
import vimoe.model.VitConfig;
import vimoe.train.RunConfig;
import vimoe.train.TrainConfig;
import vimoe.train.TrainingRun;

/** {@code vimoe train}: train and evaluate a ViT-MoE model. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a Vision Transformer whose last blocks are MoE layers, then evaluate it.",
            "",
            "Writes config.json, metrics.jsonl, checkpoint/ and result.json (test accuracy, few-shot "
                + "accuracy, throughput, parameters, FLOPs, routing statistics) into --output."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    DataOptions data = new DataOptions();

    @Mixin
    FewShotOptions fewShot = new FewShotOptions();

    @Mixin
    DeviceOptions device = new DeviceOptions();

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Run directory (default: runs/<router>-<time>).")
    Path output;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its last checkpoint.")
    Path resume;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default 10).")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "B", description = "Images per step (default 128).")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate of AdamW (default 2e-3).")
    Double learningRate;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay on weight matrices (default 0.05).")
    Double weightDecay;

    @Option(names = "--warmup", paramLabel = "FRACTION", description = "Fraction of steps of linear warm-up (default 0.05).")
    Double warmup;

    @Option(names = "--label-smoothing", paramLabel = "EPS", description = "Label smoothing (default 0.1).")
    Double labelSmoothing;

    @Option(names = "--clip-norm", paramLabel = "NORM", description = "Global gradient-norm clip, 0 for none (default 1).")
    Double clipNorm;

    @Option(names = "--seed", paramLabel = "SEED", description = "Seed of the whole run (default 0).")
    Long seed;

    @Option(names = "--validation-size", paramLabel = "N", description = "Training images held out for validation (default 5000).")
    Integer validationSize;

    @Option(names = "--train-limit", paramLabel = "N", description = "Use only the first N training images.")
    Integer trainLimit;

    @Option(names = "--pad", paramLabel = "PIXELS", description = "Random crop after padding (default: 2 for IDX datasets, 4 otherwise).")
    Integer pad;

    @Option(names = "--flip", negatable = true, description = "Random horizontal flips (default: off for IDX datasets, on otherwise).")
    Boolean flip;

    @Override
    public Integer call() throws Exception {
        if (resume != null) {
            RunConfig config = RunModel.readConfig(resume.resolve("config.json"));
            var few = fewShot.load(config.model());
            return report(TrainingRun.run(config, TrainingRun.splits(config), few, resume, true, progress(),
                    System.err, device.device()), resume);
        }
        DatasetSpec spec = DatasetSpec.parse(data.dataset);
        Augmentation defaults = Datasets.defaultAugmentation(spec);
        TrainConfig d = TrainConfig.defaults();
        TrainConfig train = new TrainConfig(or(epochs, d.epochs()), or(batchSize, d.batchSize()),
                or(learningRate, d.learningRate()), or(weightDecay, d.weightDecay()), or(warmup, d.warmupFraction()),
                or(labelSmoothing, d.labelSmoothing()), or(clipNorm, d.clipNorm()), seed == null ? d.seed() : seed,
                or(validationSize, d.validationSize()), or(trainLimit, d.trainLimit()), or(pad, defaults.pad()),
                flip == null ? defaults.horizontalFlip() : flip);
        Path dir = output != null ? output : Path.of("runs", model.router + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // Options, paths and the data's headers are checked before any pixel is read or file written.
        // The model's input size comes from the data; --image-size and --channels convert it.
        VitConfig vit = Preflight.train(model, data, fewShot, train, spec, dir);
        System.err.println("reading " + spec + "...");
        var probe = Datasets.load(spec, data.dataDir, vit.channels(), vit.imageSize(), vit.imageSize());
        ImageSet sample = probe.train();
        Preflight.splitSizes(train.trainLimit() > 0 ? Math.min(train.trainLimit(), sample.size()) : sample.size(),
                train, vit); // image folders tell their size only now
        var few = fewShot.load(vit); // read before training, so a bad dataset fails now, not after it
        String dataDir = data.dataDir == null ? null : data.dataDir.toString();
        RunConfig withModel = new RunConfig(data.dataset, dataDir, model.variant, vit, train, null, null,
                sample.classNames());
        TrainingRun.Splits splits = TrainingRun.splits(withModel, probe);
        double[][] meanStd = splits.train().channelMeanStd();
        RunConfig config = new RunConfig(withModel.dataset(), withModel.dataDir(), withModel.variant(), vit, train,
                toFloat(meanStd[0]), toFloat(meanStd[1]), sample.classNames());
        System.err.printf("training %s (%s, router %s) on %d images, validating on %d, testing on %d; run directory %s%n",
                config.variant(), vit.moeLayers(), vit.router().router(), splits.train().size(),
                splits.validation().size(), splits.test().size(), dir);
        return report(TrainingRun.run(config, splits, few, dir, false, progress(), System.err, device.device()), dir);
    }

    private static TrainingProgress progress() {
        return new TrainingProgress(System.err);
    }

    @SuppressWarnings("unchecked")
    private static int report(Map<String, Object> result, Path dir) {
        System.out.printf("test accuracy %.4f", (Double) result.get("test_accuracy"));
        Object few = ((Map<String, Object>) result.get("fewshot")).get("10");
        if (few != null) {
            System.out.printf(", 10-shot accuracy %.4f", (Double) ((Map<String, Object>) few).get("mean"));
        }
        Object ips = result.get("images_per_second");
        System.out.printf(", %s training images/s, %.0f s; results in %s%n",
                ips == null ? "-" : String.format("%.0f", (Double) ips), (Double) result.get("elapsed_seconds"),
                dir.resolve("result.json"));
        return 0;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    private static int or(Integer v, int d) {
        return v == null ? d : v;
    }

    private static double or(Double v, double d) {
        return v == null ? d : v;
    }
}
