import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import vimoe.model.Variants;
import vimoe.model.VisionTransformer;
import vimoe.model.VitConfig;
import vimoe.moe.routing.RouterSpec;
import vimoe.train.AdamW;
import vimoe.train.Trainer;

/**
 * Profiles training steps with PyTorch's profiler (through DJL's JniUtils) and writes a chrome trace:
 * {@code ROUTER TRACE [micro|s64|s224] [BATCH] [STEPS]}. Warm-up steps first, then timed unprofiled steps,
 * then STEPS profiled ones. Summarise with trace_summary.py TRACE STEPS.
 */
public class StepProfile {
    public static void main(String[] a) throws Exception {
        String size = a.length > 2 ? a[2] : "micro";
        VitConfig c = Variants.get("micro", 28, 1, 10, RouterSpec.of(a[0]));
        int batch = 128;
        if (!size.equals("micro")) {
            int image = size.equals("s224") ? 224 : 64, channels = size.equals("s224") ? 3 : 1;
            int patch = size.equals("s224") ? 16 : 4;
            VitConfig v = Variants.get("s", image, channels, 10, RouterSpec.of(a[0]));
            c = new VitConfig(image, channels, patch, v.width(), v.depth(), v.heads(), v.mlpDim(), 10, v.pooling(),
                    "every:2", v.router(), 8, v.mlpDim(), 1);
            batch = size.equals("s224") ? 64 : 16;
        }
        if (a.length > 3) {
            batch = Integer.parseInt(a[3]);
        }
        int steps = a.length > 4 ? Integer.parseInt(a[4]) : 3;
        try (NDManager m = NDManager.newBaseManager()) {
            VisionTransformer model = new VisionTransformer(c);
            model.initialize(m, DataType.FLOAT32, new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
            AdamW opt = new AdamW(Trainer.parameters(model), 0.05, m);
            for (int i = 0; i < 5; i++) {
                step(model, opt, m, batch);
            }
            long t = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                step(model, opt, m, batch);
            }
            System.out.printf("%s %s batch %d on %s: %.2f ms/step unprofiled%n", a[0], size, batch, m.getDevice(),
                    (System.nanoTime() - t) / 5e6);
            JniUtils.startProfile(m.getDevice().isGpu(), false, false);
            for (int i = 0; i < steps; i++) {
                step(model, opt, m, batch);
            }
            JniUtils.stopProfile(a[1]);
        }
    }

    static void step(VisionTransformer model, AdamW opt, NDManager m, int batch) {
        VitConfig c = model.config();
        try (NDScope scope = new NDScope(); NDManager s = m.newSubManager()) {
            NDArray x = s.randomNormal(new Shape(batch, c.channels(), c.imageSize(), c.imageSize()));
            NDArray y = s.randomInteger(0, 10, new Shape(batch), DataType.INT64);
            Trainer.step(model, opt, s, x, y, 0.1, 1.0, 1e-4);
        }
    }
}
