package vimoe.data;

import java.util.Random;

/**
 * Corrupted copies of an image set, for robustness tests: additive Gaussian noise and a small
 * rotation. Both act on the uint8 pixels (N, Ch, H, W) and are deterministic.
 */
public final class Corruptions {
  /** Noise of the study: standard deviation 0.1 of the pixel range. */
  public static final double STUDY_NOISE_STD = 0.1;

  /** Rotation of the study, in degrees (counter-clockwise). */
  public static final double STUDY_ROTATION_DEGREES = 15;

  private Corruptions() {}

  /**
   * Adds N(0, (std * 255)^2) to every pixel, rounds and clips to 0..255. Image i draws its noise
   * from a generator seeded by (seed, i), so the result does not depend on the set's order.
   *
   * @param std standard deviation as a fraction of the pixel range 0..255, >= 0
   */
  public static ImageSet gaussianNoise(ImageSet images, double std, long seed) {
    if (!(std >= 0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("noise std must be >= 0, got " + std);
    }
    int n = images.size(), size = images.imageSize();
    byte[] out = new byte[n * size];
    for (int i = 0; i < n; i++) {
      Random random = new Random(seed * 0x9E3779B97F4A7C15L + i);
      byte[] img = images.image(i);
      for (int k = 0; k < size; k++) {
        double v = (img[k] & 0xff) + random.nextGaussian() * std * 255;
        out[i * size + k] = (byte) Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return copy(images, out, "noise " + std);
  }

  /**
   * Rotates every image by {@code degrees} about its centre, counter-clockwise, with bilinear
   * interpolation; pixels that come from outside the image are 0 (the background of Fashion-MNIST).
   */
  public static ImageSet rotate(ImageSet images, double degrees) {
    int n = images.size(), ch = images.channels(), h = images.height(), w = images.width();
    double a = Math.toRadians(degrees), cos = Math.cos(a), sin = Math.sin(a);
    double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
    int size = images.imageSize();
    byte[] out = new byte[n * size];
    for (int i = 0; i < n; i++) {
      byte[] img = images.image(i);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          // The source of output pixel (x, y): rotate it back by -degrees (y grows downwards).
          double dx = x - cx, dy = y - cy;
          double sx = cx + cos * dx - sin * dy, sy = cy + sin * dx + cos * dy;
          for (int c = 0; c < ch; c++) {
            out[i * size + (c * h + y) * w + x] = (byte) Math.round(bilinear(img, c, h, w, sy, sx));
          }
        }
      }
    }
    return copy(images, out, "rotated " + degrees);
  }

  private static double bilinear(byte[] img, int c, int h, int w, double y, double x) {
    int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
    double fx = x - x0, fy = y - y0;
    return (1 - fy) * ((1 - fx) * at(img, c, h, w, y0, x0) + fx * at(img, c, h, w, y0, x0 + 1))
        + fy * ((1 - fx) * at(img, c, h, w, y0 + 1, x0) + fx * at(img, c, h, w, y0 + 1, x0 + 1));
  }

  private static int at(byte[] img, int c, int h, int w, int y, int x) {
    return y < 0 || y >= h || x < 0 || x >= w ? 0 : img[(c * h + y) * w + x] & 0xff;
  }

  private static ImageSet copy(ImageSet images, byte[] pixels, String what) {
    return new ImageSet(
        images.name() + " (" + what + ")",
        images.channels(),
        images.height(),
        images.width(),
        pixels,
        images.labels(),
        images.classNames());
  }
}
