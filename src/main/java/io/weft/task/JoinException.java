package io.weft.task;

import java.io.Serial;

/**
 * The task a {@link JoinHandle} refers to did not produce a value: it failed or was cancelled.
 *
 * <p>Weft's counterpart of Tokio's {@code JoinError}. {@link #isFailed()} means the task threw; the
 * exception it threw is the {@linkplain #getCause() cause}. {@link #isCancelled()} means the task was
 * aborted (or the runtime shut down) before it finished.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try {
 *     handle.join();
 * } catch (JoinException e) {
 *     if (e.isCancelled()) log("task " + e.id() + " was aborted");
 *     else throw new IllegalStateException("task failed", e.getCause());
 * }
 * }
 */
public class JoinException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The task; not serialized. */
    private final transient TaskId id;
    /** True for a cancelled task, false for a failed one. */
    private final boolean cancelled;

    /**
     * Creates the exception.
     *
     * @param id the task
     * @param cancelled true if the task was cancelled, false if it failed
     * @param cause the exception the task threw (for a cancelled task, what it threw while unwinding, or null)
     */
    public JoinException(TaskId id, boolean cancelled, Throwable cause) {
        super((cancelled ? "task " + id + " was cancelled" : "task " + id + " failed: " + cause), cause);
        this.id = id;
        this.cancelled = cancelled;
    }

    /** {@return true if the task was aborted before it finished} */
    public boolean isCancelled() {
        return cancelled;
    }

    /** {@return true if the task threw; the exception is {@link #getCause()}} */
    public boolean isFailed() {
        return !cancelled;
    }

    /** {@return the task's id} */
    public TaskId id() {
        return id;
    }
}
