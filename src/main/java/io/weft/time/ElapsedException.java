package io.weft.time;

import java.io.Serial;

/**
 * A deadline passed before the awaited thing happened.
 *
 * <p>Weft's counterpart of Tokio's {@code time::error::Elapsed}: thrown by the timed variants of
 * parking calls, such as {@link io.weft.task.JoinHandle#join(java.time.Duration)}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try {
 *     handle.join(Duration.ofSeconds(1));
 * } catch (ElapsedException e) {
 *     handle.abort();
 * }
 * }
 */
public class ElapsedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what timed out
     */
    public ElapsedException(String message) {
        super(message);
    }
}
