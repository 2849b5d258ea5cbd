package vimoe.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

/**
 * Multi-head self-attention against the textbook formula in float64 on Java arrays: the fused QKV
 * output splits as (3, h, hd) per token (query, key, value; heads in order), softmax(q k^T /
 * sqrt(hd)) v per head, heads concatenated, then the output projection; and its input gradient by
 * central differences.
 */
class AttentionTest {
  static final int B = 2, T = 3, D = 6, H = 2, HD = D / H;

  @Test
  void equalsTheFormulaAndItsGradient() {
    try (NDManager m = NDManager.newBaseManager()) {
      Engine.getInstance().setRandomSeed(7);
      Attention block = new Attention(D, H);
      block.initialize(m, DataType.FLOAT64, new Shape(B, T, D));
      NDArray x = m.randomNormal(0, 1, new Shape(B, T, D), DataType.FLOAT64);
      double[][] wqkv = matrix(block, "01qkv_weight"),
          wproj = matrix(block, "02proj_weight"); // (out, in)
      double[] bqkv = block.getParameters().get("01qkv_bias").getArray().toDoubleArray();
      double[] bproj = block.getParameters().get("02proj_bias").getArray().toDoubleArray();
      double[] xv = x.toDoubleArray();
      double[] want = reference(xv, wqkv, bqkv, wproj, bproj);
      NDArray probe = m.randomNormal(0, 1, new Shape(B, T, D), DataType.FLOAT64);
      x.setRequiresGradient(true);
      double[] got;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = block.forward(new ParameterStore(m, false), new NDList(x), true).head();
        got = y.toDoubleArray();
        gc.backward(y.mul(probe).sum());
      }
      for (int i = 0; i < want.length; i++) {
        // 1e-7: the block scales q by a float32 constant 1/sqrt(hd), also in a float64 model
        assertEquals(want[i], got[i], 1e-7 * (1 + Math.abs(want[i])), "output " + i);
      }
      double[] grad = x.getGradient().toDoubleArray(), p = probe.toDoubleArray();
      for (int i = 0; i < xv.length; i++) {
        double h = 1e-6, old = xv[i];
        xv[i] = old + h;
        double up = dot(reference(xv, wqkv, bqkv, wproj, bproj), p);
        xv[i] = old - h;
        double down = dot(reference(xv, wqkv, bqkv, wproj, bproj), p);
        xv[i] = old;
        assertEquals((up - down) / (2 * h), grad[i], 1e-6, "d/dx " + i);
      }
    }
  }

  private static double[] reference(
      double[] x, double[][] wqkv, double[] bqkv, double[][] wproj, double[] bproj) {
    double[] y = new double[B * T * D];
    for (int b = 0; b < B; b++) {
      double[][] fused = new double[T][];
      for (int t = 0; t < T; t++) {
        fused[t] = affine(x, (b * T + t) * D, wqkv, bqkv);
      }
      double[][] heads = new double[T][D];
      for (int h = 0; h < H; h++) {
        for (int i = 0; i < T; i++) {
          double[] score = new double[T];
          double max = Double.NEGATIVE_INFINITY, sum = 0;
          for (int j = 0; j < T; j++) {
            for (int c = 0; c < HD; c++) {
              score[j] += fused[i][h * HD + c] * fused[j][D + h * HD + c] / Math.sqrt(HD);
            }
            max = Math.max(max, score[j]);
          }
          for (int j = 0; j < T; j++) {
            score[j] = Math.exp(score[j] - max);
            sum += score[j];
          }
          for (int j = 0; j < T; j++) {
            for (int c = 0; c < HD; c++) {
              heads[i][h * HD + c] += score[j] / sum * fused[j][2 * D + h * HD + c];
            }
          }
        }
      }
      for (int t = 0; t < T; t++) {
        System.arraycopy(affine(heads[t], 0, wproj, bproj), 0, y, (b * T + t) * D, D);
      }
    }
    return y;
  }

  private static double[] affine(double[] x, int offset, double[][] w, double[] bias) {
    double[] out = new double[w.length];
    for (int o = 0; o < w.length; o++) {
      out[o] = bias[o];
      for (int i = 0; i < w[o].length; i++) {
        out[o] += w[o][i] * x[offset + i];
      }
    }
    return out;
  }

  private static double[][] matrix(Attention block, String name) {
    NDArray w = block.getParameters().get(name).getArray();
    int rows = (int) w.getShape().get(0), cols = (int) w.getShape().get(1);
    double[] flat = w.toDoubleArray();
    double[][] out = new double[rows][cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(flat, r * cols, out[r], 0, cols);
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
