package io.weft.task;

import io.weft.internal.task.TaskImpl;

/**
 * Aborts a task without owning its result [Tokio: {@code task::AbortHandle}].
 *
 * <h2>Example</h2>
 * {@snippet :
 * AbortHandle stop = Task.spawn(() -> serveForever()).abortHandle();
 * // later, from anywhere:
 * stop.abort();
 * }
 */
public final class AbortHandle {
    private final TaskImpl<?> task;

    AbortHandle(TaskImpl<?> task) {
        this.task = task;
    }

    /**
     * Aborts the task; see {@link JoinHandle#abort()}.
     *
     * {@snippet :
     * abortHandle.abort();
     * }
     */
    public void abort() {
        task.abort();
    }

    /**
     * {@return true once the task has ended}
     *
     * {@snippet :
     * boolean done = abortHandle.isFinished();
     * }
     */
    public boolean isFinished() {
        return task.isDone();
    }

    /**
     * {@return the task's id}
     *
     * {@snippet :
     * TaskId id = abortHandle.id();
     * }
     */
    public TaskId id() {
        return task.taskId();
    }

    @Override
    public String toString() {
        return "AbortHandle[" + task + "]";
    }
}
