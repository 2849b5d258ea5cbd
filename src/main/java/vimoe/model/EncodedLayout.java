package vimoe.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.function.Consumer;

/**
 * The byte layout of a file of DJL-encoded arrays (model parameters, optimizer moments) for one
 * configuration, to check a file before DJL decodes it. DJL trusts the counts and lengths in such a
 * file: a damaged one can make it allocate gigabytes, build a tensor over too little data or fail
 * with an EOFException that names nothing. For a fixed configuration every byte of the file is
 * fixed except the array contents, so the layout is learned by encoding the same arrays twice, once
 * filled with bytes 0x00 and once with 0x01: the bytes that agree are the structure (names, types,
 * shapes, lengths), the others are data. A file fits if it has the same length and the same
 * structure bytes.
 */
public final class EncodedLayout {
  /** A float whose four bytes are all 0x01, so that every data byte differs from a zero fill. */
  public static final float PATTERN = Float.intBitsToFloat(0x01010101);

  private final byte[] reference;
  private final BitSet data;

  private EncodedLayout(byte[] reference, BitSet data) {
    this.reference = reference;
    this.data = data;
  }

  /**
   * The layout of two encodings of the same structure.
   *
   * @param zeros the encoding with every data byte 0x00
   * @param pattern the encoding with every data byte 0x01
   */
  public static EncodedLayout of(byte[] zeros, byte[] pattern) {
    if (zeros.length != pattern.length) {
      throw new IllegalArgumentException(
          "the two encodings differ in length ("
              + zeros.length
              + " and "
              + pattern.length
              + "): their structure depends on the content");
    }
    BitSet data = new BitSet(zeros.length);
    for (int i = 0; i < zeros.length; i++) {
      if (zeros[i] != pattern[i]) {
        data.set(i);
      }
    }
    return new EncodedLayout(zeros.clone(), data);
  }

  /**
   * The layout of {@code model.params} for a configuration: its model, initialised as training
   * initialises it, saved with every parameter filled with each pattern.
   */
  public static EncodedLayout ofParameters(VitConfig config) {
    try (NDManager manager = NDManager.newBaseManager()) {
      VisionTransformer model = new VisionTransformer(config);
      model.initialize(
          manager,
          DataType.FLOAT32,
          new Shape(
              config.groupImages(), config.channels(), config.imageSize(), config.imageSize()));
      byte[] zeros = save(model, 0f);
      byte[] pattern = save(model, PATTERN);
      return of(zeros, pattern);
    }
  }

  private static byte[] save(VisionTransformer model, float fill) {
    for (Pair<String, Parameter> p : model.getParameters()) {
      NDArray array = p.getValue().getArray();
      // Not NDArray.set(float[]): DJL's PyTorch engine writes a buffer under the deprecated
      // AutoNonVariableTypeMode guard, which prints a warning of "silent wrong results" once per
      // process. Arithmetic in place fills the same values exactly (every initial value is
      // finite; 0 * x + fill is fill, also for x < 0) and needs no gradient on this throwaway
      // model.
      array.setRequiresGradient(false);
      array.muli(0).addi(fill);
    }
    return encode(
        out -> {
          try {
            model.saveParameters(out);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** The bytes {@code writer} writes. */
  public static byte[] encode(Consumer<DataOutputStream> writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    writer.accept(out);
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The length of a fitting file in bytes. */
  public int length() {
    return reference.length;
  }

  /**
   * Where {@code bytes} first departs from this layout: -1 if it fits, the offset of the first
   * wrong structure byte otherwise, or {@link #length()} if only its length is wrong.
   */
  public long firstMismatch(byte[] bytes) {
    int n = Math.min(bytes.length, reference.length);
    for (int i = 0; i < n; i++) {
      if (bytes[i] != reference[i] && !data.get(i)) {
        return i;
      }
    }
    return bytes.length == reference.length ? -1 : n;
  }
}
