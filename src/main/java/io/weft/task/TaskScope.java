package io.weft.task;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.TaskImpl;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A structured scope: tasks forked in it never outlive it.
 *
 * <p>{@link #join()} waits for every fork and rethrows the first failure; the first fork to fail
 * aborts its siblings at once. {@link #close()} aborts whatever is still running and waits until it
 * has unwound, so when the {@code try} block ends, every fork has ended. Weft's counterpart of Java's
 * {@code StructuredTaskScope} (with the "shut down on failure" policy), without preview flags.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (TaskScope scope = Task.scope()) {
 *     JoinHandle<String> a = scope.fork(() -> fetch("a"));
 *     JoinHandle<String> b = scope.fork(() -> fetch("b"));
 *     scope.join();               // throws if either failed; the other was aborted
 *     return a.join() + b.join(); // both finished
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * If the task that owns the scope is aborted while parked in {@link #join()}, {@code join} throws
 * {@link CancelledException}, and {@link #close()} (run by the try-with-resources) aborts the forks.
 */
public final class TaskScope implements AutoCloseable {
    private final RuntimeCore core;
    private final List<TaskImpl<?>> forks = new ArrayList<>();
    private final AtomicReference<TaskImpl<?>> firstFailure = new AtomicReference<>();
    private boolean closed;

    TaskScope(RuntimeCore core) {
        this.core = core;
    }

    /**
     * Starts a task in this scope.
     *
     * {@snippet :
     * JoinHandle<Integer> h = scope.fork(() -> compute());
     * }
     *
     * @param task the body
     * @param <T> its result type
     * @return its handle
     * @throws IllegalStateException if the scope is closed
     */
    public <T> JoinHandle<T> fork(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        TaskImpl<T> t;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("scope is closed");
            }
            t = core.spawn(task, null);
            forks.add(t);
        }
        t.onDone(() -> {
            if (t.outcome() == TaskImpl.FAILED && firstFailure.compareAndSet(null, t)) {
                abortAllBut(t);
            }
        });
        return JoinHandle.of(t);
    }

    private void abortAllBut(TaskImpl<?> keep) {
        for (TaskImpl<?> t : snapshot()) {
            if (t != keep) {
                t.abort();
            }
        }
    }

    private synchronized List<TaskImpl<?>> snapshot() {
        return new ArrayList<>(forks);
    }

    /**
     * Parks until every fork has ended; rethrows the first failure.
     *
     * {@snippet :
     * scope.join();
     * }
     *
     * @throws JoinException for the first fork that failed (its exception is the cause)
     * @throws CancelledException if the calling task is aborted while parked here
     */
    public void join() {
        int seen = 0;
        while (true) {
            List<TaskImpl<?>> all = snapshot();
            if (seen == all.size()) {
                break;
            }
            for (int i = seen; i < all.size(); i++) {
                all.get(i).awaitDone(0);
            }
            seen = all.size();
        }
        TaskImpl<?> failed = firstFailure.get();
        if (failed != null) {
            throw new JoinException(failed.taskId(), false, failed.errorNow());
        }
    }

    /**
     * Aborts every fork still running and waits until all have ended. Idempotent.
     *
     * {@snippet :
     * scope.close();
     * }
     */
    @Override
    public void close() {
        List<TaskImpl<?>> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(forks);
        }
        for (TaskImpl<?> t : all) {
            t.abort();
        }
        boolean interrupted = false;
        for (TaskImpl<?> t : all) {
            while (!t.awaitTermination(0)) {
                // our own thread is interrupted (we are being aborted): still wait, forks must not outlive us
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
