/**
 * The unified MoE core: a router turns a group of tokens into a {@link vimoe.moe.RoutingPlan}
 * (dispatch and combine), {@link vimoe.moe.Experts} runs the E expert MLPs as one batched matrix
 * product, and {@link vimoe.moe.MoeLayer} ties them together as a DJL block.
 *
 * <p>Shapes use the letters of ROUTING.md: G groups, S tokens per group, D model width, H expert
 * hidden width, E experts, K experts per token, C slots per expert per group.
 */
package vimoe.moe;
