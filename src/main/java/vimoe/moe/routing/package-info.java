/**
 * Routers: pure functions from router logits to a {@link vimoe.moe.RoutingPlan}, one class per
 * selection rule, all configured by one validated {@link vimoe.moe.routing.RouterSpec} and created
 * by name through {@link vimoe.moe.routing.Routers}.
 */
package vimoe.moe.routing;
