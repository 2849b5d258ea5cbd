package vimoe.model;

/** How the encoder's tokens become one feature vector per image. */
public enum Pooling {
    /** Global average pooling over the patch tokens (the routers paper's default). */
    GAP,
    /** A learned class token prepended to the patches; its final state is the feature. */
    TOKEN
}
