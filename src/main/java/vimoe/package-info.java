/**
 * vimoe: Vision Mixture-of-Experts on the JVM.
 *
 * <p>Vision Transformers whose MLP blocks may be Mixture-of-Experts layers, with every router of
 * "Routers in Vision Mixture of Experts: An Empirical Study" (Liu, Blondel, Riquelme, Puigcerver;
 * TMLR 2024, arXiv 2401.15969) behind one dispatch/combine contract ({@link
 * vimoe.moe.routing.RoutingPlan}). The packages follow the layers of the system: {@link vimoe.moe}
 * (the MoE layer), {@link vimoe.moe.routing} (the routers), {@link vimoe.moe.loss} (auxiliary
 * losses) and {@link vimoe.cli} (the command-line tool).
 */
package vimoe;
