package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DatasetSpec} parsing and {@link Datasets}. */
class DatasetsTest {

  @TempDir Path tmp;

  @Test
  void parsesTheFourForms() {
    assertEquals(DatasetSpec.FASHION_MNIST, DatasetSpec.parse("fashion-mnist"));
    assertNull(DatasetSpec.parse("Fashion-MNIST").dir());
    assertEquals(
        new DatasetSpec(DatasetSpec.Kind.IDX, Path.of("/data/mnist")),
        DatasetSpec.parse("idx:/data/mnist"));
    assertEquals(DatasetSpec.Kind.CIFAR10, DatasetSpec.parse("cifar10:rel/dir").kind());
    assertEquals(Path.of("rel/dir"), DatasetSpec.parse("cifar10:rel/dir").dir());
    assertEquals(DatasetSpec.Kind.FOLDER, DatasetSpec.parse("folder:x").kind());
    for (String s : new String[] {"fashion-mnist", "idx:/a/b", "cifar10:c", "folder:/d"}) {
      assertEquals(s, DatasetSpec.parse(s).toString());
    }
  }

  @Test
  void badSpecsListTheAcceptedForms() {
    for (String bad :
        new String[] {"mnist", "idx", "idx:", "cifar100:/x", "fashion-mnist:/x", " "}) {
      var e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse(bad), bad);
      assertTrue(
          e.getMessage().contains("fashion-mnist, idx:DIR, cifar10:DIR, folder:DIR"),
          e.getMessage());
    }
    var e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("folder:"));
    assertTrue(e.getMessage().contains("needs a directory"), e.getMessage());
  }

  @Test
  void defaultAugmentation() {
    assertEquals(
        new Augmentation(2, false), Datasets.defaultAugmentation(DatasetSpec.FASHION_MNIST));
    assertEquals(
        new Augmentation(2, false), Datasets.defaultAugmentation(DatasetSpec.parse("idx:/x")));
    assertEquals(
        new Augmentation(4, true), Datasets.defaultAugmentation(DatasetSpec.parse("cifar10:/x")));
    assertEquals(
        new Augmentation(4, true), Datasets.defaultAugmentation(DatasetSpec.parse("folder:/x")));
  }

  @Test
  void loadsIdxNativeOrConverted() throws IOException {
    Fixtures.idxDirectory(tmp, 8, 4, 10, true); // 1 x 3 x 4
    TrainTest same = Datasets.load(DatasetSpec.parse("idx:" + tmp), null, 0, 0, 0);
    assertEquals(1, same.train().channels());
    assertEquals(3, same.train().height());
    assertEquals(4, same.train().width());
    TrainTest converted = Datasets.load(DatasetSpec.parse("idx:" + tmp), null, 3, 6, 8);
    assertEquals(3, converted.test().channels());
    assertEquals(6, converted.test().height());
    assertEquals(8, converted.test().width());
    assertEquals(8, converted.train().size());
  }

  @Test
  void loadsCifarAndNamesAMissingDirectory() throws IOException {
    Fixtures.cifarDirectory(tmp.resolve("c"));
    TrainTest t = Datasets.load(DatasetSpec.parse("cifar10:" + tmp.resolve("c")), null, 0, 0, 0);
    assertEquals(10, t.train().size());
    Path missing = tmp.resolve("nowhere");
    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> Datasets.load(DatasetSpec.parse("idx:" + missing), null, 0, 0, 0));
    assertTrue(e.getMessage().contains(missing + " is not a directory"), e.getMessage());
  }

  @Test
  void folderDefaultsToRgb32AndRefusesATooSmallTestSplit() throws IOException {
    Fixtures.writeImage(tmp.resolve("a").resolve("1.png"), Fixtures.solid(3, 3, 0x123456), "png");
    var e =
        assertThrows(
            DatasetException.class,
            () -> Datasets.load(DatasetSpec.parse("folder:" + tmp), null, 0, 0, 0));
    assertTrue(e.getMessage().contains("too few images for a test split"), e.getMessage());
    Fixtures.writeImage(tmp.resolve("a").resolve("2.png"), Fixtures.solid(3, 3, 0x123456), "png");
    Fixtures.writeImage(tmp.resolve("a").resolve("3.png"), Fixtures.solid(3, 3, 0x123456), "png");
    TrainTest defaults = Datasets.load(DatasetSpec.parse("folder:" + tmp), null, 0, 0, 0);
    assertEquals(
        List.of(3, 32, 32),
        List.of(defaults.train().channels(), defaults.train().height(), defaults.train().width()));
    assertEquals(2, defaults.train().size());
    assertEquals(1, defaults.test().size());
    assertEquals(
        new Datasets.Shape(3, 32, 32, 1, 2),
        Datasets.shape(DatasetSpec.parse("folder:" + tmp), null));
    TrainTest t = Datasets.load(DatasetSpec.parse("folder:" + tmp), null, 3, 2, 2);
    assertEquals(0x12, t.train().pixel(0, 0, 1, 1));
  }
}
