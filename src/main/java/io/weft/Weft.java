package io.weft;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.TaskImpl;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Running several computations concurrently and combining them [Tokio: {@code join!},
 * {@code try_join!}, and the racing form of {@code select!}].
 *
 * <p>Each callable runs as a task of the current runtime. All three are structured: when they return
 * or throw, no task they started is still running (losers and failures' siblings are aborted and
 * waited for), and if the calling task is aborted while waiting, they abort their tasks and throw
 * {@link CancelledException}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * List<String> pages = Weft.joinAll(() -> fetch("a"), () -> fetch("b"));          // both
 * List<String> both = Weft.tryJoinAll(() -> fetch("a"), () -> fetch("b"));        // both, or the first failure
 * String fastest = Weft.race(() -> fetch("mirror1"), () -> fetch("mirror2"));     // the first success
 * }
 */
public final class Weft {
    private Weft() {}

    /**
     * Runs every callable concurrently and waits for all of them [Tokio: {@code join!}].
     *
     * {@snippet :
     * List<Integer> sizes = Weft.joinAll(() -> size("a"), () -> size("b"), () -> size("c"));
     * }
     *
     * @param tasks the callables
     * @param <T> their result type
     * @return their values, in argument order
     * @throws JoinException for the first (in argument order) that failed, after all have ended
     * @throws CancelledException if the calling task is aborted (the tasks are aborted too)
     */
    @SafeVarargs
    public static <T> List<T> joinAll(Callable<? extends T>... tasks) {
        Group<T> g = new Group<>(tasks);
        g.awaitAll();
        for (TaskImpl<? extends T> t : g.tasks) {
            if (t.outcome() != TaskImpl.NORMAL) {
                t.report(); // throws its JoinException
            }
        }
        return g.values();
    }

    /**
     * Runs every callable concurrently; the first failure aborts the rest [Tokio: {@code try_join!}].
     *
     * {@snippet :
     * var both = Weft.tryJoinAll(() -> loadUser(id), () -> loadOrders(id));
     * }
     *
     * @param tasks the callables
     * @param <T> their result type
     * @return their values, in argument order, if all succeed
     * @throws JoinException for the first task to fail (the others have been aborted and have ended)
     * @throws CancelledException if the calling task is aborted (the tasks are aborted too)
     */
    @SafeVarargs
    public static <T> List<T> tryJoinAll(Callable<? extends T>... tasks) {
        Group<T> g = new Group<>(tasks);
        int left = g.tasks.size();
        while (left > 0) {
            TaskImpl<? extends T> t = g.next();
            left--;
            if (t.outcome() != TaskImpl.NORMAL) {
                g.abortAndAwait();
                t.report();
            }
        }
        return g.values();
    }

    /**
     * Runs every callable concurrently; the first to succeed wins and the rest are aborted.
     *
     * {@snippet :
     * String answer = Weft.race(() -> askPrimary(q), () -> askReplica(q));
     * }
     *
     * @param tasks the callables, at least one
     * @param <T> their result type
     * @return the first success
     * @throws JoinException if every task failed (the last failure, with the others suppressed)
     * @throws CancelledException if the calling task is aborted (the tasks are aborted too)
     */
    @SafeVarargs
    public static <T> T race(Callable<? extends T>... tasks) {
        if (tasks.length == 0) {
            throw new IllegalArgumentException("race needs at least one task");
        }
        Group<T> g = new Group<>(tasks);
        List<JoinException> failures = new ArrayList<>();
        for (int left = g.tasks.size(); left > 0; left--) {
            TaskImpl<? extends T> t = g.next();
            if (t.outcome() == TaskImpl.NORMAL) {
                g.abortAndAwait();
                return t.valueNow();
            }
            try {
                t.report();
            } catch (JoinException e) {
                failures.add(e);
            }
        }
        JoinException last = failures.getLast();
        for (JoinException e : failures) {
            if (e != last) {
                last.addSuppressed(e);
            }
        }
        throw last;
    }

    /** Tasks started together, with a completion queue. */
    private static final class Group<T> {
        final List<TaskImpl<? extends T>> tasks = new ArrayList<>();
        final LinkedBlockingQueue<TaskImpl<? extends T>> finished = new LinkedBlockingQueue<>();

        Group(Callable<? extends T>[] callables) {
            RuntimeCore rc = RuntimeCore.current();
            if (rc == null) {
                throw new IllegalStateException("not inside a Weft runtime: call this from a task");
            }
            for (Callable<? extends T> c : Arrays.asList(callables)) {
                Objects.requireNonNull(c, "task");
            }
            for (Callable<? extends T> c : callables) {
                TaskImpl<? extends T> t = rc.spawn(c, null);
                tasks.add(t);
                t.onDone(() -> finished.add(t));
            }
        }

        TaskImpl<? extends T> next() {
            try {
                return finished.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abortAndAwait();
                throw new CancelledException("aborted while waiting for " + tasks.size() + " tasks");
            }
        }

        void awaitAll() {
            for (int i = 0; i < tasks.size(); i++) {
                next();
            }
        }

        void abortAndAwait() {
            for (TaskImpl<? extends T> t : tasks) {
                t.abort();
            }
            boolean interrupted = false;
            for (TaskImpl<? extends T> t : tasks) {
                while (!t.awaitTermination(0)) {
                    interrupted |= Thread.interrupted();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        List<T> values() {
            List<T> out = new ArrayList<>(tasks.size());
            for (TaskImpl<? extends T> t : tasks) {
                out.add(t.valueNow());
            }
            return out;
        }
    }
}
