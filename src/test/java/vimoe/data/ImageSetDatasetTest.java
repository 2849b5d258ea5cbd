package vimoe.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Record;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The DJL dataset view serves the same tensors as {@link ImageSet#batch} without augmentation. */
class ImageSetDatasetTest {

  @Test
  void getAndGetDataMatchTheBatchBuilder() throws IOException, TranslateException {
    ImageSet set = BatchTest.random(5, 3, 4, 2, 8);
    float[] mean = {0.1f, 0.2f, 0.3f};
    float[] std = {0.5f, 0.6f, 0.7f};
    ImageSetDataset ds =
        ImageSetDataset.builder()
            .setImageSet(set)
            .optNormalization(mean, std)
            .setSampling(2, false)
            .build();
    ds.prepare();
    assertEquals(5, ds.size());
    try (NDManager manager = NDManager.newBaseManager()) {
      NDList expected =
          set.batch(manager, new int[] {0, 1, 2, 3, 4}, Augmentation.NONE, 0, 0, mean, std);
      Record r = ds.get(manager, 3);
      assertEquals(new Shape(3, 4, 2), r.getData().singletonOrThrow().getShape());
      assertEquals(DataType.FLOAT32, r.getData().singletonOrThrow().getDataType());
      assertArrayEquals(
          expected.get(0).get(3).toFloatArray(), r.getData().singletonOrThrow().toFloatArray());
      assertEquals(set.label(3), r.getLabels().singletonOrThrow().getLong());

      int seen = 0;
      for (Batch b : ds.getData(manager)) {
        NDList x = b.getData();
        NDList y = b.getLabels();
        int n = (int) x.head().getShape().get(0);
        assertEquals(new Shape(n, 3, 4, 2), x.head().getShape());
        assertArrayEquals(
            expected.get(0).get(seen + ":" + (seen + n)).toFloatArray(), x.head().toFloatArray());
        assertArrayEquals(
            expected.get(1).get(seen + ":" + (seen + n)).toLongArray(), y.head().toLongArray());
        seen += n;
        b.close();
      }
      assertEquals(5, seen);
    }
  }

  @Test
  void builderRequiresTheImageSetAndSampling() {
    ImageSet set = BatchTest.random(2, 1, 2, 2, 1);
    assertThrows(
        IllegalArgumentException.class,
        () -> ImageSetDataset.builder().setSampling(2, true).build());
    assertThrows(
        IllegalArgumentException.class, () -> ImageSetDataset.builder().setImageSet(set).build());
  }
}
