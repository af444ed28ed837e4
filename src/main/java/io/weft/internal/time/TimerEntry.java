package io.weft.internal.time;

/**
 * One registered timer: a deadline and what to do when it passes.
 *
 * <p>The wheel's links ({@code prev}, {@code next}, {@code level}, {@code slot}) belong to whoever
 * holds the {@link TimeDriver}'s wheel lock. {@code state} moves once, by CAS, from {@code PENDING} to
 * {@code FIRED} (the driver) or {@code CANCELLED} (the owner), so a timer fires at most once and never
 * after {@code cancel} returned true.
 */
public abstract class TimerEntry {
    static final java.lang.invoke.VarHandle STATE;

    static {
        try {
            STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(TimerEntry.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final int NEW = 0;
    static final int PENDING = 1;
    static final int FIRED = 2;
    static final int CANCELLED = 3;

    /** Deadline in wheel ticks (milliseconds since the driver's epoch); set at registration. */
    long when;
    /** Deadline in driver nanoseconds, kept for exactness reports. */
    long deadlineNanos;
    TimerEntry prev;
    TimerEntry next;
    int level = -1;
    int slot;
    volatile int state;

    /** Creates an entry. */
    protected TimerEntry() {}

    /**
     * Runs when the deadline passes, on the driver thread or on a carrier making a timer pass,
     * outside the wheel's lock. Must be quick, must not block and must not throw (wake a thread,
     * claim a waiter).
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
