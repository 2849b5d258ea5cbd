package vimoe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad invocation, one row each: exit status 2, exactly one line on standard error
 * that names the problem, no stack trace, nothing on standard output, and no file or directory
 * created or changed (neither under the fixtures' folder nor in the working directory).
 */
class BadInvocationsTest {
  @TempDir static Path tmp;

  /** A tiny IDX dataset, a trained run, and damaged copies of it, made once. */
  @BeforeAll
  static void fixtures() throws Exception {
    Path data = tmp.resolve("data");
    TrainCommandTest.writeIdx(data, "train", 96, 1);
    TrainCommandTest.writeIdx(data, "t10k", 32, 2);
    Path run = tmp.resolve("run");
    CliRunner.Result trained =
        CliRunner.run("", CliRunner.tinyTrain(data, run).toArray(String[]::new));
    assertEquals(0, trained.status(), trained.err());
    Files.createDirectories(tmp.resolve("a-dir"));
    Files.createDirectories(tmp.resolve("empty"));
    Files.writeString(tmp.resolve("afile.txt"), "not a directory\n");
    Files.writeString(tmp.resolve("not-an-image.png"), "text\n");
    TrainCommandTest.writeTextureFolder(
        tmp.resolve("tiny-folder"), 2, 3); // 2 images per class: no test split
    TrainCommandTest.writeTextureFolder(tmp.resolve("ok-folder"), 6, 3);
    Files.createDirectories(tmp.resolve("no-classes"));
    Files.createDirectories(tmp.resolve("cifar"));
    Files.write(tmp.resolve("cifar").resolve("data_batch_1.bin"), new byte[100]);
    damagedCopy(run, "short-params", "model.params", 0.5);
    damagedCopy(run, "short-optimizer", "optimizer.bin", 0.5);
    damagedCopy(run, "empty-params", "model.params", 0);
    Path badState = copyRun(run, "bad-state");
    Files.writeString(badState.resolve("checkpoint").resolve("state.json"), "{\"epoch\": \"one\"");
    Path badConfig = copyRun(run, "bad-config");
    Files.writeString(badConfig.resolve("config.json"), "{\"model\": 3}");
    Files.writeString(badConfig.resolve("checkpoint").resolve("config.json"), "[1, 2");
    Files.writeString(
        tmp.resolve("request-nan.json"), "{\"router\": \"softmax-tc\", \"logits\": [[NaN, 1]]}");
  }

  private static Path copyRun(Path run, String name) throws IOException {
    Path copy = tmp.resolve(name);
    try (Stream<Path> files = Files.walk(run)) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(run.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    return copy;
  }

  private static void damagedCopy(Path run, String name, String file, double keep)
      throws IOException {
    Path target = copyRun(run, name).resolve("checkpoint").resolve(file);
    try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
      f.setLength((long) (f.length() * keep));
    }
  }

  /**
   * One bad invocation: arguments ({T} is the fixtures' folder), standard input, and words the
   * error must hold.
   */
  record Case(String expected, String stdin, String... args) {
    @Override
    public String toString() {
      return String.join(" ", args).replace("{T}/", "");
    }
  }

  private static Case c(String expected, String... args) {
    return new Case(expected, "", args);
  }

  static List<Case> cases() {
    String idx = "idx:{T}/data";
    List<Case> cases =
        new ArrayList<>(
            List.of(
                // What picocli refuses: one line and a pointer to --help, no usage text.
                c("unknown options: '--epoch'", "train", "--epoch", "3"),
                c("'abc' is not an int", "train", "--epochs", "abc"),
                c("missing required parameter for option '--epochs'", "train", "--epochs"),
                c("unmatched argument", "frobnicate"),
                c("missing required option: '--run", "predict", "{T}/x.png"),
                c("missing required parameter", "predict", "--run", "{T}/run"),
                c("missing required parameter", "eval"),
                c("missing required parameter", "report"),
                c("'x' is not an int", "bench", "--steps", "x"),
                c("'1.5' is not an int", "info", "--k", "1.5"),
                c("unknown option", "routers", "--bogus"),
                // Model options, with the user's overrides applied before validation.
                c("unknown router \"top3\"", "info", "--router", "top3"),
                c("unknown model variant \"huge\"", "info", "--model", "huge"),
                c("k must be >= 1", "info", "--router", "softmax-tc", "--k", "0"),
                c(
                    "k applies to token choice and global choice routers only",
                    "info",
                    "--router",
                    "softmax-ec",
                    "--k",
                    "2"),
                c(
                    "k = 9 exceeds the number of experts e = 8",
                    "info",
                    "--router",
                    "softmax-tc",
                    "--k",
                    "9"),
                c("capacity_factor must be > 0, got 0.0", "info", "--capacity-factor", "0"),
                c("capacity_factor must be > 0, got -1.0", "info", "--capacity-factor", "-1"),
                c("capacity_factor must be > 0, got nan", "info", "--capacity-factor", "NaN"),
                c(
                    "capacity_factor must be > 0, got infinity",
                    "info",
                    "--capacity-factor",
                    "Infinity"),
                c("experts must be >= 1", "info", "--experts", "0"),
                c("experts must be <= 4096", "info", "--experts", "100000"),
                c("places no moe block", "info", "--moe-layers", "every:99"),
                c("places no moe block", "info", "--moe-layers", "last:0"),
                c("moe_layers \"7\" is not valid for depth 6", "info", "--moe-layers", "7"),
                c("moe_layers \"bogus\" is not valid", "info", "--moe-layers", "bogus"),
                c("patch_size 5 must divide image_size 28", "info", "--patch-size", "5"),
                c("heads 5 must divide width 64", "info", "--heads", "5"),
                c("image_size 100000 is above the limit of 1024", "info", "--image-size", "100000"),
                c("image_size must be >= 1", "info", "--image-size", "0"),
                c("num_classes must be >= 2", "info", "--classes", "1"),
                c("--pooling must be gap or token", "info", "--pooling", "max"),
                c("unknown option \"foo\"", "info", "--router-option", "foo=1"),
                c("noise_std must be >= 0", "info", "--router-option", "noise_std=-1"),
                c("slots applies to the soft router only", "info", "--router-option", "slots=3"),
                c("capacity_rounding", "info", "--router-option", "capacity_rounding=up"),
                c("width must be <= 65536", "info", "--width", "100000", "--heads", "1"),
                c("group_images must be >= 1", "info", "--group-images", "0"),
                c("a routing group would hold", "info", "--group-images", "100000"),
                c("unknown router \"top3\"", "bench", "--routers", "top3"),
                c("--batch-size must be >= 1, got 0", "bench", "--batch-size", "0"),
                c("--steps must be >= 1, got 0", "bench", "--steps", "0"),
                c("--rounds must be >= 1, got -1", "bench", "--rounds", "-1"),
                c(
                    "--batch-size 10 is not a multiple of --group-images 3",
                    "bench",
                    "--batch-size",
                    "10",
                    "--group-images",
                    "3"),
                // train: every option, path and dataset header is checked before anything is read
                // or written.
                c(
                    "epochs must be >= 1, got 0",
                    "train",
                    "--epochs",
                    "0",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "batch_size must be >= 1",
                    "train",
                    "--batch-size",
                    "0",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "learning_rate must be > 0",
                    "train",
                    "--lr",
                    "0",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "learning_rate must be > 0, got nan",
                    "train",
                    "--lr",
                    "NaN",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "warmup_fraction must be in [0, 1)",
                    "train",
                    "--warmup",
                    "1.5",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "label_smoothing must be in [0, 1)",
                    "train",
                    "--label-smoothing",
                    "1",
                    "--dataset",
                    idx),
                c(
                    "clip_norm must be >= 0",
                    "train",
                    "--clip-norm",
                    "-1",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c(
                    "validation_size must be >= 0",
                    "train",
                    "--validation-size",
                    "-5",
                    "--dataset",
                    idx),
                c("train_limit must be >= 1", "train", "--train-limit", "-1", "--dataset", idx),
                c(
                    "pad must be >= 0",
                    "train",
                    "--pad",
                    "-1",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/new"),
                c("unknown dataset \"mnist:/x\"", "train", "--dataset", "mnist:/x"),
                c("needs a directory", "train", "--dataset", "idx:"),
                c(
                    "{T}/nowhere is not a directory",
                    "train",
                    "--dataset",
                    "idx:{T}/nowhere",
                    "--output",
                    "{T}/new"),
                c(
                    "{T}/nowhere is not a directory",
                    "train",
                    "--dataset",
                    "cifar10:{T}/nowhere",
                    "--output",
                    "{T}/new"),
                c(
                    "data_batch_1.bin has 100 bytes",
                    "train",
                    "--dataset",
                    "cifar10:{T}/cifar",
                    "--output",
                    "{T}/new"),
                c(
                    "{T}/nowhere is not a directory",
                    "train",
                    "--dataset",
                    "folder:{T}/nowhere",
                    "--output",
                    "{T}/new"),
                c(
                    "{T}/no-classes has no class folders",
                    "train",
                    "--dataset",
                    "folder:{T}/no-classes"),
                c(
                    "too few images for a test split",
                    "train",
                    "--dataset",
                    "folder:{T}/tiny-folder",
                    "--output",
                    "{T}/new"),
                c(
                    "has no train-images-idx3-ubyte",
                    "train",
                    "--dataset",
                    "idx:{T}/empty",
                    "--output",
                    "{T}/new"),
                c(
                    "--data-dir {T}/nowhere is not a directory",
                    "train",
                    "--data-dir",
                    "{T}/nowhere",
                    "--output",
                    "{T}/new"),
                c(
                    "--data-dir {T}/empty does not hold fashion-mnist",
                    "train",
                    "--data-dir",
                    "{T}/empty"),
                c(
                    "--data-dir is for fashion-mnist only",
                    "train",
                    "--dataset",
                    idx,
                    "--data-dir",
                    "{T}/data"),
                c(
                    "--output {T}/afile.txt is a file",
                    "train",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/afile.txt"),
                c(
                    "{T}/afile.txt is a file, not a folder",
                    "train",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/afile.txt/run"),
                c(
                    "{T}/run already holds a run; use --resume",
                    "train",
                    "--dataset",
                    idx,
                    "--output",
                    "{T}/run"),
                c(
                    "--image-size must be between 1 and 1024",
                    "train",
                    "--dataset",
                    idx,
                    "--image-size",
                    "100000"),
                c(
                    "--image-size must be between 1 and 1024",
                    "train",
                    "--dataset",
                    idx,
                    "--image-size",
                    "0"),
                c(
                    "--channels must be 1 (grey) or 3 (rgb), got 2",
                    "train",
                    "--dataset",
                    idx,
                    "--channels",
                    "2"),
                c(
                    "patch_size 3 must divide image_size 8",
                    "train",
                    "--dataset",
                    idx,
                    "--patch-size",
                    "3"),
                c(
                    "--batch-size 100000 is more than the 80 training images",
                    "train",
                    "--dataset",
                    idx,
                    "--batch-size",
                    "100000",
                    "--validation-size",
                    "16",
                    "--output",
                    "{T}/new"),
                c(
                    "--batch-size 16 is not a multiple of --group-images 3",
                    "train",
                    "--dataset",
                    idx,
                    "--group-images",
                    "3",
                    "--validation-size",
                    "16",
                    "--batch-size",
                    "16"),
                c(
                    "--validation-size must be >= 1",
                    "train",
                    "--dataset",
                    idx,
                    "--validation-size",
                    "0"),
                c(
                    "--validation-size 10000 leaves no training images out of 96",
                    "train",
                    "--dataset",
                    idx,
                    "--validation-size",
                    "10000"),
                c(
                    "--batch-size 128 is more than the 80 training images",
                    "train",
                    "--dataset",
                    idx,
                    "--validation-size",
                    "16",
                    "--output",
                    "{T}/new"),
                c(
                    "places no moe block",
                    "train",
                    "--dataset",
                    idx,
                    "--moe-layers",
                    "every:99",
                    "--output",
                    "{T}/new"),
                c("k = 9 exceeds", "train", "--dataset", idx, "--router", "softmax-tc", "--k", "9"),
                c(
                    "{T}/nowhere is not a directory",
                    "train",
                    "--dataset",
                    idx,
                    "--validation-size",
                    "16",
                    "--batch-size",
                    "16",
                    "--fewshot-dataset",
                    "folder:{T}/nowhere",
                    "--output",
                    "{T}/new"),
                c(
                    "unknown dataset \"bogus:x\"",
                    "train",
                    "--dataset",
                    idx,
                    "--validation-size",
                    "16",
                    "--batch-size",
                    "16",
                    "--fewshot-dataset",
                    "bogus:x",
                    "--output",
                    "{T}/new"),
                c("{T}/nowhere/config.json does not exist", "train", "--resume", "{T}/nowhere"),
                c(
                    "{T}/bad-config/config.json is not a valid run configuration",
                    "train",
                    "--resume",
                    "{T}/bad-config"),
                c(
                    "optimizer.bin is damaged or from another configuration (it has ",
                    "train",
                    "--resume",
                    "{T}/short-optimizer"),
                c("state.json is damaged", "train", "--resume", "{T}/bad-state"),
                // eval, predict and report: damaged or missing inputs, outputs that cannot be
                // written.
                c("{T}/nowhere is not a run directory", "eval", "{T}/nowhere"),
                c("--output {T}/a-dir is a directory", "eval", "{T}/run", "--output", "{T}/a-dir"),
                c(
                    "the folder {T}/nowhere does not exist",
                    "eval",
                    "{T}/run",
                    "--output",
                    "{T}/nowhere/e.json"),
                c(
                    "model.params is damaged or from another configuration",
                    "eval",
                    "{T}/short-params"),
                c("(truncated)", "eval", "{T}/empty-params"),
                c(
                    "{T}/bad-config/checkpoint/config.json is not a valid run configuration",
                    "eval",
                    "{T}/bad-config"),
                c(
                    "{T}/nowhere is not a directory",
                    "eval",
                    "{T}/run",
                    "--fewshot-dataset",
                    "folder:{T}/nowhere",
                    "--output",
                    "{T}/e.json"),
                c(
                    "{T}/missing.png does not exist",
                    "predict",
                    "--run",
                    "{T}/run",
                    "{T}/missing.png"),
                c(
                    "{T}/not-an-image.png is not a png or jpeg image",
                    "predict",
                    "--run",
                    "{T}/run",
                    "{T}/not-an-image.png"),
                c(
                    "{T}/nowhere is not a run directory",
                    "predict",
                    "--run",
                    "{T}/nowhere",
                    "{T}/not-an-image.png"),
                c(
                    "model.params is damaged",
                    "predict",
                    "--run",
                    "{T}/short-params",
                    "{T}/not-an-image.png"),
                c("--plot {T}/a-dir is a directory", "report", "{T}/run", "--plot", "{T}/a-dir"),
                c(
                    "--output {T}/a-dir is a directory",
                    "report",
                    "{T}/run",
                    "--output",
                    "{T}/a-dir"),
                c("{T}/nowhere", "report", "{T}/nowhere"),
                // route: malformed requests.
                new Case("request is not valid json", "not json", "route"),
                new Case("logits[0][0] is nan", "", "route", "--input", "{T}/request-nan.json"),
                c("cannot read {T}/missing.json", "route", "--input", "{T}/missing.json"),
                new Case(
                    "capacity_factor must be > 0",
                    "{\"router\": \"softmax-tc\", \"logits\": [[1, 2]], "
                        + "\"options\": {\"capacity_factor\": 0}}",
                    "route"),
                new Case(
                    "k = 3 exceeds the number of experts e = 2",
                    "{\"router\": \"softmax-tc\", \"logits\": "
                        + "[[1, 2]], \"options\": {\"k\": 3}}",
                    "route")));
    return cases;
  }

  @Test
  void overridesApplyBeforeValidationAndHugeCapacityFactorsAreClamped() throws IOException {
    CliRunner.Result k9 =
        CliRunner.run(
            "", "info", "--router", "softmax-tc", "--k", "9", "--experts", "16", "--json");
    assertEquals(0, k9.status(), k9.err());
    CliRunner.Result e8 = CliRunner.run("", "info", "--router", "softmax-tc", "--json");
    long experts16 =
        TrainCommandTest.JSON.readTree(k9.out()).get("parameters_by_part").get("experts").asLong();
    long experts8 =
        TrainCommandTest.JSON.readTree(e8.out()).get("parameters_by_part").get("experts").asLong();
    assertEquals(2 * experts8, experts16, "--experts 16 reached the model");
    CliRunner.Result small =
        CliRunner.run("", "info", "--image-size", "6", "--patch-size", "3", "--json");
    assertEquals(0, small.status(), small.err());
    assertEquals(4, TrainCommandTest.JSON.readTree(small.out()).get("tokens_per_image").asInt());
    for (String cf : List.of("1e10", "1e308")) {
      CliRunner.Result r =
          CliRunner.run(
              "{\"router\": \"softmax-tc\", \"logits\": [[1, 2], [3, 1], [0, 0]], "
                  + "\"options\": {\"k\": 2, \"capacity_factor\": "
                  + cf
                  + "}}",
              "route");
      assertEquals(0, r.status(), r.err());
      assertEquals(
          6,
          TrainCommandTest.JSON.readTree(r.out()).get("capacity").asInt(),
          "C = S*K for CF " + cf);
      assertEquals(
          0.0,
          TrainCommandTest.JSON
              .readTree(r.out())
              .get("metrics")
              .get("dropped_fraction")
              .asDouble());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refusedInOneLineWithStatusTwoAndNothingWritten(Case bad) throws IOException {
    String root = tmp.toString();
    String[] args = new String[bad.args().length];
    for (int i = 0; i < args.length; i++) {
      args[i] = bad.args()[i].replace("{T}", root);
    }
    Map<String, Long> before = tree(tmp);
    List<String> workdirBefore = workdir();
    CliRunner.Result r = CliRunner.run(bad.stdin(), args);
    String err = r.err();
    assertEquals(2, r.status(), "status of " + bad + ": " + err);
    assertEquals(1, err.lines().count(), "exactly one line on standard error: " + err);
    assertFalse(
        err.contains("\tat ") || err.contains("Exception"),
        "no stack trace or exception name: " + err);
    assertTrue(err.startsWith("vimoe"), "the line names the tool: " + err);
    String expected = bad.expected().replace("{T}", root).toLowerCase(Locale.ROOT);
    assertTrue(
        err.toLowerCase(Locale.ROOT).contains(expected),
        "expected \"" + expected + "\" in: " + err);
    assertEquals("", r.out(), "nothing on standard output");
    assertEquals(before, tree(tmp), "no file or directory created or changed under the fixtures");
    assertEquals(workdirBefore, workdir(), "nothing created in the working directory");
  }

  /** Every path under {@code root} with its size (-1 for directories). */
  private static Map<String, Long> tree(Path root) throws IOException {
    TreeMap<String, Long> out = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        out.put(root.relativize(p).toString(), Files.isDirectory(p) ? -1 : Files.size(p));
      }
    }
    return out;
  }

  /** The working directory's entries and those of its runs/ folder (train's default --output). */
  private static List<String> workdir() throws IOException {
    List<String> names = new ArrayList<>();
    for (Path dir : List.of(Path.of(""), Path.of("runs"))) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> list = Files.list(dir)) {
          list.map(p -> p.toString()).sorted().forEach(names::add);
        }
      }
    }
    return names;
  }
}
