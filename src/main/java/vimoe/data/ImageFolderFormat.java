package vimoe.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * A folder of images with one sub-folder per class (torchvision's ImageFolder layout): class index
 * = position of the sub-folder in name order. PNG and JPEG files (any depth below the class folder;
 * names starting with "." are ignored) are decoded with javax.imageio, converted to 1 channel (grey
 * by luminance 0.299 R + 0.587 G + 0.114 B) or 3 (RGB), and resized bilinearly with Graphics2D.
 * Transparent pixels are drawn onto black.
 *
 * <p>Splits: if the folder has both {@code train/} and {@code test/} sub-folders, each is a class
 * folder tree and they are the two splits (test may lack classes, not add any). Otherwise the whole
 * folder is read and the test split is a stratified hold-out of {@link #TEST_FRACTION} of every
 * class (round(0.2 * count) images, at least one image of each class left for training), drawn by a
 * shuffle seeded with {@link #SPLIT_SEED}, so it is the same on every run.
 */
public final class ImageFolderFormat {

  /**
   * Fraction of each class held out as the test split when the folder has no train/test folders.
   */
  public static final double TEST_FRACTION = 0.2;

  /** Seed of that stratified hold-out. */
  public static final long SPLIT_SEED = 0;

  private ImageFolderFormat() {}

  /**
   * Reads the folder.
   *
   * @param dir the folder of class folders, or of {@code train/} and {@code test/}
   * @param channels Ch: 1 (grey) or 3 (RGB)
   * @param height H >= 1 of every image after resizing
   * @param width W >= 1 of every image after resizing
   * @throws DatasetException naming an unreadable or non-image file, an empty class folder, or a
   *     folder without class folders
   */
  public static TrainTest read(Path dir, int channels, int height, int width) throws IOException {
    checkFormat(channels, height, width);
    requireDirectory(dir);
    String name =
        dir.toAbsolutePath().normalize().getFileName() == null
            ? "folder"
            : dir.toAbsolutePath().normalize().getFileName().toString();
    Path trainDir = dir.resolve("train");
    Path testDir = dir.resolve("test");
    if (Files.isDirectory(trainDir) && Files.isDirectory(testDir)) {
      List<String> classes = classFolders(trainDir);
      List<String> testClasses = classFolders(testDir);
      for (String c : testClasses) {
        if (!classes.contains(c)) {
          throw new DatasetException(
              testDir.resolve(c),
              "test class folder "
                  + testDir.resolve(c)
                  + " has no counterpart in "
                  + trainDir
                  + "; the test split may only use training classes");
        }
      }
      ImageSet train =
          readClasses(trainDir, classes, classes, channels, height, width, name + "/train");
      ImageSet test =
          readClasses(testDir, testClasses, classes, channels, height, width, name + "/test");
      return new TrainTest(train, test);
    }
    List<String> classes = classFolders(dir);
    ImageSet all = readClasses(dir, classes, classes, channels, height, width, name);
    TrainTest split = stratifiedSplit(all, TEST_FRACTION, SPLIT_SEED, name);
    requireTestSplit(dir, all.size(), classes.size(), split.test().size());
    return split;
  }

  /**
   * The shape of the folder as {@link vimoe.data.Datasets#load} reads it by default (RGB, {@link
   * Datasets#FOLDER_IMAGE_SIZE} pixels) and its number of classes; no image is decoded.
   *
   * @param dir the folder of class folders, or of {@code train/} and {@code test/}
   * @throws DatasetException if it is not a directory or has no class folders
   */
  static Datasets.Shape shape(Path dir) throws IOException {
    requireDirectory(dir);
    Path trainDir = dir.resolve("train");
    boolean split = Files.isDirectory(trainDir) && Files.isDirectory(dir.resolve("test"));
    Path root = split ? trainDir : dir;
    List<String> classes = classFolders(root);
    long trainImages = 0;
    long testImages = 0;
    for (String folder : classes) {
      int n = imageFiles(root.resolve(folder)).size();
      int held = split ? 0 : heldOut(n, TEST_FRACTION);
      trainImages += n - held;
      testImages += held;
    }
    if (!split) {
      requireTestSplit(dir, trainImages + testImages, classes.size(), testImages);
    }
    return new Datasets.Shape(
        Datasets.FOLDER_CHANNELS,
        Datasets.FOLDER_IMAGE_SIZE,
        Datasets.FOLDER_IMAGE_SIZE,
        classes.size(),
        trainImages);
  }

  /**
   * Images held out of a class of {@code n}: round(fraction * n), leaving at least one for
   * training.
   */
  private static int heldOut(int n, double fraction) {
    return Math.min((int) Math.round(fraction * n), Math.max(0, n - 1));
  }

  private static void requireTestSplit(Path dir, long images, int classes, long testImages)
      throws DatasetException {
    if (testImages == 0) {
      throw new DatasetException(
          dir,
          dir
              + " has too few images for a test split ("
              + images
              + " in "
              + classes
              + " class folders; "
              + Math.round(100 * TEST_FRACTION)
              + "% of each class is held "
              + "out, and a class needs 3 images to lend one); add images, or give train/ and test/ folders");
    }
  }

  /**
   * The image files of a class folder in name order, hidden ones left out; an empty folder is
   * refused.
   */
  private static List<Path> imageFiles(Path classDir) throws IOException {
    List<Path> images;
    try (Stream<Path> walk = Files.walk(classDir)) {
      images =
          walk.filter(Files::isRegularFile)
              .filter(p -> !hidden(classDir.relativize(p)))
              .sorted()
              .toList();
    }
    if (images.isEmpty()) {
      throw new DatasetException(
          classDir,
          "class folder "
              + classDir
              + " is empty; put at least one PNG or JPEG image in it, or remove it");
    }
    return images;
  }

  private static void requireDirectory(Path dir) throws DatasetException {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          dir,
          dir
              + " is not a directory; an image folder holds one sub-folder "
              + "of PNG or JPEG images per class");
    }
  }

  /**
   * Decodes one PNG or JPEG file, converts it to {@code channels} and resizes it as the folder
   * reader does.
   *
   * @param file the image file
   * @param channels 1 (grey) or 3 (RGB)
   * @param height H >= 1
   * @param width W >= 1
   * @return uint8 pixels (Ch, H, W)
   * @throws DatasetException if the file is not a readable image
   */
  public static byte[] readImage(Path file, int channels, int height, int width)
      throws IOException {
    checkFormat(channels, height, width);
    return pixels(readSource(file), channels, height, width);
  }

  /**
   * Decodes an image file as it is (no resizing); a missing, oversized or damaged file is refused
   * by name ({@link DatasetException}).
   */
  public static BufferedImage readSource(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new DatasetException(file, file + " does not exist or is not a file; check the path");
    }
    try {
      return decode(file);
    } catch (DatasetException e) {
      throw e;
    } catch (IOException
        | RuntimeException e) { // ImageIO's readers throw anything on damaged files
      throw new DatasetException(
          file, file + " is an unreadable image (" + oneLine(e) + "); replace or remove it", e);
    }
  }

  /**
   * The pixels of a decoded image as {@link #readImage} gives them: resized bilinearly to {@code
   * height} x {@code width}, as (Ch, H, W) uint8 values, grayscale by the ITU-R 601 luma weights.
   */
  public static byte[] pixels(BufferedImage source, int channels, int height, int width) {
    checkFormat(channels, height, width);
    BufferedImage rgb = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(source, 0, 0, width, height, null);
    } finally {
      g.dispose();
    }
    int hw = height * width;
    int[] argb = rgb.getRGB(0, 0, width, height, null, 0, width);
    byte[] out = new byte[channels * hw];
    for (int p = 0; p < hw; p++) {
      int r = (argb[p] >> 16) & 0xff;
      int gr = (argb[p] >> 8) & 0xff;
      int b = argb[p] & 0xff;
      if (channels == 1) {
        out[p] = (byte) Math.round(0.299f * r + 0.587f * gr + 0.114f * b);
      } else {
        out[p] = (byte) r;
        out[hw + p] = (byte) gr;
        out[2 * hw + p] = (byte) b;
      }
    }
    return out;
  }

  /**
   * The most pixels a source image may have (a 8192 x 8192 photograph), checked before it is
   * decoded.
   */
  public static final long MAX_SOURCE_PIXELS = 1L << 26;

  /**
   * Decodes an image after checking the size its header announces, so that a damaged header cannot
   * make the decoder allocate gigabytes.
   */
  private static BufferedImage decode(Path file) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
      if (readers == null || !readers.hasNext()) {
        throw new DatasetException(
            file,
            file
                + " is not a PNG or JPEG image (no image reader recognises "
                + "it); remove it from the folder");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w < 1 || h < 1 || w * h > MAX_SOURCE_PIXELS) {
          throw new DatasetException(
              file,
              file
                  + " announces a "
                  + w
                  + "x"
                  + h
                  + " image, outside 1 to "
                  + MAX_SOURCE_PIXELS
                  + " pixels: it is damaged or too large; replace or remove it");
        }
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    }
  }

  private static String oneLine(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank()
        ? e.getClass().getSimpleName()
        : m.lines().findFirst().orElse(m).strip();
  }

  /** The class sub-folders of {@code root}, sorted by name. */
  private static List<String> classFolders(Path root) throws IOException {
    List<String> classes;
    try (Stream<Path> entries = Files.list(root)) {
      classes =
          entries
              .filter(Files::isDirectory)
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.startsWith("."))
              .sorted()
              .toList();
    }
    if (classes.isEmpty()) {
      throw new DatasetException(
          root,
          root
              + " has no class folders; put the images of each class in its "
              + "own sub-folder ("
              + root.resolve("cat").resolve("1.png")
              + ", ...)");
    }
    return classes;
  }

  /** Reads the given class folders of root; labels index {@code allClasses}. */
  private static ImageSet readClasses(
      Path root,
      List<String> folders,
      List<String> allClasses,
      int channels,
      int height,
      int width,
      String name)
      throws IOException {
    List<Path> files = new ArrayList<>();
    List<Integer> fileLabels = new ArrayList<>();
    for (String folder : folders) {
      List<Path> images = imageFiles(root.resolve(folder));
      files.addAll(images);
      for (int k = 0; k < images.size(); k++) {
        fileLabels.add(allClasses.indexOf(folder));
      }
    }
    int size = channels * height * width;
    if ((long) files.size() * size > Integer.MAX_VALUE - 8) {
      throw new DatasetException(
          root,
          root
              + " has too many images ("
              + files.size()
              + ") at "
              + channels
              + "x"
              + height
              + "x"
              + width
              + " for one array; use a smaller size");
    }
    byte[] pixels = new byte[files.size() * size];
    IOException[] errors = new IOException[files.size()];
    IntStream.range(0, files.size())
        .parallel()
        .forEach(
            i -> {
              try {
                System.arraycopy(
                    readImage(files.get(i), channels, height, width), 0, pixels, i * size, size);
              } catch (IOException e) {
                errors[i] = e;
              } catch (UncheckedIOException e) {
                errors[i] = e.getCause();
              }
            });
    for (IOException e :
        errors) { // report the first bad file in name order, whatever the threads did
      if (e != null) {
        throw e;
      }
    }
    int[] labels = fileLabels.stream().mapToInt(Integer::intValue).toArray();
    return ImageSet.wrap(name, channels, height, width, pixels, labels, allClasses);
  }

  /** Holds out round(fraction * count) images of every class, at most count - 1. */
  static TrainTest stratifiedSplit(ImageSet all, double fraction, long seed, String name) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<Integer> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (int c = 0; c < all.numClasses(); c++) {
      List<Integer> members = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        if (all.label(i) == c) {
          members.add(i);
        }
      }
      for (int i = members.size() - 1; i > 0; i--) { // Fisher-Yates
        int j = rng.nextInt(i + 1);
        Integer t = members.get(i);
        members.set(i, members.get(j));
        members.set(j, t);
      }
      int held = heldOut(members.size(), fraction);
      test.addAll(members.subList(0, held));
      train.addAll(members.subList(held, members.size()));
    }
    int[] trainIdx = train.stream().mapToInt(Integer::intValue).toArray();
    int[] testIdx = test.stream().mapToInt(Integer::intValue).toArray();
    Arrays.sort(trainIdx);
    Arrays.sort(testIdx);
    return new TrainTest(
        all.subset(trainIdx).withName(name + "/train"),
        all.subset(testIdx).withName(name + "/test"));
  }

  /** Whether any element of the relative path starts with "." (.DS_Store, .thumbnails/...). */
  private static boolean hidden(Path relative) {
    for (Path element : relative) {
      if (element.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static void checkFormat(int channels, int height, int width) {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException(
          "image folders are read as 1 (grey) or 3 (RGB) channels, got " + channels);
    }
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("image size must be >= 1, got " + height + "x" + width);
    }
  }
}
