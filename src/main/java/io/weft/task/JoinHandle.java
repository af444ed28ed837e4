package io.weft.task;

import io.weft.internal.task.Bridge;
import io.weft.internal.task.TaskImpl;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An owned permission to wait for a task's result [Tokio: {@code task::JoinHandle}].
 *
 * <p>{@link #join()} parks the calling virtual thread until the task ends and returns its value, or
 * throws {@link JoinException} saying whether it failed (with its exception as cause) or was cancelled.
 * Dropping a handle does not cancel the task; {@link #abort()} does.
 *
 * <p>A {@code JoinHandle} is also a {@link Future} and honours that whole contract: {@link #get()}
 * throws {@link ExecutionException} and {@link CancellationException}; {@link #cancel(boolean)} makes
 * the future cancelled at once (and interrupts the task if asked), whatever the task does afterwards.
 *
 * <h2>Example</h2>
 * {@snippet :
 * JoinHandle<Integer> h = Task.spawn(() -> 6 * 7);
 * int v = h.join(); // 42
 * }
 *
 * <h2>Cancellation</h2>
 * If the task calling {@code join} is aborted while parked there, {@code join} throws
 * {@link CancelledException}; the joined task is unaffected and can be joined again.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in the task happen-before a successful return from {@code join}/{@code get}.
 *
 * @param <T> the task's result type
 */
public final class JoinHandle<T> implements Future<T> {
    static {
        Bridge.registerJoinHandles(JoinHandle::new);
        Bridge.registerTaskAccess(h -> ((JoinHandle<?>) h).task);
    }

    final TaskImpl<T> task;

    @SuppressWarnings("unchecked")
    private JoinHandle(TaskImpl<?> task) {
        this.task = (TaskImpl<T>) task;
    }

    static <T> JoinHandle<T> of(TaskImpl<T> task) {
        return Bridge.joinHandle(task);
    }

    /**
     * Parks until the task ends and returns its value [Tokio: {@code .await}].
     *
     * {@snippet :
     * String s = Task.spawn(() -> "done").join();
     * }
     *
     * @return the task's value
     * @throws JoinException if the task threw ({@link JoinException#isFailed()}) or was cancelled
     * @throws CancelledException if the calling task is aborted while parked here
     */
    public T join() {
        return task.join(0);
    }

    /**
     * Parks at most {@code timeout} for the task to end. The task keeps running if time runs out.
     *
     * {@snippet :
     * try {
     *     h.join(Duration.ofMillis(100));
     * } catch (ElapsedException e) {
     *     h.abort();
     * }
     * }
     *
     * @param timeout the longest wait
     * @return the task's value
     * @throws ElapsedException if the task did not end in time
     * @throws JoinException if the task threw or was cancelled
     * @throws CancelledException if the calling task is aborted while parked here
     */
    public T join(Duration timeout) {
        return task.join(deadline(timeout));
    }

    static long deadline(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            return 0; // effectively forever
        }
        return deadlineAfterNanos(Math.max(0, nanos));
    }

    /** A {@link System#nanoTime()} deadline {@code nanos} from now; never 0, which means "no deadline". */
    static long deadlineAfterNanos(long nanos) {
        long d = System.nanoTime() + nanos; // may wrap: waiters compare by difference, which stays right
        return d == 0 ? 1 : d;
    }

    /**
     * Aborts the task [Tokio: {@code abort}]: its next (or current) Weft park point throws
     * {@link CancelledException}. A task that has already finished keeps its outcome. {@code join}
     * then reports the cancellation once the task has unwound, or the value if it finished first.
     *
     * {@snippet :
     * var h = Task.spawn(() -> { Task.yieldNow(); return 1; });
     * h.abort();
     * }
     */
    public void abort() {
        task.abort();
    }

    /**
     * {@return true once the task has ended (with a value, an exception or a cancellation)}
     *
     * {@snippet :
     * while (!h.isFinished()) Task.yieldNow();
     * }
     */
    public boolean isFinished() {
        return task.isDone();
    }

    /**
     * {@return a handle that can abort the task but not join it}
     *
     * {@snippet :
     * AbortHandle a = h.abortHandle();
     * a.abort();
     * }
     */
    public AbortHandle abortHandle() {
        return new AbortHandle(task);
    }

    /**
     * {@return the task's id}
     *
     * {@snippet :
     * TaskId id = h.id();
     * }
     */
    public TaskId id() {
        return task.taskId();
    }

    /**
     * {@return a {@link CompletableFuture} completed with the task's outcome}: its value, its
     * exception, or a {@link CancellationException}. Cancelling the returned future does not abort
     * the task.
     *
     * {@snippet :
     * h.toCompletableFuture().thenAccept(System.out::println);
     * }
     */
    public CompletableFuture<T> toCompletableFuture() {
        CompletableFuture<T> cf = new CompletableFuture<>();
        task.onDone(() -> {
            switch (task.outcome()) {
                case TaskImpl.NORMAL -> cf.complete(task.valueNow());
                case TaskImpl.FAILED -> cf.completeExceptionally(task.errorNow());
                default -> {
                    CancellationException ce = new CancellationException("task " + task.id() + " was cancelled");
                    if (task.errorNow() != null) {
                        ce.initCause(task.errorNow());
                    }
                    cf.completeExceptionally(ce);
                }
            }
        });
        return cf;
    }

    /**
     * {@link Future#cancel}: if the task has not finished, its outcome becomes cancelled now and,
     * if {@code mayInterruptIfRunning}, it is aborted.
     *
     * {@snippet :
     * boolean cancelled = h.cancel(true);
     * }
     *
     * @param mayInterruptIfRunning whether to abort the running task
     * @return true if this call cancelled the task
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return task.cancel(mayInterruptIfRunning);
    }

    /**
     * {@return true if the task was cancelled}
     *
     * {@snippet :
     * h.cancel(true);
     * assert h.isCancelled();
     * }
     */
    @Override
    public boolean isCancelled() {
        return task.outcome() == TaskImpl.CANCELLED;
    }

    /**
     * {@return true once the task has an outcome (same as {@link #isFinished()})}
     *
     * {@snippet :
     * boolean done = h.isDone();
     * }
     */
    @Override
    public boolean isDone() {
        return task.isDone();
    }

    /**
     * {@link Future#get()}: parks until the task ends.
     *
     * {@snippet :
     * try {
     *     h.get();
     * } catch (ExecutionException e) {
     *     e.getCause().printStackTrace();
     * }
     * }
     *
     * @return the value
     * @throws InterruptedException if the caller is interrupted (its interrupt status is cleared)
     * @throws ExecutionException if the task threw
     * @throws CancellationException if the task was cancelled
     */
    @Override
    public T get() throws InterruptedException, ExecutionException {
        try {
            task.awaitDone(0);
        } catch (CancelledException e) {
            Thread.interrupted();
            throw new InterruptedException("interrupted while waiting for task " + task.id());
        }
        return reportFuture();
    }

    /**
     * {@link Future#get(long, TimeUnit)}.
     *
     * {@snippet :
     * h.get(1, TimeUnit.SECONDS);
     * }
     *
     * @param timeout the longest wait
     * @param unit its unit
     * @return the value
     * @throws InterruptedException if the caller is interrupted (its interrupt status is cleared)
     * @throws ExecutionException if the task threw
     * @throws TimeoutException if the task did not end in time
     * @throws CancellationException if the task was cancelled
     */
    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        boolean done;
        try {
            // TimeUnit.toNanos saturates; Duration.of(Long.MAX_VALUE, DAYS) would throw ArithmeticException.
            done = task.awaitDone(deadlineAfterNanos(Math.max(0, unit.toNanos(timeout))));
        } catch (CancelledException e) {
            Thread.interrupted();
            throw new InterruptedException("interrupted while waiting for task " + task.id());
        }
        if (!done) {
            throw new TimeoutException("task " + task.id() + " did not finish in " + timeout + " " + unit);
        }
        return reportFuture();
    }

    private T reportFuture() throws ExecutionException {
        return switch (task.outcome()) {
            case TaskImpl.NORMAL -> task.valueNow();
            case TaskImpl.FAILED -> throw new ExecutionException(task.errorNow());
            default -> {
                CancellationException ce = new CancellationException("task " + task.id() + " was cancelled");
                if (task.errorNow() != null) {
                    ce.initCause(task.errorNow());
                }
                throw ce;
            }
        };
    }

    /**
     * {@link Future#state()}.
     *
     * {@snippet :
     * if (h.state() == Future.State.FAILED) System.err.println(h.exceptionNow());
     * }
     *
     * @return the state
     */
    @Override
    public State state() {
        return switch (task.outcome()) {
            case TaskImpl.NORMAL -> State.SUCCESS;
            case TaskImpl.FAILED -> State.FAILED;
            case TaskImpl.CANCELLED -> State.CANCELLED;
            default -> State.RUNNING;
        };
    }

    @Override
    public String toString() {
        return "JoinHandle[" + task + "]";
    }
}
