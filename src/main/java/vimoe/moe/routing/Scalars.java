package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Java numbers as tensors on an array's own device, and arithmetic with them on arrays that take
 * part in autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)} wraps the number in a temporary array backed by a direct
 * buffer and closes it at once; PyTorch's backward of a product still reads that operand, by then
 * freed memory, which showed up as NaN gradients once in a while. Here the number lives in the
 * array's own manager, so it survives until the step's manager closes, after the backward pass.
 *
 * <p>The number is made by a fill on the device ({@code torch::full}), not copied from a Java
 * buffer: on a GPU such a host-to-device copy waits for all queued work, a synchronisation per
 * number. The fill takes a {@code double}, so float64 constants are exact.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code a * c}, safe to differentiate. */
    public static NDArray mul(NDArray a, double c) {
        return a.mul(constant(a, c));
    }

    /** {@code a / c}, safe to differentiate. */
    public static NDArray div(NDArray a, double c) {
        return a.div(constant(a, c));
    }

    /** The number {@code c} as a scalar of {@code like}'s data type, on its device and in its manager. */
    public static NDArray constant(NDArray like, double c) {
        return constant(like, c, like.getDataType());
    }

    /** The number {@code c} as a scalar of the given type, on {@code like}'s device and in its manager. */
    public static NDArray constant(NDArray like, double c, DataType type) {
        NDManager m = like.getManager();
        if (m instanceof PtNDManager pt) {
            return JniUtils.full(pt, new Shape(), c, type, like.getDevice(), ai.djl.ndarray.types.SparseFormat.DENSE);
        }
        return m.create(c).toType(type, false);
    }
}
