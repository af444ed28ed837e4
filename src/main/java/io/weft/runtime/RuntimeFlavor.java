package io.weft.runtime;

/**
 * The two kinds of runtime, as in Tokio.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (var rt = Runtime.builderCurrentThread().build()) {
 *     assert rt.flavor() == RuntimeFlavor.CURRENT_THREAD;
 * }
 * }
 */
public enum RuntimeFlavor {
    /** Tasks run on several carriers that steal work from each other. */
    MULTI_THREAD,
    /** Tasks run on a single carrier, one at a time: no two tasks ever run in parallel. */
    CURRENT_THREAD
}
