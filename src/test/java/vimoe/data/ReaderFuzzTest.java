package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import vimoe.Mutations;

/**
 * Fuzzing of the dataset readers: damaged copies of valid IDX, CIFAR-10 and image files, and random
 * bytes. A reader either reads the file or throws a {@link DatasetException} whose one-line message
 * names the file; nothing else may escape (no EOFException, index or array-size errors, out of
 * memory).
 */
class ReaderFuzzTest {
  private static final List<String> CLASSES = List.of("a", "b", "c");

  /** What a reader does with one file. */
  interface Read {
    void run() throws Exception;
  }

  @Property(tries = 700)
  void idxFilesReadOrAreRefusedByName(
      @ForAll long seed, @ForAll boolean gzip, @ForAll boolean damageLabels) throws IOException {
    byte[] images = Fixtures.idxImages(5, 3, 4, Fixtures.pattern(5, 3, 4));
    byte[] labels = Fixtures.idxLabels(new byte[] {0, 1, 2, 1, 0});
    if (gzip) {
      images = Fixtures.gzip(images);
      labels = Fixtures.gzip(labels);
    }
    Path dir = Files.createTempDirectory("idx-fuzz");
    try {
      Path imageFile = dir.resolve("images"), labelFile = dir.resolve("labels");
      Files.write(imageFile, damageLabels ? images : Mutations.mutate(images, seed));
      Files.write(labelFile, damageLabels ? Mutations.mutate(labels, seed) : labels);
      readsOrRefuses(
          () -> IdxFormat.read(imageFile, labelFile, CLASSES),
          List.of(imageFile.getFileName().toString(), labelFile.getFileName().toString()));
    } finally {
      deleteAll(dir);
    }
  }

  @Property(tries = 300)
  void randomBytesAreRefusedAsIdx(@ForAll @Size(max = 200) byte[] bytes) throws IOException {
    Path dir = Files.createTempDirectory("idx-random");
    try {
      Path imageFile = dir.resolve("images"), labelFile = dir.resolve("labels");
      Files.write(imageFile, bytes);
      Files.write(labelFile, Fixtures.idxLabels(new byte[] {0, 1}));
      readsOrRefuses(
          () -> IdxFormat.read(imageFile, labelFile, CLASSES), List.of("images", "labels"));
    } finally {
      deleteAll(dir);
    }
  }

  @Property(tries = 300)
  void cifarBatchesReadOrAreRefusedByName(@ForAll long seed, @ForAll @IntRange(max = 5) int damaged)
      throws IOException {
    Path dir = Files.createTempDirectory("cifar-fuzz");
    try {
      Fixtures.cifarDirectory(dir);
      String name = damaged == 5 ? "test_batch.bin" : "data_batch_" + (damaged + 1) + ".bin";
      Path file = dir.resolve(name);
      Files.write(file, Mutations.mutate(Files.readAllBytes(file), seed));
      readsOrRefuses(() -> Cifar10Format.read(dir), List.of(name));
      readsOrRefuses(
          () -> Datasets.shape(DatasetSpec.parse("cifar10:" + dir), null), List.of(name));
    } finally {
      deleteAll(dir);
    }
  }

  @Property(tries = 600)
  void imagesDecodeOrAreRefusedByName(@ForAll long seed, @ForAll boolean jpeg) throws IOException {
    ByteArrayOutputStream encoded = new ByteArrayOutputStream();
    ImageIO.write(Fixtures.solid(6, 5, 0x336699), jpeg ? "jpg" : "png", encoded);
    Path dir = Files.createTempDirectory("image-fuzz");
    try {
      Path file = dir.resolve(jpeg ? "x.jpg" : "x.png");
      Files.write(file, Mutations.mutate(encoded.toByteArray(), seed));
      readsOrRefuses(
          () -> ImageFolderFormat.readImage(file, 3, 8, 8), List.of(file.getFileName().toString()));
    } finally {
      deleteAll(dir);
    }
  }

  @Property(tries = 200)
  void randomBytesAreRefusedAsAnImage(@ForAll @Size(max = 300) byte[] bytes) throws IOException {
    Path dir = Files.createTempDirectory("image-random");
    try {
      Path file = dir.resolve("x.png");
      Files.write(file, bytes);
      readsOrRefuses(() -> ImageFolderFormat.readImage(file, 1, 4, 4), List.of("x.png"));
    } finally {
      deleteAll(dir);
    }
  }

  /**
   * Runs a read: success, or a DatasetException with one line naming one of the files; nothing
   * else.
   */
  static void readsOrRefuses(Read read, List<String> names) {
    try {
      read.run();
    } catch (DatasetException e) {
      String m = e.getMessage();
      assertFalse(m == null || m.isBlank(), "a message");
      assertEquals(1, m.lines().count(), "one line: " + m);
      assertTrue(names.stream().anyMatch(m::contains), "names the file: " + m);
    } catch (Throwable t) {
      fail("only DatasetException may escape a reader, got " + t, t);
    }
  }

  static void deleteAll(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
