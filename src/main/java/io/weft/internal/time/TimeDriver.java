package io.weft.internal.time;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A runtime's clock and timers: a {@link TimerWheel} driven by one thread.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: register() converts a deadline to a wheel tick (rounded up to the next millisecond, so
 *   a timer never fires early) and inserts it under the lock; if it is earlier than the tick the
 *   driver thread is parked until, the driver is unparked. The driver loops: under the lock, poll
 *   the wheel up to now and mark due entries FIRED; outside it, fire them (unpark or claim the
 *   waiting thread); then park until the next expiration. cancel() removes an entry in O(1).
 *
 * Clock: now() = nanoseconds since the driver started, plus a shift, unless paused. pause() freezes
 *   it; advance(d) moves the frozen clock; resume() continues from the frozen instant. With auto-advance
 *   (Runtime.Builder.startPaused), when the runtime reports it has nothing to run (every carrier parked,
 *   every queue empty, no blocking task busy), the driver moves the frozen clock to the next deadline,
 *   so an hour of timers runs in milliseconds. The runtime calls runtimeIdle() when its last carrier
 *   parks, so auto-advance reacts at once rather than by polling.
 *
 * Memory ordering: wheel, entry links and entry state are guarded by the lock. parkedUntil is
 *   volatile: a registrant reads it after inserting (under the lock) and unparks the driver if its
 *   deadline is earlier.
 * Progress: register and cancel take the lock for O(1) work; firing happens outside it.
 * </pre>
 */
public final class TimeDriver {
    private static final long NANOS_PER_TICK = TimeUnit.MILLISECONDS.toNanos(1);
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final long FOREVER = Long.MAX_VALUE;

    private final Object lock = new Object();
    private final TimerWheel wheel = new TimerWheel();
    private final long startNanos = System.nanoTime();
    private final Instant startInstant = Instant.now();
    private final Thread thread;
    private final BooleanSupplier runtimeIdle;
    private final boolean pollForIdle;

    // Guarded by lock.
    private boolean paused;
    private long frozenNanos;
    private long shiftNanos;

    private volatile long parkedUntil = FOREVER;
    private volatile boolean stopped;

    /**
     * Creates and starts a driver.
     *
     * @param name thread name prefix
     * @param startPaused whether the clock starts paused with auto-advance
     * @param runtimeIdle tells whether the runtime has nothing to run (for auto-advance)
     * @param pollForIdle true if the runtime cannot report idleness itself (then the driver polls it)
     */
    public TimeDriver(String name, boolean startPaused, BooleanSupplier runtimeIdle, boolean pollForIdle) {
        this.runtimeIdle = runtimeIdle;
        this.pollForIdle = pollForIdle;
        this.paused = startPaused;
        this.thread = Thread.ofPlatform().daemon().name(name + IDS.incrementAndGet()).unstarted(this::run);
        thread.start();
    }

    // ---- clock ----

    /** {@return the driver's time: nanoseconds since it started (frozen while paused)} */
    public long nanos() {
        synchronized (lock) {
            return nanosLocked();
        }
    }

    private long nanosLocked() {
        return paused ? frozenNanos : System.nanoTime() - startNanos + shiftNanos;
    }

    /** {@return the driver's time as a wall-clock instant} */
    public Instant now() {
        return startInstant.plusNanos(nanos());
    }

    /**
     * Converts a wall-clock instant to the driver's nanoseconds.
     *
     * @param instant the instant
     * @return driver nanoseconds (clamped to the wheel's range)
     */
    public long toNanos(Instant instant) {
        Duration d = Duration.between(startInstant, instant);
        return saturatedNanos(d);
    }

    /**
     * {@return nanoseconds in {@code d}, saturating at about 2.2 years (the wheel's span)}
     *
     * @param d a duration, not negative
     */
    public static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), TimerWheel.MAX_SPAN * NANOS_PER_TICK);
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE / 4 : TimerWheel.MAX_SPAN * NANOS_PER_TICK;
        }
    }

    /** Freezes the clock (test time). */
    public void pause() {
        synchronized (lock) {
            if (!paused) {
                frozenNanos = nanosLocked();
                paused = true;
            }
        }
    }

    /** Unfreezes the clock; it continues from the frozen instant. */
    public void resume() {
        synchronized (lock) {
            if (paused) {
                shiftNanos = frozenNanos - (System.nanoTime() - startNanos);
                paused = false;
            }
        }
        LockSupport.unpark(thread);
    }

    /** {@return true while the clock is paused} */
    public boolean isPaused() {
        synchronized (lock) {
            return paused;
        }
    }

    /**
     * Moves a paused clock forward and fires what became due, on the caller's thread.
     *
     * @param d how far, not negative
     * @throws IllegalStateException if the clock is not paused
     */
    public void advance(Duration d) {
        long nanos = saturatedNanos(d);
        List<TimerEntry> due = new ArrayList<>();
        synchronized (lock) {
            if (!paused) {
                throw new IllegalStateException("time is not paused: call Time.pause() first");
            }
            frozenNanos += nanos;
            collectDue(due);
        }
        fireAll(due);
        LockSupport.unpark(thread);
    }

    // ---- timers ----

    /**
     * Registers a timer.
     *
     * @param e the entry
     * @param deadlineNanos when, in the driver's nanoseconds
     * @return false if the deadline has already passed (the entry was not registered)
     */
    public boolean register(TimerEntry e, long deadlineNanos) {
        long tick = ceilTick(deadlineNanos);
        synchronized (lock) {
            long now = nanosLocked();
            if (deadlineNanos <= now || tick <= wheel.elapsed()) {
                if (tick <= wheel.elapsed() && deadlineNanos > now) {
                    // Due within the tick already processed: fire at the next driver pass.
                    tick = wheel.elapsed() + 1;
                } else {
                    return false;
                }
            }
            e.when = tick;
            e.deadlineNanos = deadlineNanos;
            e.state = TimerEntry.PENDING;
            wheel.insert(e);
        }
        if (tick < parkedUntil) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    /**
     * Cancels a timer.
     *
     * @param e the entry
     * @return true if it was pending (and now never fires); false if it already fired
     */
    public boolean cancel(TimerEntry e) {
        synchronized (lock) {
            if (e.state != TimerEntry.PENDING) {
                return false;
            }
            e.state = TimerEntry.CANCELLED;
            wheel.remove(e);
            return true;
        }
    }

    /** {@return timers registered and not yet fired or cancelled} */
    public int activeTimers() {
        synchronized (lock) {
            return wheel.size();
        }
    }

    /** The runtime has nothing to run: lets a paused clock auto-advance. Cheap when not paused. */
    public void runtimeIdle() {
        if (autoAdvanceHint) {
            LockSupport.unpark(thread);
        }
    }

    /** True while the clock is paused and a timer is pending: only then does idleness matter. */
    private volatile boolean autoAdvanceHint;

    /** Stops the driver thread. */
    public void stop() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    private static long ceilTick(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        return (nanos + NANOS_PER_TICK - 1) / NANOS_PER_TICK;
    }

    private void collectDue(List<TimerEntry> due) {
        long nowTick = nanosLocked() / NANOS_PER_TICK;
        wheel.poll(nowTick, e -> {
            e.state = TimerEntry.FIRED;
            due.add(e);
        });
    }

    private static void fireAll(List<TimerEntry> due) {
        for (TimerEntry e : due) {
            try {
                e.fire();
            } catch (Throwable t) {
                System.getLogger("io.weft").log(System.Logger.Level.ERROR, "timer action threw", t);
            }
        }
    }

    private void run() {
        List<TimerEntry> due = new ArrayList<>();
        while (!stopped) {
            long next;
            boolean canAutoAdvance;
            long sleepNanos;
            synchronized (lock) {
                collectDue(due);
                next = wheel.nextExpiration();
                canAutoAdvance = paused;
                autoAdvanceHint = canAutoAdvance && next >= 0;
                sleepNanos = next < 0 || paused ? -1 : next * NANOS_PER_TICK - nanosLocked();
                parkedUntil = next < 0 ? FOREVER : next;
            }
            if (!due.isEmpty()) {
                fireAll(due);
                due.clear();
                continue;
            }
            if (canAutoAdvance && next >= 0 && runtimeIdle.getAsBoolean()) {
                synchronized (lock) {
                    if (paused && frozenNanos < next * NANOS_PER_TICK) {
                        frozenNanos = next * NANOS_PER_TICK;
                    }
                }
                continue;
            }
            if (canAutoAdvance && next >= 0 && pollForIdle) {
                LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(200));
            } else if (sleepNanos < 0) {
                LockSupport.park(this);
            } else if (sleepNanos > 0) {
                LockSupport.parkNanos(this, sleepNanos);
            }
        }
    }
}
