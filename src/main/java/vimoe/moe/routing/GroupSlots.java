package vimoe.moe.routing;

/**
 * The slot assignment of one group of a sparse router: which token sits in each slot, and which
 * slots each token has. This is the index form of a 0/1 dispatch tensor; it never holds S x E x C.
 *
 * @param slotToken length E*C, entry {@code e*C + c} is the token in slot (e, c), or -1 if empty
 * @param tokenSlots S rows; row s lists the slots {@code e*C + c} of token s, in the order granted
 */
public record GroupSlots(int[] slotToken, int[][] tokenSlots) {}
