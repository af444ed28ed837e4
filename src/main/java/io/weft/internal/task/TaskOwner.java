package io.weft.internal.task;

/**
 * What a task needs from the runtime that runs it.
 */
public interface TaskOwner {
    /**
     * The task threw (and was not cancelled).
     *
     * @param task the task
     * @param error what it threw
     */
    void taskFailed(TaskImpl<?> task, Throwable error);

    /**
     * The task's body ended; forget it.
     *
     * @param task the task
     */
    void taskEnded(TaskImpl<?> task);

    /**
     * A completion callback threw.
     *
     * @param error what it threw
     */
    void reportCallbackError(Throwable error);

    /**
     * {@return true once the runtime is aborting every task: a task that throws then ends cancelled,
     * whatever it threw (a parent rethrowing its aborted child's JoinException is being cancelled too)}
     */
    default boolean isAborting() {
        return false;
    }
}
