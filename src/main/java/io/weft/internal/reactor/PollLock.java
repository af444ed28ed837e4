package io.weft.internal.reactor;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;

/**
 * The try-lock that keeps one poller at a time on a driver's selector or epoll set (and its event
 * array to one writer), and when a poll last ended: a {@link Reactor}'s own, and each of an
 * {@link EpollReactor}'s per-carrier sets'.
 */
final class PollLock {
    private static final VarHandle LOCKED;
    private static final VarHandle LAST_POLL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            LOCKED = l.findVarHandle(PollLock.class, "locked", boolean.class);
            LAST_POLL = l.findVarHandle(PollLock.class, "lastPoll", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") private volatile boolean locked;
    /** When a poll last ended (System.nanoTime), opaque. */
    @SuppressWarnings("unused") private long lastPoll;

    /** {@return true if the lock was free and is now held} */
    boolean tryLock() {
        return !(boolean) LOCKED.getOpaque(this) && LOCKED.compareAndSet(this, false, true);
    }

    /** Takes the lock, spinning: its other holders only look (microseconds), or were woken. */
    void lock() {
        while (!LOCKED.compareAndSet(this, false, true)) {
            Thread.onSpinWait();
        }
    }

    /**
     * Takes the lock, waking whoever holds it for a blocking wait, which the wake-up ends.
     *
     * @param wake the pipe the holder's wait watches
     * @param closed true once the driver closed (then the lock is never free again)
     * @return false if closed meanwhile (the lock is not taken)
     */
    boolean lockWaking(WakePipe wake, BooleanSupplier closed) {
        while (!LOCKED.compareAndSet(this, false, true)) {
            if (closed.getAsBoolean()) {
                return false;
            }
            wake.wake();
            Thread.onSpinWait();
        }
        return true;
    }

    /** Lets go, recording when this poll ended (for {@link #isStale}). */
    void unlock() {
        LAST_POLL.setOpaque(this, System.nanoTime());
        LOCKED.setRelease(this, false);
    }

    /** {@return true if no poll has ended for {@code staleNanos}} */
    boolean isStale(long staleNanos) {
        return System.nanoTime() - (long) LAST_POLL.getOpaque(this) >= staleNanos;
    }

    /** {@return true while held (for toString)} */
    boolean isLocked() {
        return locked;
    }
}
