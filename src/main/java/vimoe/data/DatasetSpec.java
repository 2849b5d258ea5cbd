package vimoe.data;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code --dataset} option: {@code fashion-mnist} (the default), {@code idx:DIR} (an
 * MNIST-format IDX directory), {@code cifar10:DIR} (the CIFAR-10 binary version) or {@code
 * folder:DIR} (one sub-folder of images per class).
 *
 * @param kind the dataset format
 * @param dir its directory; null for {@link Kind#FASHION_MNIST}, which is located by {@link
 *     FashionMnist}
 */
public record DatasetSpec(Kind kind, Path dir) {

  /** The accepted forms, for messages and help. */
  public static final String FORMS = "fashion-mnist, idx:DIR, cifar10:DIR, folder:DIR";

  /** The default dataset. */
  public static final DatasetSpec FASHION_MNIST = new DatasetSpec(Kind.FASHION_MNIST, null);

  /** The dataset formats, by the scheme of their spec. */
  public enum Kind {
    /** Fashion-MNIST, located or downloaded. */
    FASHION_MNIST("fashion-mnist"),
    /** An MNIST-format IDX directory. */
    IDX("idx"),
    /** The CIFAR-10 binary version. */
    CIFAR10("cifar10"),
    /** A folder of class folders of PNG or JPEG images. */
    FOLDER("folder");

    private final String id;

    Kind(String id) {
      this.id = id;
    }

    /** The scheme as written in a spec. */
    public String id() {
      return id;
    }
  }

  /** A directory is required for every kind but Fashion-MNIST, which takes none. */
  public DatasetSpec {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.FASHION_MNIST && dir != null) {
      throw new IllegalArgumentException(
          "fashion-mnist takes no directory (use --data-dir DIR), got "
              + dir
              + "; accepted: "
              + FORMS);
    }
    if (kind != Kind.FASHION_MNIST && dir == null) {
      throw new IllegalArgumentException(
          kind.id() + " needs a directory: " + kind.id() + ":DIR; accepted: " + FORMS);
    }
  }

  /**
   * Parses a spec; the scheme is case-insensitive.
   *
   * @param spec e.g. {@code "fashion-mnist"} or {@code "cifar10:/data/cifar"}
   * @throws IllegalArgumentException for an unknown scheme or a missing directory, listing the
   *     forms
   */
  public static DatasetSpec parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty dataset; accepted: " + FORMS);
    }
    String s = spec.strip();
    int colon = s.indexOf(':');
    String scheme = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
    String dir = colon < 0 ? null : s.substring(colon + 1).strip();
    for (Kind kind : Kind.values()) {
      if (kind.id().equals(scheme)) {
        if (kind == Kind.FASHION_MNIST) {
          if (dir != null) {
            throw new IllegalArgumentException(
                "unknown dataset \""
                    + spec
                    + "\": fashion-mnist takes no "
                    + "directory (use --data-dir DIR); accepted: "
                    + FORMS);
          }
          return FASHION_MNIST;
        }
        if (dir == null || dir.isEmpty()) {
          throw new IllegalArgumentException(
              "dataset \""
                  + spec
                  + "\" needs a directory: "
                  + kind.id()
                  + ":DIR; accepted: "
                  + FORMS);
        }
        return new DatasetSpec(kind, Path.of(dir));
      }
    }
    throw new IllegalArgumentException("unknown dataset \"" + spec + "\"; accepted: " + FORMS);
  }

  /** The spec as {@link #parse} reads it, e.g. {@code "idx:/data/mnist"}. */
  @Override
  public String toString() {
    return dir == null ? kind.id() : kind.id() + ":" + dir;
  }
}
