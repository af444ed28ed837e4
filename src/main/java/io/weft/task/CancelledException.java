package io.weft.task;

import java.io.Serial;

/**
 * Thrown by a Weft call that was parked when its task was aborted (or its thread interrupted).
 *
 * <p>A task sees this exception from the Weft call it is parked in once {@link JoinHandle#abort()} (or
 * {@link JoinSet#abortAll()}, a failing sibling in a {@link TaskScope}, or runtime shutdown) cancels it.
 * The thread's interrupt status is kept, so a later Weft call throws it again at once; let it
 * propagate, and the task ends as cancelled. This is Weft's counterpart of a Tokio future being
 * dropped at its {@code .await}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var handle = Task.spawn(() -> {
 *     try {
 *         while (true) Task.yieldNow();      // parks here
 *     } catch (CancelledException e) {
 *         // clean up, then let it propagate
 *         throw e;
 *     }
 * });
 * handle.abort();
 * }
 */
public class CancelledException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was cancelled
     */
    public CancelledException(String message) {
        super(message);
    }
}
