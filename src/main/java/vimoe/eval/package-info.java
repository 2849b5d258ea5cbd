/**
 * Evaluation the way the routers paper does it: top-1 accuracy (precision@1), per-class accuracy
 * and confusion matrix, the few-shot linear probe on frozen pre-logit features, and the routing
 * statistics of every MoE layer.
 */
package vimoe.eval;
