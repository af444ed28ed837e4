package io.weft.sync;

import java.io.Serial;

/**
 * The channel or primitive was closed: no value will come, or no permit will be granted.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try {
 *     String v = rx.recv();   // Oneshot.Receiver
 * } catch (ClosedException e) {
 *     System.out.println("the sender went away without sending");
 * }
 * }
 */
public class ClosedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was closed
     */
    public ClosedException(String message) {
        super(message);
    }
}
