package vimoe.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.train.AdamW;
import vimoe.train.Trainer;

/**
 * Training throughput of a model configuration per router: full training steps ({@link
 * Trainer#step}, the same step as training: forward, backward, clipping, AdamW) on random images,
 * after warm-up steps, reported as images per second and as a ratio to the dense baseline measured
 * in the same run. Routers are measured in rounds, each router's steps of a round in a row as in
 * training, timed up to the end of its last step (a GPU queues the work); every other round goes
 * through the routers in reverse, so that a machine that speeds up or slows down over a round
 * favours none of them. A router's ratio is the median over rounds of its ratio to dense in the
 * same round.
 */
public final class TrainingThroughput {
  private TrainingThroughput() {}

  /**
   * One router's numbers.
   *
   * @param router the router name
   * @param imagesPerSecond median over rounds
   * @param ratioToDense median over rounds of the router's images/s divided by dense's in the same
   *     round
   */
  public record Row(String router, double imagesPerSecond, double ratioToDense) {}

  /**
   * Measures every configuration; the first must be the dense baseline.
   *
   * @param configs the model of each router (same shapes, different routers)
   * @param batch images per step
   * @param warmup untimed steps per configuration before timing
   * @param steps timed steps per configuration per round
   * @param rounds rounds
   * @param device where the models train
   */
  public static List<Row> measure(
      List<VitConfig> configs,
      int batch,
      int warmup,
      int steps,
      int rounds,
      Device device,
      PrintStream log) {
    double[][] ips = new double[configs.size()][rounds];
    try (NDManager manager = NDManager.newBaseManager(device)) {
      List<VisionTransformer> models = new ArrayList<>();
      List<AdamW> optimizers = new ArrayList<>();
      for (VitConfig c : configs) {
        Engine.getInstance().setRandomSeed(0);
        VisionTransformer m = new VisionTransformer(c);
        m.initialize(
            manager,
            DataType.FLOAT32,
            new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
        models.add(m);
        optimizers.add(new AdamW(Trainer.parameters(m), 0.05, manager));
        run(m, optimizers.get(optimizers.size() - 1), manager, batch, warmup);
      }
      for (int r = 0; r < rounds; r++) {
        for (int n = 0; n < configs.size(); n++) {
          int i = r % 2 == 0 ? n : configs.size() - 1 - n;
          long start = System.nanoTime();
          run(models.get(i), optimizers.get(i), manager, batch, steps);
          ips[i][r] = (double) batch * steps / ((System.nanoTime() - start) / 1e9);
          log.printf(
              "round %d %-13s %7.1f images/s%n",
              r + 1, configs.get(i).router().router(), ips[i][r]);
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      double[] ratio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratio[r] = ips[i][r] / ips[0][r];
      }
      rows.add(new Row(configs.get(i).router().router(), median(ips[i]), median(ratio)));
    }
    return rows;
  }

  /** Runs training steps and waits for the last one to finish. */
  private static void run(
      VisionTransformer model, AdamW optimizer, NDManager manager, int batch, int steps) {
    VitConfig c = model.config();
    for (int s = 0; s < steps; s++) {
      try (NDScope scope = new NDScope();
          NDManager step = manager.newSubManager()) {
        NDArray x = step.randomNormal(new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
        NDArray y = step.randomInteger(0, c.numClasses(), new Shape(batch), DataType.INT64);
        NDList out = Trainer.step(model, optimizer, step, x, y, 0.1, 1.0, 1e-4);
        if (s == steps - 1) {
          out.get(0).toFloatArray();
        }
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
