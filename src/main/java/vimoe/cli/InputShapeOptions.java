package vimoe.cli;

import picocli.CommandLine.Option;

/**
 * The input shape of a model configuration, for commands that need no data: {@code info}, {@code
 * bench}.
 */
final class InputShapeOptions {
  @Option(
      names = "--image-size",
      defaultValue = "28",
      paramLabel = "PIXELS",
      description = "Input size (default ${DEFAULT-VALUE}).")
  int imageSize;

  @Option(
      names = "--channels",
      defaultValue = "1",
      paramLabel = "N",
      description = "Input channels (default ${DEFAULT-VALUE}).")
  int channels;

  @Option(
      names = "--classes",
      defaultValue = "10",
      paramLabel = "N",
      description = "Classes (default ${DEFAULT-VALUE}).")
  int classes;
}
