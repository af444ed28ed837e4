package io.weft.internal.time;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.internal.task.TaskImpl;
import java.util.concurrent.locks.LockSupport;

/**
 * Parking on the timer wheel: what {@code Time.sleep}, {@code Interval} and {@code Select} use.
 */
public final class Sleeps {
    private Sleeps() {}

    private static volatile TimeDriver global;

    /** {@return the current runtime's driver, or a JVM-wide one outside any runtime} */
    public static TimeDriver driver() {
        RuntimeCore rc = RuntimeCore.current();
        if (rc != null) {
            return rc.timeDriver();
        }
        TimeDriver g = global;
        if (g == null) {
            synchronized (Sleeps.class) {
                g = global;
                if (g == null) {
                    global = g = new TimeDriver("weft-timer-global-", false, () -> false, false);
                }
            }
        }
        return g;
    }

    /** {@return the current runtime's driver} @throws IllegalStateException outside a runtime */
    public static TimeDriver runtimeDriver() {
        RuntimeCore rc = RuntimeCore.current();
        if (rc == null) {
            throw new IllegalStateException("not inside a Weft runtime: test time needs a runtime's clock");
        }
        return rc.timeDriver();
    }

    /** A timer that wakes one parked thread. The only per-sleep allocation besides the thread itself. */
    static final class SleepEntry extends TimerEntry {
        private final Thread thread;
        volatile boolean woken;

        SleepEntry(Thread thread) {
            this.thread = thread;
        }

        @Override
        protected void fire() {
            woken = true;
            LockSupport.unpark(thread);
        }
    }

    /** A timer that claims a {@code Select}'s parker. */
    public static final class ClaimEntry extends TimerEntry {
        private final Waiter waiter;

        /**
         * Creates the entry.
         *
         * @param waiter claimed when the timer fires
         */
        public ClaimEntry(Waiter waiter) {
            this.waiter = waiter;
        }

        @Override
        protected void fire() {
            waiter.claim();
        }
    }

    /**
     * Parks the caller until the driver's clock reaches {@code deadline}.
     *
     * @param drv the driver
     * @param deadline in driver nanoseconds
     * @param where for the cancellation message
     * @throws io.weft.task.CancelledException if interrupted (aborted) while parked
     */
    public static void sleepUntil(TimeDriver drv, long deadline, String where) {
        Waits.checkCancelled(where);
        Thread me = Thread.currentThread();
        SleepEntry e = new SleepEntry(me);
        if (!drv.register(e, deadline)) {
            Coop.proceed();
            return;
        }
        while (!e.woken) {
            LockSupport.park(e);
            if (me.isInterrupted()) {
                drv.cancel(e);
                throw Waits.cancelled(where);
            }
        }
    }

    /** {@return true if the calling task has been aborted (not merely interrupted by a timeout)} */
    public static boolean currentTaskAborted() {
        TaskImpl<?> t = TaskImpl.current();
        return t != null && t.isAbortRequested();
    }
}
