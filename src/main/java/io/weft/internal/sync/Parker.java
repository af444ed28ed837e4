package io.weft.internal.sync;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One parked thread's wake-up token, shared by every {@link Waiter} it registered (one per source
 * when a {@code Select} waits on several).
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: a source that wants to wake a waiter calls claim(waiter): a CAS of fired from null to
 *   that waiter, then LockSupport.unpark. Exactly one source wins; a source that loses (the thread was
 *   already claimed by another source, or gave up) must pass its event to someone else. The owner
 *   gives up with cancel(): a CAS from null to CANCELLED. If that CAS fails, a source claimed it first
 *   and handed it something (a permit, a notification) that the owner must use or hand on.
 *
 * State (fired): null (waiting) -> a Waiter (claimed by that waiter's source) | CANCELLED (owner gave up).
 *
 * Memory ordering: the claim CAS is a volatile write; everything the source did before claim()
 *   happens-before the owner reads fired. Progress: claim and cancel are wait-free.
 * </pre>
 */
public final class Parker {
    /** The owner gave up waiting. */
    public static final Object CANCELLED = new Object();

    private static final VarHandle FIRED;

    static {
        try {
            FIRED = MethodHandles.lookup().findVarHandle(Parker.class, "fired", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Thread thread;
    @SuppressWarnings("unused") private volatile Object fired;

    /** Creates a parker for the calling thread. */
    public Parker() {
        this.thread = Thread.currentThread();
    }

    /** {@return the thread that waits} */
    public Thread thread() {
        return thread;
    }

    /**
     * Claims the parker on behalf of {@code by} and wakes its thread.
     *
     * @param by the waiter whose source fires
     * @return true if this call claimed it; false if already claimed or cancelled
     */
    public boolean claim(Waiter by) {
        if (FIRED.compareAndSet(this, null, by)) {
            LockSupport.unpark(thread);
            return true;
        }
        return false;
    }

    /** {@return the waiter that claimed this parker, {@link #CANCELLED}, or null while waiting} */
    public Object fired() {
        return fired;
    }

    /**
     * Gives up waiting.
     *
     * @return null if this call cancelled the parker; otherwise what had already fired it
     */
    public Object cancel() {
        return FIRED.compareAndExchange(this, null, CANCELLED);
    }

    /**
     * Parks the owner until claimed, the deadline passes or the thread is interrupted.
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @return the waiter that claimed it, or null on timeout or interrupt (not cancelled: call
     *     {@link #cancel()} to settle the race with a late claim)
     */
    public Waiter await(long deadline) {
        final Thread me = thread;
        for (;;) {
            Object f = fired;
            if (f instanceof Waiter w) {
                return w;
            }
            if (me.isInterrupted()) {
                return null;
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                LockSupport.parkNanos(this, left);
            }
        }
    }
}
