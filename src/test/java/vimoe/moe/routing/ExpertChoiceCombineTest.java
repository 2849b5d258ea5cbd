package vimoe.moe.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Expert Choice combines in two ways (one batched product per group where E*C <= D, sums of runs
 * otherwise); both give the same output and the same gradients for the expert outputs and the
 * gates, on plans from heavily tied scores (tokens in several slots, in none, empty slots under the
 * positive-only rule), in float64 and float32.
 */
class ExpertChoiceCombineTest {

  @Property(tries = 60)
  void productAndRunsAgreeInValueAndGradient(
      @ForAll @IntRange(min = 1, max = 3) int groups,
      @ForAll @IntRange(min = 1, max = 12) int tokens,
      @ForAll @IntRange(min = 1, max = 5) int experts,
      @ForAll @IntRange(min = 1, max = 4) int d,
      @ForAll boolean positiveOnly,
      @ForAll boolean float32,
      @ForAll long seed) {
    Random rnd = new Random(seed);
    DataType type = float32 ? DataType.FLOAT32 : DataType.FLOAT64;
    int capacity = 1 + rnd.nextInt(tokens);
    try (NDManager m = NDManager.newBaseManager()) {
      double[] levels = {0, 0.25, 0.5, 1};
      double[] score = new double[groups * tokens * experts];
      double[] g = new double[score.length];
      double[] out = new double[experts * groups * capacity * d];
      for (int i = 0; i < score.length; i++) {
        score[i] = levels[rnd.nextInt(levels.length)];
        g[i] = rnd.nextDouble();
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = rnd.nextGaussian();
      }
      Shape shape = new Shape(groups, tokens, experts);
      DeviceSelection.Selection sel =
          SelectionRules.EXPERT_CHOICE.onDevice(
              m.create(score, shape).toType(type, false),
              positiveOnly,
              RouterSpec.of("softmax-ec"),
              capacity);
      double[] probe = new double[groups * tokens * d];
      for (int i = 0; i < probe.length; i++) {
        probe[i] = rnd.nextGaussian();
      }
      double[][] byProduct =
          valueAndGradients(
              m, sel, g, shape, out, probe, type, capacity, d, SparsePlan::combineByProduct);
      double[][] byRuns =
          valueAndGradients(
              m, sel, g, shape, out, probe, type, capacity, d, SparsePlan::combineRuns);
      double tol = float32 ? 1e-5 : 1e-12;
      String[] what = {"output", "d/d expert outputs", "d/d gates"};
      for (int k = 0; k < what.length; k++) {
        assertEquals(byRuns[k].length, byProduct[k].length);
        for (int i = 0; i < byRuns[k].length; i++) {
          assertEquals(
              byRuns[k][i],
              byProduct[k][i],
              tol * (1 + Math.abs(byRuns[k][i])),
              what[k] + " at " + i);
        }
      }
      assertTrue(
          java.util.Arrays.stream(byRuns[0]).anyMatch(v -> v != 0) || positiveOnly,
          "every token combines nothing");
    }
  }

  /** [Y, dL/dO, dL/dG] for L = <Y, probe> with the given combine. */
  private static double[][] valueAndGradients(
      NDManager m,
      DeviceSelection.Selection sel,
      double[] g,
      Shape shape,
      double[] out,
      double[] probe,
      DataType type,
      int capacity,
      int d,
      java.util.function.BiFunction<SparsePlan, NDArray, NDArray> combine) {
    int groups = (int) shape.get(0), tokens = (int) shape.get(1), experts = (int) shape.get(2);
    NDArray gates = m.create(g, shape).toType(type, false);
    NDArray outputs =
        m.create(out, new Shape(experts, (long) groups * capacity, d)).toType(type, false);
    gates.setRequiresGradient(true);
    outputs.setRequiresGradient(true);
    double[] y;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      SparsePlan plan =
          new SparsePlan(
              sel.slotToken(),
              sel.tokenExpert(),
              sel.tokenPosition(),
              1,
              gates,
              false,
              gates.sum(),
              true);
      NDArray result = combine.apply(plan, outputs);
      assertEquals(new Shape(groups, tokens, d), result.getShape());
      y = result.toType(DataType.FLOAT64, false).toDoubleArray();
      gc.backward(result.mul(m.create(probe, result.getShape()).toType(type, false)).sum());
    }
    return new double[][] {
      y,
      outputs.getGradient().toType(DataType.FLOAT64, false).toDoubleArray(),
      gates.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()
    };
  }
}
