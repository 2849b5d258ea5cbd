/**
 * The Vision Transformer, read like the paper top to bottom: patchify, position embedding, encoder
 * blocks (pre-norm attention, then MLP or MoE), final norm, pooling, linear head; and the registry
 * of named variants ({@code micro}, {@code ti}, {@code s}, {@code b}).
 */
package vimoe.model;
