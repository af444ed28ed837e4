package io.weft.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts tasks down and wakes the one waiting thread when the last one has run.
 *
 * <p>Tasks pay one {@code getAndDecrement}; only the last pays for the wake-up. The waiter parks with
 * a deadline, so a scheduler that stalls shows up as a {@code false} from {@link #await(long)} (or an
 * exception from {@link #awaitOrFail}), never as a hung benchmark.
 *
 * <p>Memory consistency effects: actions of a task before its {@link #countDown()} happen-before a
 * successful return from {@link #await(long)}.
 */
public final class Countdown {
    private final AtomicInteger remaining;
    private volatile Thread waiter;
    private volatile boolean done;

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
     * @throws IllegalStateException on timeout
     */
    public void awaitOrFail(long nanos, String what, Object executor) {
        if (!await(nanos)) {
            throw new IllegalStateException(what + " did not finish within "
                + TimeUnit.NANOSECONDS.toSeconds(nanos) + " s on " + executor + ": " + remaining()
                + " tasks never ran");
        }
    }
}
