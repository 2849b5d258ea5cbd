package vimoe.moe;

/**
 * Plain-Java float64 reference of the unified formulation (docs/routing.md), independent of the
 * engine.
 */
final class Reference {
  private Reference() {}

  /** erf to about 1e-14: Taylor series below 3, the continued fraction of erfc above. */
  static double erf(double x) {
    double a = Math.abs(x);
    double r;
    if (a < 3) {
      double term = a, sum = a;
      for (int n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
        term *= -a * a / n;
        sum += term / (2 * n + 1);
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = a; // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
      for (int n = 60; n >= 1; n--) {
        f = a + (n / 2.0) / f;
      }
      r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
    }
    return x < 0 ? -r : r;
  }

  /** Exact GELU: x * Phi(x). */
  static double gelu(double x) {
    return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
  }

  /**
   * Y[s,:] = sum_{e,c} Cmb[s,e,c] f_e(sum_t Dsp[t,e,c] X[t,:]) for one group.
   *
   * @param x S x D
   * @param dsp S x E x C
   * @param cmb S x E x C
   * @param w1 E x D x H
   * @param b1 E x H
   * @param w2 E x H x D
   * @param b2 E x D
   */
  static double[][] layer(
      double[][] x,
      double[][][] dsp,
      double[][][] cmb,
      double[][][] w1,
      double[][] b1,
      double[][][] w2,
      double[][] b2) {
    int s = x.length, d = x[0].length, e = dsp[0].length, c = dsp[0][0].length, h = b1[0].length;
    double[][] y = new double[s][d];
    for (int ei = 0; ei < e; ei++) {
      for (int ci = 0; ci < c; ci++) {
        double[] xe = new double[d];
        for (int t = 0; t < s; t++) {
          for (int j = 0; j < d; j++) {
            xe[j] += dsp[t][ei][ci] * x[t][j];
          }
        }
        double[] hid = new double[h];
        for (int k = 0; k < h; k++) {
          double v = b1[ei][k];
          for (int j = 0; j < d; j++) {
            v += xe[j] * w1[ei][j][k];
          }
          hid[k] = gelu(v);
        }
        double[] ye = new double[d];
        for (int j = 0; j < d; j++) {
          double v = b2[ei][j];
          for (int k = 0; k < h; k++) {
            v += hid[k] * w2[ei][k][j];
          }
          ye[j] = v;
        }
        for (int t = 0; t < s; t++) {
          for (int j = 0; j < d; j++) {
            y[t][j] += cmb[t][ei][ci] * ye[j];
          }
        }
      }
    }
    return y;
  }
}
