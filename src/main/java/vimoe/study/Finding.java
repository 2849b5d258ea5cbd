package vimoe.study;

import java.util.List;

/**
 * One of the routers paper's claims, tested on a study's test accuracy.
 *
 * @param claim the claim in words
 * @param estimate the mean paired difference in test accuracy (a fraction, 0.01 = one point), null
 *     when the study lacks the routers the claim compares
 * @param ci95 its 95% interval over seeds, null with fewer than two seeds
 * @param verdict "holds" or "reversed" only when the interval excludes 0, else "inconclusive"
 * @param n the number of paired seeds
 * @param compared what was subtracted from what, e.g. "7 MoE routers minus dense"
 * @param point the grid point, e.g. "capacity_factor=1" (empty without a sweep)
 */
public record Finding(
    String claim,
    Double estimate,
    List<Double> ci95,
    String verdict,
    int n,
    String compared,
    String point) {}
