package io.weft.task;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.TaskImpl;
import io.weft.runtime.Handle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A set of tasks, joined in the order they finish [Tokio: {@code task::JoinSet}].
 *
 * <p>{@link #joinNext()} parks until any task in the set ends and returns its value; it returns
 * {@code null} once the set is empty. {@link #close()} aborts every task still in the set, so a
 * {@code JoinSet} in a try-with-resources never leaks a task.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (var set = new JoinSet<Integer>()) {
 *     for (int i = 0; i < 10; i++) {
 *         int n = i;
 *         set.spawn(() -> n * n);
 *     }
 *     int sum = 0;
 *     Integer v;
 *     while ((v = set.joinNext()) != null) sum += v;
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * If the task calling {@code joinNext} is aborted while parked there, it throws
 * {@link CancelledException} and no result is taken: the finished task stays in the set for the next call.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a task happen-before {@code joinNext} returns its value.
 *
 * @param <T> the tasks' result type
 */
public final class JoinSet<T> implements AutoCloseable {
    private final Set<TaskImpl<T>> tasks = new LinkedHashSet<>();
    private final LinkedBlockingQueue<TaskImpl<T>> finished = new LinkedBlockingQueue<>();

    /**
     * Creates an empty set.
     *
     * {@snippet :
     * var set = new JoinSet<String>();
     * }
     */
    public JoinSet() {}

    /**
     * A finished task's id and value.
     *
     * @param id the task's id
     * @param value its value
     * @param <T> the value type
     */
    public record Joined<T>(TaskId id, T value) {}

    /**
     * Spawns a task on the current runtime into this set.
     *
     * {@snippet :
     * set.spawn(() -> fetch(url));
     * }
     *
     * @param task the body
     * @return a handle to abort it
     * @throws IllegalStateException outside a runtime
     */
    public AbortHandle spawn(Callable<T> task) {
        return add(Task.currentRuntime(), task);
    }

    /**
     * Spawns a task on the given runtime into this set.
     *
     * {@snippet :
     * set.spawnOn(rt.handle(), () -> fetch(url));
     * }
     *
     * @param handle the runtime
     * @param task the body
     * @return a handle to abort it
     */
    public AbortHandle spawnOn(Handle handle, Callable<T> task) {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(task, "task");
        // Spawn through the handle: no helper task and no parking to find the runtime, and a runtime
        // that is shut down gives a cancelled task, as Handle.spawn does.
        return track(handle.spawn(task).task);
    }

    private AbortHandle add(RuntimeCore rc, Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return track(rc.spawn(task, null));
    }

    private AbortHandle track(TaskImpl<T> t) {
        synchronized (this) {
            tasks.add(t);
        }
        t.onDone(() -> finished(t));
        return new AbortHandle(t);
    }

    private synchronized void finished(TaskImpl<T> t) {
        // A task dropped by close() must not be reported by a later joinNext on a reused set.
        if (tasks.contains(t)) {
            finished.add(t);
        }
    }

    /**
     * Parks until a task in the set ends and returns its value; {@code null} when the set is empty.
     *
     * {@snippet :
     * Integer first = set.joinNext();
     * }
     *
     * @return the value of the task that ended, or null if the set is empty
     * @throws JoinException if that task failed or was cancelled (it leaves the set)
     * @throws CancelledException if the calling task is aborted while parked here
     */
    public T joinNext() {
        TaskImpl<T> t = next();
        return t == null ? null : t.report();
    }

    /**
     * Like {@link #joinNext()}, with the task's id.
     *
     * {@snippet :
     * var j = set.joinNextWithId();
     * if (j != null) System.out.println(j.id() + " -> " + j.value());
     * }
     *
     * @return the id and value, or null if the set is empty
     * @throws JoinException if that task failed or was cancelled
     */
    public Joined<T> joinNextWithId() {
        TaskImpl<T> t = next();
        return t == null ? null : new Joined<>(t.taskId(), t.report());
    }

    private TaskImpl<T> next() {
        synchronized (this) {
            if (tasks.isEmpty()) {
                return null;
            }
        }
        TaskImpl<T> t;
        try {
            t = finished.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException("interrupted while waiting in JoinSet.joinNext");
        }
        synchronized (this) {
            tasks.remove(t);
        }
        return t;
    }

    /**
     * Joins every task, in the order they finish. On the first failure the rest are aborted and the
     * failure is thrown.
     *
     * {@snippet :
     * List<Integer> all = set.joinAll();
     * }
     *
     * @return the values in completion order
     * @throws JoinException for the first task that failed or was cancelled
     */
    public List<T> joinAll() {
        List<T> out = new ArrayList<>();
        try {
            TaskImpl<T> t;
            while ((t = next()) != null) {
                out.add(t.report());
            }
        } catch (RuntimeException e) {
            abortAll();
            throw e;
        }
        return out;
    }

    /**
     * Aborts every task in the set; they stay in it until joined (as cancelled, or with the value if
     * they finished first).
     *
     * {@snippet :
     * set.abortAll();
     * while (true) { try { if (set.joinNext() == null) break; } catch (JoinException e) { } }
     * }
     */
    public void abortAll() {
        for (TaskImpl<T> t : snapshot()) {
            t.abort();
        }
    }

    private synchronized List<TaskImpl<T>> snapshot() {
        return new ArrayList<>(tasks);
    }

    /**
     * {@return the number of tasks in the set (running or finished, not yet joined)}
     *
     * {@snippet :
     * int n = set.size();
     * }
     */
    public synchronized int size() {
        return tasks.size();
    }

    /**
     * {@return true if the set holds no task}
     *
     * {@snippet :
     * if (set.isEmpty()) return;
     * }
     */
    public synchronized boolean isEmpty() {
        return tasks.isEmpty();
    }

    /**
     * Aborts every task left in the set and empties it.
     *
     * {@snippet :
     * try (var set = new JoinSet<Void>()) {
     *     set.spawn(() -> { serve(); return null; });
     * } // serve() is aborted here
     * }
     */
    @Override
    public void close() {
        List<TaskImpl<T>> left;
        synchronized (this) {
            left = new ArrayList<>(tasks);
            tasks.clear();
            finished.clear();
        }
        for (TaskImpl<T> t : left) {
            t.abort();
        }
    }
}
