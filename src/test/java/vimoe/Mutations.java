package vimoe;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;

/**
 * Damaged copies of a valid file for fuzz tests: a seeded mix of the damage files suffer
 * (truncation, flipped and overwritten bytes, a header integer set to an extreme value, chunks
 * deleted, repeated or inserted), so that every header field and length check of a reader gets
 * exercised.
 */
public final class Mutations {
  /**
   * Integers that break size arithmetic: zero, one, negative, huge, powers of two and their
   * neighbours.
   */
  private static final int[] EXTREMES = {
    0,
    1,
    -1,
    2,
    255,
    256,
    65535,
    65536,
    1 << 20,
    1 << 24,
    1 << 30,
    Integer.MAX_VALUE,
    Integer.MAX_VALUE - 8,
    Integer.MIN_VALUE,
    0x80,
    0x7f,
    10,
    11,
    3073
  };

  private Mutations() {}

  /** One to four seeded mutations of {@code base}. */
  public static byte[] mutate(byte[] base, long seed) {
    Random r = new Random(seed);
    byte[] b = base.clone();
    int count = 1 + r.nextInt(4);
    for (int i = 0; i < count; i++) {
      b = once(b, r);
    }
    return b;
  }

  private static byte[] once(byte[] b, Random r) {
    if (b.length == 0) {
      return randomBytes(r, 1 + r.nextInt(64));
    }
    int at = r.nextInt(b.length);
    switch (r.nextInt(8)) {
      case 0 -> { // truncate
        return Arrays.copyOf(b, r.nextInt(b.length));
      }
      case 1 -> { // flip a bit
        b[at] ^= (byte) (1 << r.nextInt(8));
        return b;
      }
      case 2 -> { // overwrite a byte
        b[at] = (byte) r.nextInt(256);
        return b;
      }
      case 3 -> { // a big-endian integer field set to an extreme value, often at a header offset
        int pos = r.nextBoolean() ? Math.min(b.length - 1, 4 * r.nextInt(8)) : at;
        int v = EXTREMES[r.nextInt(EXTREMES.length)];
        for (int k = 0; k < 4 && pos + k < b.length; k++) {
          b[pos + k] = (byte) (v >>> (24 - 8 * k));
        }
        return b;
      }
      case 4 -> { // delete a chunk
        int len = Math.min(b.length - at, 1 + r.nextInt(64));
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, b.length - at - len);
        return out;
      }
      case 5 -> { // repeat a chunk
        int len = Math.min(b.length - at, 1 + r.nextInt(64));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, at + len);
        out.write(b, at, b.length - at);
        return out.toByteArray();
      }
      case 6 -> { // insert random bytes
        byte[] extra = randomBytes(r, 1 + r.nextInt(32));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, at);
        out.write(extra, 0, extra.length);
        out.write(b, at, b.length - at);
        return out.toByteArray();
      }
      default -> { // append garbage
        byte[] extra = randomBytes(r, 1 + r.nextInt(32));
        byte[] out = Arrays.copyOf(b, b.length + extra.length);
        System.arraycopy(extra, 0, out, b.length, extra.length);
        return out;
      }
    }
  }

  /** {@code n} seeded random bytes. */
  public static byte[] randomBytes(Random r, int n) {
    byte[] out = new byte[n];
    r.nextBytes(out);
    return out;
  }
}
