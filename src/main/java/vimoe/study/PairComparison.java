package vimoe.study;

import java.util.List;

/**
 * Two routers compared at one grid point: the mean over seeds of their paired difference in test
 * accuracy ({@code a - b}, a fraction), unadjusted and adjusted for the multiplicity of all pairs
 * at the point (Holm; see {@link Pairs}).
 *
 * @param point the grid point's label (empty without a sweep)
 * @param a the first router
 * @param b the second router
 * @param n the number of seeds both finished
 * @param difference mean of {@code a - b} over seeds, null without a common seed
 * @param ci95 its unadjusted 95% interval, null with fewer than two seeds
 * @param pValue the two-sided paired t-test p-value, null with fewer than two seeds
 * @param holmPValue the Holm-adjusted p-value over all pairs at the point, null with fewer than two
 *     seeds
 * @param adjustedConfidence the confidence of {@code adjustedInterval}: {@code 1 - level}, level
 *     the pair's Holm step ({@link Stats#holmLevels}), null with fewer than two seeds
 * @param adjustedInterval the t interval at {@code adjustedConfidence}: it excludes 0 exactly when
 *     the Holm-adjusted p-value is below 5%
 * @param unadjustedVerdict holds ({@code a} better), reversed ({@code b} better) or inconclusive,
 *     from the unadjusted interval
 * @param verdict the same from the Holm-adjusted p-value: what the report states
 */
public record PairComparison(
    String point,
    String a,
    String b,
    int n,
    Double difference,
    List<Double> ci95,
    Double pValue,
    Double holmPValue,
    Double adjustedConfidence,
    List<Double> adjustedInterval,
    String unadjustedVerdict,
    String verdict) {}
