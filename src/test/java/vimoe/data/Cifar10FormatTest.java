package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10FormatTest {

  @TempDir Path tmp;

  @Test
  void readsTrainAndTestChannelMajor() throws IOException {
    Fixtures.cifarDirectory(tmp);
    TrainTest t = Cifar10Format.read(tmp);
    assertEquals(10, t.train().size()); // 5 batches x 2 records
    assertEquals(2, t.test().size());
    assertEquals(3, t.train().channels());
    assertEquals(32, t.train().height());
    assertEquals(32, t.train().width());
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, t.train().labels());
    assertEquals(Cifar10Format.CLASS_NAMES, t.train().classNames());
    // record r, pixel byte k = (r * 7 + k) mod 256 with k = c * 1024 + y * 32 + x
    // train image 3, channel 2 (blue), row 5, column 6: k = 2048 + 166 = 2214; 21 + 2214 = 2235 ->
    // 187
    assertEquals(187, t.train().pixel(3, 2, 5, 6));
    byte[] record = Fixtures.cifarRecords(11, 1);
    assertArrayEquals(Arrays.copyOfRange(record, 1, 3073), t.test().image(1));
  }

  @Test
  void acceptsTheArchiveFolderAndMetaNames() throws IOException {
    Path inner = tmp.resolve(Cifar10Format.ARCHIVE_FOLDER);
    Fixtures.cifarDirectory(inner);
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    Files.writeString(inner.resolve("batches.meta.txt"), String.join("\n", names) + "\n\n");
    TrainTest t = Cifar10Format.read(tmp);
    assertEquals(names, t.test().classNames());
    assertEquals(10, t.train().size());
  }

  @Test
  void missingBatchFileIsNamed() throws IOException {
    Fixtures.cifarDirectory(tmp);
    Files.delete(tmp.resolve("data_batch_4.bin"));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Format.read(tmp));
    assertTrue(e.getMessage().contains("data_batch_4.bin is missing"), e.getMessage());
  }

  @Test
  void truncatedBatchIsNotAMultipleOf3073() throws IOException {
    Fixtures.cifarDirectory(tmp);
    byte[] ok = Files.readAllBytes(tmp.resolve("test_batch.bin"));
    Files.write(tmp.resolve("test_batch.bin"), Arrays.copyOf(ok, ok.length - 100));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Format.read(tmp));
    assertTrue(e.getMessage().contains("test_batch.bin has 6046 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("multiple of 3073"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void labelAboveNineIsRefused() throws IOException {
    Fixtures.cifarDirectory(tmp);
    Files.write(tmp.resolve("data_batch_2.bin"), Fixtures.cifarRecords(0, 3, 12));
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Format.read(tmp));
    assertTrue(
        e.getMessage().contains("data_batch_2.bin: label 12 of record 1 is out of range 0..9"),
        e.getMessage());
  }

  @Test
  void badMetaFileIsNamed() throws IOException {
    Fixtures.cifarDirectory(tmp);
    Files.writeString(tmp.resolve("batches.meta.txt"), "a\nb\n");
    DatasetException e = assertThrows(DatasetException.class, () -> Cifar10Format.read(tmp));
    assertTrue(
        e.getMessage().contains("batches.meta.txt lists 2 class names, expected 10"),
        e.getMessage());
  }
}
