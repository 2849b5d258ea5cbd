/**
 * Routers: pure functions from router logits to a {@link vimoe.moe.routing.RoutingPlan} (the plan
 * forms {@link vimoe.moe.routing.SparsePlan} and {@link vimoe.moe.routing.SoftPlan}, their {@link
 * vimoe.moe.routing.RoutingMetrics} and {@link vimoe.moe.routing.Capacity}), one class per
 * selection rule, all configured by one validated {@link vimoe.moe.routing.RouterSpec}, and the
 * registry {@link vimoe.moe.routing.Routers}: one {@link vimoe.moe.routing.RouterInfo} per router
 * (family, score, input, options that apply, defaults, factory). Selection runs as tensor programs
 * on the logits' device; the Java-array code is the float64 reference. Imports nothing from {@code
 * vimoe.moe}.
 *
 * <p>Notation (docs/routing.md, "Notation"), used by every shape in this project's javadoc and
 * comments:
 *
 * <table>
 *   <caption>The letters of shapes</caption>
 *   <tr><th>letter</th><th>meaning</th></tr>
 *   <tr><td>G</td><td>routing groups in a batch</td></tr>
 *   <tr><td>S</td><td>tokens per group</td></tr>
 *   <tr><td>D</td><td>model width (the token vector's length)</td></tr>
 *   <tr><td>H</td><td>hidden width of one expert MLP</td></tr>
 *   <tr><td>E</td><td>experts</td></tr>
 *   <tr><td>K</td><td>experts each token asks for (Token Choice; 1 for the other families)</td></tr>
 *   <tr><td>C</td><td>slots per expert per group, the capacity (Soft MoE: P slots)</td></tr>
 *   <tr><td>CF</td><td>capacity factor</td></tr>
 *   <tr><td>L, L~</td><td>router logits without and with training noise, S x E</td></tr>
 *   <tr><td>G[s,e]</td><td>gates, softmax of L~ over the experts</td></tr>
 *   <tr><td>Dsp, Cmb</td><td>dispatch and combine tensors, S x E x C</td></tr>
 *   <tr><td>sigma</td><td>noise standard deviation</td></tr>
 *   <tr><td>T</td><td>iterations of a solver (Sinkhorn, k-sparse OT)</td></tr>
 * </table>
 *
 * <p>Batched arrays put the group first: logits and gates are (G, S, E), Soft MoE's slot logits (G,
 * S, E, C), tokens (G, S, D).
 */
package vimoe.moe.routing;
