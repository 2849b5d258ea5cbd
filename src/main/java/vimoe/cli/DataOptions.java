package vimoe.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The data options shared by the commands that read a dataset. */
final class DataOptions {
  @Option(
      names = "--dataset",
      defaultValue = "fashion-mnist",
      paramLabel = "SPEC",
      description =
          "fashion-mnist, idx:DIR, cifar10:DIR or folder:DIR (default: ${DEFAULT-VALUE}).")
  String dataset;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where Fashion-MNIST is; it must hold the files (without it: $VIMOE_DATA, "
              + "~/.cache/vimoe/fashion-mnist, /usr/share/datasets/fashion-mnist).")
  Path dataDir;

  @Option(
      names = "--image-size",
      paramLabel = "PIXELS",
      description =
          "Resize images to PIXELS x PIXELS, 1 to 1024 (default: as stored; image folders: 32).")
  Integer imageSize;

  @Option(
      names = "--channels",
      paramLabel = "1|3",
      description =
          "Convert images to 1 (grey) or 3 (RGB) channels (default: as stored; image folders: 3).")
  Integer channels;
}
