package io.weft.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts tasks down and wakes the one waiting thread when the last one has run.
 *
 * <p>Tasks pay one {@code getAndDecrement}; only the last pays for the wake-up. The waiter parks with
 * a deadline, so a scheduler that stalls shows up as a {@code false} from {@link #await(long)} (or an
 * exception from {@link #awaitOrFail}), never as a hung benchmark.
 *
 * <p>A task that throws can {@link #fail(Throwable)} the countdown instead: the waiter is released at
 * once and {@link #awaitOrFail} rethrows, so a broken benchmark fails with its cause, not after the
 * guard's minute. {@link #task(Body)} wraps a body that way.
 *
 * <p>Memory consistency effects: actions of a task before its {@link #countDown()} happen-before a
 * successful return from {@link #await(long)}.
 */
public final class Countdown {
    private final AtomicInteger remaining;
    private volatile Thread waiter;
    private volatile boolean done;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** A task body that may throw: a JDK {@code take()} throws {@link InterruptedException}. */
    @FunctionalInterface
    public interface Body {
        /**
         * Runs the task.
         *
         * @throws Exception any failure, which fails the batch
         */
        void run() throws Exception;
    }

    /**
     * @param count how many {@link #countDown()} calls release the waiter
     */
    public Countdown(int count) {
        this.remaining = new AtomicInteger(count);
    }

    /** One task has run. */
    public void countDown() {
        if (remaining.getAndDecrement() == 1) {
            // Dekker with await(): done is written before waiter is read, waiter before done is read;
            // both volatile, so the waiter either sees done or is seen and unparked.
            done = true; // volatile write: publishes the tasks' actions to the waiter
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * Fails the batch: releases the waiter, whose {@link #awaitOrFail} throws {@code cause} wrapped.
     * Only the first failure is kept.
     *
     * @param cause what went wrong
     */
    public void fail(Throwable cause) {
        if (failure.compareAndSet(null, cause)) {
            done = true; // volatile write after the failure is set: the waiter sees both
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * {@return a task that runs {@code body} and counts down, or fails the countdown if it throws}
     *
     * @param body the task's work
     */
    public Runnable task(Body body) {
        return () -> {
            try {
                body.run();
                countDown();
            } catch (Throwable t) {
                fail(t);
            }
        };
    }

    /** {@return how many tasks have not counted down yet} */
    public int remaining() {
        return Math.max(0, remaining.get());
    }

    /**
     * Parks the calling thread (one at a time) until every task has counted down, at most {@code nanos}.
     *
     * @param nanos the longest wait
     * @return true if all counted down; false on timeout
     */
    public boolean await(long nanos) {
        waiter = Thread.currentThread();
        final long deadline = System.nanoTime() + nanos;
        while (!done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, left);
        }
        return true;
    }

    /**
     * Like {@link #await(long)}, but a timeout fails the benchmark with a message saying what hung.
     *
     * @param nanos the longest wait
     * @param what the batch, for the message
     * @param executor the executor, for the message
     * @throws IllegalStateException on timeout, or if a task failed the countdown
     */
    public void awaitOrFail(long nanos, String what, Object executor) {
        boolean finished = await(nanos);
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException(what + " failed on " + executor + ": " + t, t);
        }
        if (!finished) {
            throw new IllegalStateException(what + " did not finish within "
                + TimeUnit.NANOSECONDS.toSeconds(nanos) + " s on " + executor + ": " + remaining()
                + " tasks never ran");
        }
    }
}
