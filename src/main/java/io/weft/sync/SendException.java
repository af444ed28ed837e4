package io.weft.sync;

import java.io.Serial;

/**
 * A value could not be sent because the receiving side is closed; the value comes back with it, so
 * nothing is lost.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try {
 *     tx.send(order);
 * } catch (SendException e) {
 *     retryLater((Order) e.value());
 * }
 * }
 */
public class SendException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The value that was not sent; not serialized. */
    private final transient Object value;

    /**
     * Creates the exception.
     *
     * @param message why
     * @param value the value that was not sent
     */
    public SendException(String message, Object value) {
        super(message);
        this.value = value;
    }

    /**
     * {@return the value that was not sent}
     *
     * @param <T> its type (unchecked: the caller knows what it sent)
     */
    @SuppressWarnings("unchecked")
    public <T> T value() {
        return (T) value;
    }
}
