/**
 * The MoE layer: a {@link vimoe.moe.LogitsBlock} (linear router or Soft MoE's slot parameters)
 * feeds a router of {@link vimoe.moe.routing}, whose {@link vimoe.moe.routing.RoutingPlan}
 * dispatches and combines; {@link vimoe.moe.Experts} runs the E expert MLPs as one batched matrix
 * product, and {@link vimoe.moe.MoeLayer} ties them together as a DJL block.
 *
 * <p>Shapes use the letters of docs/routing.md: G groups, S tokens per group, D model width, H
 * expert hidden width, E experts, K experts per token, C slots per expert per group.
 */
package vimoe.moe;
