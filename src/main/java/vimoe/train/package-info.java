/**
 * Training: the loop (AdamW, warm-up then cosine decay, gradient clipping, label smoothing, the
 * routers' auxiliary losses), atomic checkpoints with resume, and the metrics log.
 */
package vimoe.train;
