package vimoe.eval;

import vimoe.data.ImageSet;

/**
 * Where the few-shot probe draws its shots and scores them: the shots come from the first {@link
 * Evaluation#POOL} images of {@code train}, the score from all of {@code test}. The images must be
 * in the model's input format; the classes need not be the model's.
 *
 * @param name the dataset spec, reported as {@code fewshot_dataset}
 * @param train the split the shots are drawn from
 * @param test the split the probe is scored on
 */
public record FewShotData(String name, ImageSet train, ImageSet test) {

  /** Checks that both splits exist and share one label space. */
  public FewShotData {
    if (train.size() == 0 || test.size() == 0) {
      throw new IllegalArgumentException(
          "few-shot dataset "
              + name
              + " needs training and test images, has "
              + train.size()
              + " and "
              + test.size());
    }
    if (test.numClasses() > train.numClasses()) {
      throw new IllegalArgumentException(
          "few-shot dataset "
              + name
              + ": its test split has "
              + test.numClasses()
              + " classes, its training split only "
              + train.numClasses());
    }
  }
}
