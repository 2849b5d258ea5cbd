package vimoe.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary version of CIFAR-10 (cs.toronto.edu/~kriz/cifar.html, {@code cifar-10-binary.tar.gz}):
 * {@code data_batch_1.bin} .. {@code data_batch_5.bin} (train) and {@code test_batch.bin} (test);
 * each record is 1 label byte (0..9) then 3072 pixel bytes, 3 x 32 x 32 channel-major (R, G, B).
 */
public final class Cifar10Format {

  /** The standard class names, used when {@code batches.meta.txt} is absent. */
  public static final List<String> CLASS_NAMES =
      List.of(
          "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  /** The folder the archive unpacks to, accepted inside the given directory. */
  public static final String ARCHIVE_FOLDER = "cifar-10-batches-bin";

  private static final int IMAGE_BYTES = 3 * 32 * 32;
  private static final int RECORD_BYTES = 1 + IMAGE_BYTES;
  private static final List<String> TRAIN =
      List.of(
          "data_batch_1.bin",
          "data_batch_2.bin",
          "data_batch_3.bin",
          "data_batch_4.bin",
          "data_batch_5.bin");
  private static final String TEST = "test_batch.bin";

  private Cifar10Format() {}

  /**
   * Reads the five training batches and the test batch.
   *
   * @param dir a directory holding the {@code .bin} files, or holding {@code cifar-10-batches-bin}
   * @return Ch = 3, H = W = 32, ten classes (from {@code batches.meta.txt} if present)
   * @throws DatasetException naming a missing batch file, a file whose size is not a multiple of
   *     3073 bytes, or a label above 9
   */
  public static TrainTest read(Path dir) throws IOException {
    Path root = root(dir);
    List<String> classNames = classNames(root);
    List<Path> trainFiles = new ArrayList<>();
    for (String name : TRAIN) {
      trainFiles.add(require(root, name));
    }
    Path testFile = require(root, TEST);
    return new TrainTest(
        readBatches(trainFiles, classNames, "cifar10/train"),
        readBatches(List.of(testFile), classNames, "cifar10/test"));
  }

  /** The shape of the dataset in {@code dir} from the sizes of its batch files; nothing is read. */
  static Datasets.Shape shape(Path dir) throws IOException {
    Path root = root(dir);
    List<String> classNames = classNames(root);
    long records = 0;
    for (String name : TRAIN) {
      Path file = require(root, name);
      records += checkedSize(file) / RECORD_BYTES;
    }
    checkedSize(require(root, TEST));
    return new Datasets.Shape(3, 32, 32, classNames.size(), records);
  }

  /** The directory holding the batch files: {@code dir} or its {@code cifar-10-batches-bin}. */
  private static Path root(Path dir) throws DatasetException {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException(
          dir,
          dir
              + " is not a directory; give the directory of the CIFAR-10 binary "
              + "version (data_batch_1.bin .. data_batch_5.bin, test_batch.bin)");
    }
    if (!Files.isRegularFile(dir.resolve(TRAIN.get(0)))
        && Files.isDirectory(dir.resolve(ARCHIVE_FOLDER))) {
      return dir.resolve(ARCHIVE_FOLDER);
    }
    return dir;
  }

  /** The size of a batch file, which must be a positive multiple of the record size. */
  private static long checkedSize(Path file) throws IOException {
    long size = Files.size(file);
    if (size == 0 || size % RECORD_BYTES != 0) {
      throw new DatasetException(
          file,
          file
              + " has "
              + size
              + " bytes, not a positive multiple of "
              + RECORD_BYTES
              + " (1 label byte + 3072 pixel bytes per image): it is truncated or not a "
              + "CIFAR-10 binary batch; unpack cifar-10-binary.tar.gz again");
    }
    return size;
  }

  private static Path require(Path root, String name) throws DatasetException {
    Path file = root.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new DatasetException(
          file,
          "CIFAR-10 batch file "
              + file
              + " is missing; the binary version has "
              + String.join(", ", TRAIN)
              + " and "
              + TEST
              + " (unpack cifar-10-binary.tar.gz)");
    }
    return file;
  }

  private static List<String> classNames(Path root) throws IOException {
    Path meta = root.resolve("batches.meta.txt");
    if (!Files.isRegularFile(meta)) {
      return CLASS_NAMES;
    }
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    if (names.size() != 10) {
      throw new DatasetException(
          meta,
          meta
              + " lists "
              + names.size()
              + " class names, expected 10 (one per line); fix it or delete it to use the standard names");
    }
    return List.copyOf(names);
  }

  /** Concatenates the records of the given batch files. */
  static ImageSet readBatches(List<Path> files, List<String> classNames, String name)
      throws IOException {
    long records = 0;
    for (Path file : files) {
      records += checkedSize(file) / RECORD_BYTES;
    }
    if (records * IMAGE_BYTES > Integer.MAX_VALUE - 8) {
      throw new DatasetException(
          files.get(0), "too many CIFAR-10 records (" + records + ") for one array");
    }
    byte[] pixels = new byte[(int) records * IMAGE_BYTES];
    int[] labels = new int[(int) records];
    int n = 0;
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length % RECORD_BYTES != 0) { // changed since we measured it
        throw new DatasetException(file, file + " changed while being read; read it again");
      }
      for (int r = 0; r < bytes.length / RECORD_BYTES; r++) {
        int label = bytes[r * RECORD_BYTES] & 0xff;
        if (label > 9) {
          throw new DatasetException(
              file,
              file
                  + ": label "
                  + label
                  + " of record "
                  + r
                  + " is out of range 0..9: this is not a CIFAR-10 binary batch (CIFAR-100 records have "
                  + "2 label bytes and are not supported)");
        }
        labels[n] = label;
        System.arraycopy(bytes, r * RECORD_BYTES + 1, pixels, n * IMAGE_BYTES, IMAGE_BYTES);
        n++;
      }
    }
    return ImageSet.wrap(name, 3, 32, 32, pixels, labels, classNames);
  }
}
