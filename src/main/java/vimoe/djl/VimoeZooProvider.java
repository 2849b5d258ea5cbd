package vimoe.djl;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/**
 * Registers {@link VimoeModelZoo} with DJL (through {@code META-INF/services}), so that a {@link
 * ai.djl.repository.zoo.Criteria} with group id {@value VimoeModelZoo#GROUP_ID} finds it.
 */
public final class VimoeZooProvider implements ZooProvider {
  /** The provider DJL's service loader creates. */
  public VimoeZooProvider() {}

  @Override
  public ModelZoo getModelZoo() {
    return new VimoeModelZoo();
  }
}
