package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Helpers of the device forms of the {@link SelectionRule}s: tensor programs on the scores' device,
 * batched over groups, no copy to the host. They order exactly as the float64 references do, ties
 * to the lower index included, although no sort of the engine is stable ({@link #descendingOrder},
 * {@link #topIndices}).
 *
 * <p>Ops used: argSort, gather, cumSum, one-hot rows by comparison, scatter (unique targets, plus
 * one dump column that may be written many times and is dropped), where, comparisons against device
 * constants.
 */
final class DeviceSelection {
  private DeviceSelection() {}

  /**
   * Which token sits in each slot and which slots each token holds, as index tensors (int64).
   *
   * @param slotToken (G, E, C): the token in slot (e, c), -1 when empty
   * @param tokenExpert (G, S, M): the expert of a token's m-th slot (M = K for Token Choice, E for
   *     Expert Choice, where entry e is expert e)
   * @param tokenPosition (G, S, M): the slot c within that expert, -1 when the token has no such
   *     slot
   */
  record Selection(NDArray slotToken, NDArray tokenExpert, NDArray tokenPosition) {}

  /**
   * The selection of a rule that fills slots expert by expert (Expert Choice, Global Choice), from
   * the token each expert ranks in its first C' <= C slots: slots not taken, and slots C' to C-1,
   * are empty (-1); a token's entry e is expert e, its position the slot it holds there or -1.
   *
   * @param best (G, E, C') the token of slot (e, c) for c < C'
   * @param taken (G, E, C') whether that slot is filled, or {@code null} when all are
   * @param tokens S
   * @param capacity C >= C'
   */
  static Selection byExpert(NDArray best, NDArray taken, long tokens, int capacity) {
    Shape shape = best.getShape();
    long groups = shape.get(0), experts = shape.get(1);
    int kept = (int) shape.get(2);
    NDArray slotToken = best, target = best;
    if (taken != null) {
      slotToken = NDArrays.where(taken, best, Scalars.constant(best, -1));
      target = NDArrays.where(taken, best, Scalars.constant(best, (double) tokens)); // dump S
    }
    NDArray c =
        Scalars.cached(
            best,
            "slot of expert " + groups + " " + experts + " " + kept,
            cm ->
                cm.arange(0, kept, 1, DataType.INT64, best.getDevice())
                    .reshape(1, 1, kept)
                    .repeat(0, groups)
                    .repeat(1, experts)); // (G, E, C')
    NDArray position =
        best.getManager()
            .full(new Shape(groups, experts, tokens + 1), -1, DataType.INT64, best.getDevice())
            .scatter(target, c, 2)
            .get(new NDIndex("..., :{}", tokens))
            .transpose(0, 2, 1); // (G, S, E)
    if (kept < capacity) {
      slotToken =
          slotToken.concat(
              best.getManager()
                  .full(
                      new Shape(groups, experts, capacity - kept),
                      -1,
                      DataType.INT64,
                      best.getDevice()),
              2);
    }
    NDArray expert =
        Scalars.cached(
            best,
            "expert of token " + groups + " " + tokens + " " + experts,
            cm ->
                cm.arange(0, (int) experts, 1, DataType.INT64, best.getDevice())
                    .reshape(1, 1, experts)
                    .repeat(0, groups)
                    .repeat(1, tokens)); // (G, S, E)
    return new Selection(slotToken, expert, position);
  }

  /**
   * Rows up to this length get a {@link #uniqueKey}: the index term stays below 2^-25 of a value.
   */
  private static final long UNIQUE_KEY_ROWS = 1L << 15;

  /**
   * The permutation that sorts the last axis by descending value, ties in index order (a stable
   * sort). The engine's sorts are not stable: float32 values are sorted once on their {@link
   * #uniqueKey}; float64 values are sorted, runs of equal values numbered, and sorted again on the
   * exact integer key {@code run * N + index}.
   *
   * @param x (..., N)
   * @return (..., N) int64 indices into the last axis
   */
  static NDArray descendingOrder(NDArray x) {
    Shape shape = x.getShape();
    int axis = shape.dimension() - 1;
    long n = shape.get(axis);
    NDArray unique = uniqueKey(x, true);
    if (unique != null) {
      return unique.argSort(axis, true); // the negated key ascending: no flip after the sort
    }
    NDArray p = x.argSort(axis, false);
    if (n == 1) {
      return p;
    }
    NDArray v = x.gather(p, axis); // sorted values, descending
    NDArray changed = v.get(new NDIndex("..., 1:")).neq(v.get(new NDIndex("..., :{}", n - 1)));
    NDManager m = x.getManager();
    NDArray first = m.zeros(shape.slice(0, axis).add(1), DataType.INT64, x.getDevice());
    NDArray run =
        NDArrays.concat(
            new NDList(first, changed.toType(DataType.INT64, false).cumSum(axis)), axis);
    NDArray key = run.mul(Scalars.constant(p, (double) n)).add(p); // unique, exact in int64
    return p.gather(key.argSort(axis, true), axis);
  }

  /**
   * The indices of the k largest entries of the last axis, largest first, ties to the lower index:
   * the first k of {@link #descendingOrder}, by an argmax (which returns the first maximum) when k
   * = 1, on a CPU by a plain top-k where no ties make its order ambiguous, and otherwise by a top-k
   * on the {@link #uniqueKey} for float32 values.
   *
   * @param x (..., N)
   * @return (..., k) int64 indices into the last axis
   */
  static NDArray topIndices(NDArray x, int k) {
    return topIndices(x, k, HostPaths.allowed(x));
  }

  /** {@link #topIndices(NDArray, int)}, trying a plain top-k first only when {@code tryPlain}. */
  static NDArray topIndices(NDArray x, int k, boolean tryPlain) {
    int axis = x.getShape().dimension() - 1;
    if (k == 1) {
      return x.argMax(axis).expandDims(axis);
    }
    long n = x.getShape().get(axis);
    if (tryPlain) {
      // where the k+1 largest of every row are distinct, any top-k is the stable one; on a CPU
      // checking that costs a read, and saves the key's float64 passes (~0.5 ms at micro)
      NDList top = x.topK((int) Math.min(k + 1, n), axis, true, true);
      if (!hasTies(top.get(0))) {
        return top.get(1).get(new NDIndex("..., :{}", k));
      }
    }
    NDArray unique = uniqueKey(x, false);
    if (unique != null) {
      return unique.topK(k, axis, true, true).get(1);
    }
    return descendingOrder(x).get(new NDIndex("..., :{}", k));
  }

  /**
   * Whether two neighbours along the last axis are equal (-0 and 0 included), read back to the
   * host.
   */
  private static boolean hasTies(NDArray sorted) {
    long n = sorted.getShape().get(sorted.getShape().dimension() - 1);
    return n > 1
        && sorted
            .get(new NDIndex("..., 1:"))
            .eq(sorted.get(new NDIndex("..., :{}", n - 1)))
            .any()
            .getBoolean();
  }

  /**
   * A float64 key with no ties that orders the last axis as (value descending, index ascending):
   * {@code x - i * (|x| * 2^-40 + 2^-1000)} for entry i, or {@code null} where it is not exact
   * (float64 values, rows longer than 2^15). Exact because distinct float32 values a > b differ by
   * more than 2^-25 max(|a|, |b|) (one float32 ulp is over 2^-24 of the value) while the index term
   * is below 2^-25 |x| for i < 2^15; equal values, zeros included (the 2^-1000 term), get keys
   * strictly decreasing in i; float64 rounding (2^-53 relative) cannot close either gap.
   *
   * @param x (..., N) of a type float32 holds exactly
   * @param negated the key's negation instead, which orders ascending as the key descending
   */
  static NDArray uniqueKey(NDArray x, boolean negated) {
    DataType type = x.getDataType();
    Shape shape = x.getShape();
    long n = shape.get(shape.dimension() - 1);
    boolean narrow =
        type == DataType.FLOAT32 || type == DataType.FLOAT16 || type == DataType.BFLOAT16;
    if (!narrow || n > UNIQUE_KEY_ROWS) {
      return null;
    }
    NDArray v = x.toType(DataType.FLOAT64, false);
    NDArray index =
        Scalars.cached(
            x, "float64 range " + n, c -> c.arange(0, (int) n, 1, DataType.FLOAT64, x.getDevice()));
    NDArray step = v.abs().mul(Scalars.constant(v, 0x1p-40)).add(Scalars.constant(v, 0x1p-1000));
    NDArray offset = step.mul(index);
    return negated ? offset.sub(v) : v.sub(offset);
  }
}
