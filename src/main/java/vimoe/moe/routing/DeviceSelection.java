package vimoe.moe.routing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The selection rules of the sparse routers (docs/routing.md) as tensor programs on the scores'
 * device, batched over groups: no copy to the host, no Java index arrays. They reproduce {@link
 * SlotFilling} exactly, ties to the lower index included, although no sort of the engine is stable
 * ({@link #descendingOrder}, {@link #topIndices}).
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
    NDArray key = run.mul(Scalars.constant(p, n)).add(p); // unique, exact in int64
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

  /**
   * Token Choice (V-MoE, arXiv 2106.05974), as {@link SlotFilling#tokenChoice}: each token asks for
   * its top K experts; requests are served by choice rank, then token priority (index order, or
   * descending top score with BPR); a request gets slot c = earlier requests to its expert, if c <
   * C. Earlier requests are counted with a cumulative sum of one-hot rows in priority order.
   *
   * @param score (G, S, E), compared only
   * @param positiveOnly only entries with score > 0 may be requested
   */
  static Selection tokenChoice(
      NDArray score, boolean positiveOnly, int k, int capacity, boolean batchPriority) {
    Shape shape = score.getShape();
    long groups = shape.get(0), tokens = shape.get(1), experts = shape.get(2);
    NDManager m = score.getManager();
    NDArray choice = topIndices(score, k); // (G, S, K)
    NDArray valid = positiveOnly ? score.gather(choice, 2).gt(Scalars.constant(score, 0)) : null;
    NDArray order =
        batchPriority
            ? descendingOrder(score.max(new int[] {2}))
            : null; // (G, S) priority -> token
    NDArray requests = choice; // (G, S, K), rows in priority order
    if (order != null) {
      NDArray rows = order.expandDims(2).broadcast(new Shape(groups, tokens, k));
      requests = choice.gather(rows, 1);
      valid = valid == null ? null : valid.gather(rows, 1);
    }
    // (G, K*S): all first choices in priority order, then all second choices, ...
    NDArray wanted = requests.transpose(0, 2, 1).reshape(groups, k * tokens);
    // one-hot rows by comparison with 0..E-1 (DJL's oneHot range-checks its input on the host)
    NDArray hot =
        wanted
            .expandDims(2)
            .eq(Scalars.range(score, 0, experts, 1, 1, 1, experts))
            .toType(DataType.INT64, false); // (G, K*S, E)
    if (valid != null) {
      hot =
          hot.mul(
              valid
                  .transpose(0, 2, 1)
                  .reshape(groups, k * tokens, 1)
                  .toType(DataType.INT64, false));
    }
    NDArray one = Scalars.constant(wanted, 1);
    NDArray earlier =
        hot.cumSum(1).gather(wanted.expandDims(2), 2).reshape(groups, k * tokens).sub(one);
    NDArray granted = earlier.lt(Scalars.constant(earlier, capacity));
    if (valid != null) {
      granted = granted.logicalAnd(valid.transpose(0, 2, 1).reshape(groups, k * tokens));
    }
    NDArray none = Scalars.constant(earlier, -1);
    NDArray position =
        NDArrays.where(granted, earlier, none).reshape(groups, k, tokens); // (G, K, S) by priority
    if (order != null) { // back to token order: the entry at priority p belongs to token order[p]
      position =
          m.zeros(position.getShape(), DataType.INT64, score.getDevice())
              .scatter(order.expandDims(1).broadcast(new Shape(groups, k, tokens)), position, 2);
    }
    position = position.transpose(0, 2, 1); // (G, S, K)
    NDArray held = position.gte(Scalars.constant(position, 0));
    long slots = experts * capacity;
    NDArray slot =
        NDArrays.where(
            held,
            choice.mul(Scalars.constant(choice, capacity)).add(position),
            Scalars.constant(position, slots)); // e*C + c, or the dump column E*C
    NDArray token =
        Scalars.cached(
            score,
            "token of request " + groups + " " + tokens + " " + k,
            c ->
                c.arange(0, (int) tokens, 1, DataType.INT64, score.getDevice())
                    .reshape(1, tokens, 1)
                    .repeat(0, groups)
                    .repeat(2, k)); // (G, S, K)
    NDArray slotToken =
        m.full(new Shape(groups, slots + 1), -1, DataType.INT64, score.getDevice())
            .scatter(slot.reshape(groups, tokens * k), token.reshape(groups, tokens * k), 1)
            .get(new NDIndex(":, :{}", slots))
            .reshape(groups, experts, capacity);
    return new Selection(slotToken, choice, position);
  }

  /**
   * Expert Choice (arXiv 2202.09368), as {@link SlotFilling#expertChoice}: each expert takes its
   * top C tokens by score, slot c its (c+1)-th best, ties to the lower token index.
   *
   * @param score (G, S, E), compared only
   * @param positiveOnly only entries with score > 0 may be taken (slots may then stay empty)
   * @param capacity C <= S
   */
  static Selection expertChoice(NDArray score, boolean positiveOnly, int capacity) {
    Shape shape = score.getShape();
    long groups = shape.get(0), tokens = shape.get(1), experts = shape.get(2);
    NDManager m = score.getManager();
    NDArray byExpert = score.transpose(0, 2, 1); // (G, E, S)
    NDArray slotToken = topIndices(byExpert, capacity); // (G, E, C)
    NDArray target = slotToken;
    if (positiveOnly) {
      NDArray ok = byExpert.gather(slotToken, 2).gt(Scalars.constant(score, 0));
      slotToken = NDArrays.where(ok, slotToken, Scalars.constant(slotToken, -1));
      target = NDArrays.where(ok, target, Scalars.constant(target, tokens)); // dump column S
    }
    // position[g, e, s] = c where token s sits in slot (e, c), else -1
    NDArray c =
        Scalars.cached(
            score,
            "slot of expert " + groups + " " + experts + " " + capacity,
            cm ->
                cm.arange(0, capacity, 1, DataType.INT64, score.getDevice())
                    .reshape(1, 1, capacity)
                    .repeat(0, groups)
                    .repeat(1, experts)); // (G, E, C)
    NDArray position =
        m.full(new Shape(groups, experts, tokens + 1), -1, DataType.INT64, score.getDevice())
            .scatter(target, c, 2)
            .get(new NDIndex("..., :{}", tokens))
            .transpose(0, 2, 1); // (G, S, E)
    NDArray expert =
        Scalars.cached(
            score,
            "expert of token " + groups + " " + tokens + " " + experts,
            cm ->
                cm.arange(0, (int) experts, 1, DataType.INT64, score.getDevice())
                    .reshape(1, 1, experts)
                    .repeat(0, groups)
                    .repeat(1, tokens)); // (G, S, E)
    return new Selection(slotToken, expert, position);
  }
}
