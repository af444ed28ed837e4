package io.weft.time;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Waits;
import io.weft.internal.time.Sleeps;
import io.weft.internal.time.TimeDriver;
import io.weft.internal.time.TimerEntry;
import io.weft.task.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;

/**
 * Sleeping, deadlines, intervals and the runtime's clock [Tokio: {@code tokio::time}].
 *
 * <p>Every call uses the current runtime's clock and timer wheel (6 levels of 64 slots, 1 ms
 * resolution, as Tokio's); outside a runtime a JVM-wide wheel serves. Deadlines are rounded up to the
 * next millisecond, so nothing fires early. Durations are capped at the wheel's span (about 2.2
 * years, Tokio's limit); negative durations are rejected.
 *
 * <h2>Test time</h2>
 * {@link #pause()} freezes the runtime's clock: it then moves only by {@link #advance(Duration)}, or
 * by itself to the next timer's deadline whenever the runtime has nothing else to run (auto-advance).
 * A runtime built with {@code Runtime.builder().startPaused(true)} starts that way. Unlike Tokio and
 * kotlinx.coroutines, this works on the multi-thread runtime too: auto-advance waits until every
 * carrier is parked, every queue is empty and no blocking task runs.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (var rt = Runtime.builder().startPaused(true).build()) {
 *     rt.blockOn(() -> {
 *         Instant start = Time.now();
 *         Time.sleep(Duration.ofHours(1));                 // returns at once: the clock jumps
 *         assert Duration.between(start, Time.now()).toHours() == 1;
 *         return null;
 *     });
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code sleep} throws {@link io.weft.task.CancelledException}; its
 * timer is removed from the wheel at once (O(1)).
 */
public final class Time {
    private Time() {}

    private static final String TIMEOUT_MSG = "deadline elapsed";

    /**
     * Parks the calling task for {@code duration} [Tokio: {@code time::sleep}]. {@code Duration.ZERO}
     * yields.
     *
     * {@snippet :
     * Time.sleep(Duration.ofMillis(100));
     * }
     *
     * @param duration how long, not negative
     * @throws IllegalArgumentException if negative
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public static void sleep(Duration duration) {
        checkDuration(duration);
        if (duration.isZero()) {
            Task.yieldNow();
            return;
        }
        TimeDriver drv = Sleeps.driver();
        Sleeps.sleepUntil(drv, drv.nanos() + TimeDriver.saturatedNanos(duration), "Time.sleep");
    }

    /**
     * Parks the calling task until {@code deadline} on the runtime's clock.
     *
     * {@snippet :
     * Time.sleepUntil(Time.now().plusSeconds(5));
     * }
     *
     * @param deadline when to wake
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public static void sleepUntil(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        TimeDriver drv = Sleeps.driver();
        Sleeps.sleepUntil(drv, drv.toNanos(deadline), "Time.sleepUntil");
    }

    /**
     * Runs {@code body} on the calling task with a deadline [Tokio: {@code time::timeout}]. If the
     * deadline passes first, the body is interrupted at its next park point and
     * {@link ElapsedException} is thrown. A body that completes wins, even if the deadline has just
     * passed.
     *
     * <p>The body runs in the calling task (no new task), so locks it holds and thread locals stay as
     * they are. A checked exception from the body is wrapped in {@link CompletionException}; unchecked
     * ones are rethrown as they are.
     * {@snippet :
     * try {
     *     String reply = Time.timeout(Duration.ofSeconds(2), () -> rx.recv());
     * } catch (ElapsedException e) {
     *     System.out.println("no reply in time");
     * }
     * }
     *
     * @param duration how long the body may take
     * @param body the work
     * @param <T> its result type
     * @return the body's value
     * @throws ElapsedException if the deadline passed first
     * @throws io.weft.task.CancelledException if the calling task itself was aborted
     */
    public static <T> T timeout(Duration duration, Callable<T> body) {
        checkDuration(duration);
        Objects.requireNonNull(body, "body");
        Waits.checkCancelled("Time.timeout");
        TimeDriver drv = Sleeps.driver();
        TimeoutEntry e = new TimeoutEntry(Thread.currentThread());
        if (!drv.register(e, drv.nanos() + TimeDriver.saturatedNanos(duration))) {
            e.fire(); // already due: the body runs until its first park point
        }
        boolean elapsed = false;
        try {
            return body.call();
        } catch (RuntimeException | Error ex) {
            elapsed = e.settle();
            if (elapsed) {
                throw elapsedException(duration, ex);
            }
            throw ex;
        } catch (Exception ex) {
            elapsed = e.settle();
            if (elapsed) {
                throw elapsedException(duration, ex);
            }
            throw new CompletionException(ex);
        } finally {
            if (!elapsed) {
                e.settle();
            }
            drv.cancel(e);
        }
    }

    private static ElapsedException elapsedException(Duration d, Throwable cause) {
        ElapsedException ee = new ElapsedException(TIMEOUT_MSG + " after " + d);
        ee.initCause(cause);
        return ee;
    }

    /**
     * Interrupts the timed thread once, unless the body finished first.
     *
     * <p>A CAS state machine, not a monitor: a virtual thread blocked on a monitor held by the driver
     * thread would unmount, every carrier could park, and paused time would auto-advance while the task
     * was in fact runnable.
     */
    private static final class TimeoutEntry extends TimerEntry {
        private static final int ARMED = 0;
        private static final int FIRING = 1;
        private static final int FIRED = 2;
        private static final int SETTLED = 3;
        private static final java.lang.invoke.VarHandle PHASE;

        static {
            try {
                PHASE = java.lang.invoke.MethodHandles.lookup().findVarHandle(TimeoutEntry.class, "phase", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread thread;
        @SuppressWarnings("unused") private volatile int phase;

        TimeoutEntry(Thread thread) {
            this.thread = thread;
        }

        @Override
        protected void fire() {
            if (PHASE.compareAndSet(this, ARMED, FIRING)) {
                thread.interrupt();
                phase = FIRED;
            }
        }

        /**
         * Ends the race with fire(). If the timeout fired (and the task was not also aborted), clears
         * the interrupt it caused. @return true if the timeout fired
         */
        boolean settle() {
            if (PHASE.compareAndSet(this, ARMED, SETTLED)) {
                return false;
            }
            int p;
            while ((p = phase) == FIRING) {
                Thread.onSpinWait(); // fire() is between its CAS and its interrupt: a few instructions
            }
            if (p == SETTLED) {
                return false;
            }
            phase = SETTLED;
            if (!Sleeps.currentTaskAborted()) {
                Thread.interrupted();
                return true;
            }
            return false;
        }
    }

    /**
     * {@return an interval that ticks every {@code period}, first at once} [Tokio: {@code time::interval}]
     *
     * {@snippet :
     * var heartbeat = Time.interval(Duration.ofSeconds(5));
     * while (true) {
     *     heartbeat.tick();
     *     sendHeartbeat();
     * }
     * }
     *
     * @param period positive
     */
    public static Interval interval(Duration period) {
        return intervalAt(now(), period);
    }

    /**
     * {@return an interval whose first tick is at {@code start}} [Tokio: {@code time::interval_at}]
     *
     * {@snippet :
     * var i = Time.intervalAt(Time.now().plusSeconds(1), Duration.ofSeconds(1));
     * }
     *
     * @param start the first tick
     * @param period positive
     */
    public static Interval intervalAt(Instant start, Duration period) {
        checkDuration(period);
        if (period.isZero()) {
            throw new IllegalArgumentException("interval period must be positive");
        }
        TimeDriver drv = Sleeps.driver();
        return new Interval(drv, drv.toNanos(start), TimeDriver.saturatedNanos(period));
    }

    /**
     * {@return the runtime's clock: wall-clock time, frozen while paused}
     *
     * {@snippet :
     * Instant t0 = Time.now();
     * }
     */
    public static Instant now() {
        return Sleeps.driver().now();
    }

    /**
     * Pauses the current runtime's clock: from now on it moves only by {@link #advance} or by
     * auto-advance when the runtime is idle [Tokio: {@code time::pause}].
     *
     * {@snippet :
     * Time.pause();
     * }
     *
     * @throws IllegalStateException outside a runtime
     */
    public static void pause() {
        Sleeps.runtimeDriver().pause();
    }

    /**
     * Resumes the current runtime's clock from the paused instant [Tokio: {@code time::resume}].
     *
     * {@snippet :
     * Time.resume();
     * }
     *
     * @throws IllegalStateException outside a runtime
     */
    public static void resume() {
        Sleeps.runtimeDriver().resume();
    }

    /**
     * Moves the paused clock forward, fires every timer that became due, and yields so the woken
     * tasks run [Tokio: {@code time::advance}].
     *
     * {@snippet :
     * Time.pause();
     * var h = Task.spawn(() -> { Time.sleep(Duration.ofSeconds(10)); return "woke"; });
     * Time.advance(Duration.ofSeconds(10));
     * }
     *
     * @param duration how far, not negative
     * @throws IllegalStateException if the clock is not paused, or outside a runtime
     */
    public static void advance(Duration duration) {
        checkDuration(duration);
        Sleeps.runtimeDriver().advance(duration);
        if (Thread.currentThread().isVirtual()) {
            Coop.yieldBehindInjected();
        }
    }

    private static void checkDuration(Duration d) {
        Objects.requireNonNull(d, "duration");
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration: " + d);
        }
    }
}
