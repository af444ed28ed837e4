package io.weft.internal.time;

/**
 * One registered timer: a deadline and what to do when it passes.
 *
 * <p>The wheel's links ({@code prev}, {@code next}, {@code level}, {@code slot}) are guarded by the
 * {@link TimeDriver}'s lock. {@code state} moves once, from {@code PENDING} to {@code FIRED} or
 * {@code CANCELLED}, under that lock, so a timer fires at most once and never after it was cancelled.
 */
public abstract class TimerEntry {
    static final int PENDING = 0;
    static final int FIRED = 1;
    static final int CANCELLED = 2;

    /** Deadline in wheel ticks (milliseconds since the driver's epoch); set at registration. */
    long when;
    /** Deadline in driver nanoseconds, kept for exactness reports. */
    long deadlineNanos;
    TimerEntry prev;
    TimerEntry next;
    int level = -1;
    int slot;
    int state;

    /** Creates an entry. */
    protected TimerEntry() {}

    /**
     * Runs when the deadline passes, on the driver's thread, outside its lock. Must be quick and
     * must not throw (wake a thread, claim a waiter).
     */
    protected abstract void fire();

    /** {@return true once fired} */
    public final boolean hasFired() {
        return state == FIRED;
    }

    /** {@return the deadline, in the driver's nanoseconds} */
    public final long deadlineNanos() {
        return deadlineNanos;
    }
}
