package vimoe.moe;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with a Java number on arrays that take part in autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)} wraps the number in a temporary array backed by a direct
 * buffer and closes it at once; PyTorch's backward of a product still reads that operand, by then
 * freed memory, which showed up as NaN gradients once in a while. Here the number lives in the
 * array's own manager, so it survives until the step's manager closes, after the backward pass.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code a * c}, safe to differentiate. */
    public static NDArray mul(NDArray a, double c) {
        return a.mul(scalar(a, c));
    }

    /** {@code a / c}, safe to differentiate. */
    public static NDArray div(NDArray a, double c) {
        return a.div(scalar(a, c));
    }

    private static NDArray scalar(NDArray a, double c) {
        return a.getManager().create(c).toType(a.getDataType(), false);
    }
}
