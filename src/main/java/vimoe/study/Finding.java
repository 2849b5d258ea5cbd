package vimoe.study;

import java.util.List;

/**
 * One of the routers paper's claims, or a comparison the user declared ({@code --compare A>B}),
 * tested on a study's test accuracy.
 *
 * @param claim the claim in words, e.g. "Expert Choice beats Token Choice" or "tc-bias beats
 *     softmax-tc"
 * @param estimate the mean paired difference in test accuracy (a fraction, 0.01 = one point), null
 *     when the study lacks the routers the claim compares
 * @param ci95 its 95% interval over seeds, null with fewer than two seeds
 * @param verdict "holds" or "reversed" only when the interval excludes 0, else "inconclusive"
 * @param n the number of paired seeds
 * @param compared what was subtracted from what, e.g. "7 MoE routers minus dense"
 * @param point the grid point, e.g. "capacity_factor=1" (empty without a sweep)
 * @param sd the standard deviation over seeds of the paired differences, null with fewer than two
 * @param minimumDetectableEffect the smallest true difference these n seeds detect with 80% power
 *     at a two-sided 5% level ({@link Stats#minimumDetectableEffect}), null with fewer than two
 * @param seedsToResolve when inconclusive, the seeds that would resolve a true difference equal to
 *     the estimate ({@link Stats#seedsToResolve}); null otherwise, or when more than {@link
 *     Stats#MAX_SEEDS} would be needed
 * @param declared whether the user declared it ({@code --compare}) rather than the paper
 */
public record Finding(
    String claim,
    Double estimate,
    List<Double> ci95,
    String verdict,
    int n,
    String compared,
    String point,
    Double sd,
    Double minimumDetectableEffect,
    Integer seedsToResolve,
    boolean declared) {}
