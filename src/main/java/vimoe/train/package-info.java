/**
 * Training: the loop (AdamW, warm-up then cosine decay, gradient clipping, label smoothing, the
 * routers' auxiliary losses), a checkpoint after every epoch with resume, the divergence guard, and
 * the deterministic mode. The run directory's files are {@link vimoe.run}'s.
 */
package vimoe.train;
