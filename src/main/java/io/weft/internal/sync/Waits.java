package io.weft.internal.sync;

import io.weft.internal.task.TaskImpl;
import io.weft.task.CancelledException;
import java.time.Duration;

/**
 * Helpers shared by the sync primitives' slow paths.
 */
public final class Waits {
    private Waits() {}

    /**
     * Converts a timeout to a {@link System#nanoTime()} deadline (0 = none; never 0 otherwise).
     *
     * @param timeout the timeout, or null for none
     * @return the deadline
     * @throws IllegalArgumentException if negative
     */
    public static long deadline(Duration timeout) {
        if (timeout == null) {
            return 0;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            return 0;
        }
        if (nanos > Long.MAX_VALUE / 4) {
            return 0;
        }
        long d = System.nanoTime() + nanos;
        return d == 0 ? 1 : d;
    }

    /** {@return true if the calling thread has been interrupted (its status is kept)} */
    public static boolean interrupted() {
        return Thread.currentThread().isInterrupted();
    }

    /**
     * {@return the exception an aborted (interrupted) waiter throws}
     *
     * @param where what it was waiting in
     */
    public static CancelledException cancelled(String where) {
        TaskImpl<?> t = TaskImpl.current();
        return new CancelledException((t != null ? "task " + t.id() + " aborted" : "thread interrupted")
            + " while waiting in " + where);
    }

    /**
     * Throws if the calling thread was interrupted (a cancellation point before parking).
     *
     * @param where what it is about to wait in
     */
    public static void checkCancelled(String where) {
        if (Thread.currentThread().isInterrupted()) {
            throw cancelled(where);
        }
    }

    /**
     * Takes {@code lock}, parking; an abort while waiting throws {@link CancelledException} and keeps
     * the interrupt status.
     *
     * @param lock the lock
     * @param where names the wait in the exception
     */
    public static void lock(java.util.concurrent.locks.ReentrantLock lock, String where) {
        if (lock.tryLock()) {
            return;
        }
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelled(where);
        }
    }
}
