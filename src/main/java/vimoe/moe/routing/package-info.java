/**
 * Routers: pure functions from router logits to a {@link vimoe.moe.routing.RoutingPlan} (the plan
 * forms {@link vimoe.moe.routing.SparsePlan} and {@link vimoe.moe.routing.SoftPlan}, their {@link
 * vimoe.moe.routing.RoutingMetrics} and {@link vimoe.moe.routing.Capacity}), one class per
 * selection rule, all configured by one validated {@link vimoe.moe.routing.RouterSpec}, and the
 * registry {@link vimoe.moe.routing.Routers}: one {@link vimoe.moe.routing.RouterInfo} per router
 * (family, score, input, options that apply, defaults, factory). Selection runs as tensor programs
 * on the logits' device; the Java-array code is the float64 reference. Imports nothing from {@code
 * vimoe.moe}.
 */
package vimoe.moe.routing;
