package io.weft.internal.time;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;

/**
 * A runtime's clock and timers: a {@link TimerWheel} owned by one driver thread.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: the wheel belongs to the driver thread alone, so it needs no lock. register() puts the
 *   entry on an MPSC queue (JCTools) and unparks the driver only if the new deadline is earlier than
 *   the tick it sleeps until; cancel() CASes the entry's state to CANCELLED and queues it for removal,
 *   so a cancelled timer leaves the wheel in O(1) at the driver's next pass (the driver is woken when
 *   many cancellations are pending, so they never pile up). The driver loops: drain registrations and
 *   cancellations into the wheel, poll the wheel up to now (an entry fires only if its PENDING ->
 *   FIRED CAS wins), fire outside any lock, then park until the next expiration.
 *   A registering thread never blocks: a contended lock here would unmount every sleeping virtual
 *   thread through the JDK's unblocker thread.
 *
 * Clock: one immutable Clock record in a volatile field: now = nanoTime - start + shift, or frozen
 *   while paused. Reading it takes no lock. pause(), resume() and advance() replace the record under
 *   a small lock. advance() asks the driver for a pass and waits for it, so the timers it made due
 *   have fired when it returns. With auto-advance (the clock paused), when the runtime reports it has
 *   nothing to run, the driver moves the frozen clock to the next deadline; the runtime calls
 *   runtimeIdle() when its last carrier parks, so this reacts at once rather than by polling.
 *
 * Memory ordering: queue publication is JCTools' (release); parkedUntil is volatile and read by a
 *   registrant after it enqueued (the enqueue is a CAS, so the read is not reordered before it).
 * Progress: register and cancel are lock-free; only the driver parks.
 * </pre>
 */
public final class TimeDriver {
    private static final long NANOS_PER_TICK = TimeUnit.MILLISECONDS.toNanos(1);
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final long FOREVER = Long.MAX_VALUE;
    private static final int CANCEL_WAKE_THRESHOLD = 4096;

    /** The clock's state; replaced whole, read without a lock. */
    private record Clock(boolean paused, long frozen, long shift) {}

    private final TimerWheel wheel = new TimerWheel();
    private final MpscUnboundedVarHandleArrayQueue<TimerEntry> registrations = new MpscUnboundedVarHandleArrayQueue<>(1024);
    private final MpscUnboundedVarHandleArrayQueue<TimerEntry> cancellations = new MpscUnboundedVarHandleArrayQueue<>(256);
    private final AtomicInteger pendingCancels = new AtomicInteger();
    private final AtomicLong active = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final Instant startInstant = Instant.now();
    private final Object clockLock = new Object();
    private final Thread thread;
    private final BooleanSupplier runtimeIdle;
    private final boolean pollForIdle;

    private volatile Clock clock;
    /** The runtime's I/O driver, created on first use; the driver thread then waits in its select. */
    private volatile io.weft.internal.reactor.Reactor reactor;
    private volatile long parkedUntil = 0;
    private volatile boolean stopped;
    private volatile boolean autoAdvanceHint;
    private final AtomicLong passRequested = new AtomicLong();
    private volatile long passDone;

    /**
     * Creates and starts a driver.
     *
     * @param name thread name prefix
     * @param startPaused whether the clock starts paused (with auto-advance)
     * @param runtimeIdle tells whether the runtime has nothing to run (for auto-advance)
     * @param pollForIdle true if the runtime cannot report idleness itself (then the driver polls it)
     */
    public TimeDriver(String name, boolean startPaused, BooleanSupplier runtimeIdle, boolean pollForIdle) {
        this.runtimeIdle = runtimeIdle;
        this.pollForIdle = pollForIdle;
        this.clock = new Clock(startPaused, 0, 0);
        this.thread = Thread.ofPlatform().daemon().name(name + IDS.incrementAndGet()).unstarted(this::run);
        thread.start();
    }

    // ---- I/O ----

    /**
     * {@return this driver's reactor}, opened on first use: from then on the driver thread waits for
     * timers in the reactor's select, with the wheel's next deadline as its timeout.
     *
     * @throws java.io.IOException if the driver has stopped (its runtime shut down)
     */
    public io.weft.internal.reactor.Reactor reactor() throws java.io.IOException {
        io.weft.internal.reactor.Reactor r = reactor;
        if (r != null) {
            return r;
        }
        synchronized (clockLock) {
            r = reactor;
            if (r == null) {
                if (stopped) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                r = new io.weft.internal.reactor.Reactor(thread.getName());
                Thread driverThread = thread;
                r.driverNudge(() -> LockSupport.unpark(driverThread));
                reactor = r;
                java.util.function.Consumer<io.weft.internal.reactor.Reactor> hook = onReactor;
                if (hook != null) {
                    hook.accept(r);
                }
            }
        }
        LockSupport.unpark(thread); // leave LockSupport.park for the select
        return r;
    }

    /** {@return the reactor if sockets have been opened on this driver, else null} */
    public io.weft.internal.reactor.Reactor reactorIfOpen() {
        return reactor;
    }

    /** Wakes the driver thread wherever it waits. */
    private void wakeDriver() {
        io.weft.internal.reactor.Reactor r = reactor;
        if (r != null) {
            r.wakeup();
        }
        LockSupport.unpark(thread);
    }

    /**
     * Tells the driver who polls I/O: while {@code carriersPoll} is true (some carrier is awake), the
     * carriers do, and this thread only waits for timers (and looks at the selector itself if nobody
     * has for {@link #STALE_IO_NANOS}); otherwise this thread waits in the selector.
     *
     * @param carriersPoll true while the runtime's carriers poll I/O themselves
     * @param onReactor told when the reactor opens (the runtime hands it to its carriers)
     */
    public void ioPolling(BooleanSupplier carriersPoll, java.util.function.Consumer<io.weft.internal.reactor.Reactor> onReactor) {
        this.carriersPoll = carriersPoll;
        this.onReactor = onReactor;
    }

    private volatile BooleanSupplier carriersPoll;
    private volatile java.util.function.Consumer<io.weft.internal.reactor.Reactor> onReactor;
    /** How long readiness may wait for busy carriers before the driver thread polls it itself. */
    private static final long STALE_IO_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Driver thread: waits up to {@code nanos} (negative: no limit, 0: only look) for a wake-up, a timer or I/O. */
    private void parkDriver(long nanos) {
        io.weft.internal.reactor.Reactor r = reactor;
        BooleanSupplier cp = carriersPoll;
        if (r != null && cp != null && cp.getAsBoolean()) {
            // Carriers are awake and poll the selector: wait for timers, and check on I/O now and then.
            r.pollIfStale(STALE_IO_NANOS);
            long wait = nanos < 0 ? STALE_IO_NANOS : Math.min(nanos, STALE_IO_NANOS);
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        } else if (r != null) {
            r.poll(nanos);
        } else if (nanos == 0) {
            return;
        } else if (nanos < 0) {
            LockSupport.park(this);
        } else {
            LockSupport.parkNanos(this, nanos);
        }
    }

    // ---- clock ----

    /** {@return the driver's time: nanoseconds since it started (frozen while paused)} */
    public long nanos() {
        Clock c = clock;
        return c.paused ? c.frozen : System.nanoTime() - startNanos + c.shift;
    }

    /** {@return the driver's time as a wall-clock instant} */
    public Instant now() {
        return instant(nanos());
    }

    /**
     * {@return the wall-clock instant of a driver time}
     *
     * @param driverNanos a time in the driver's nanoseconds
     */
    public Instant instant(long driverNanos) {
        return startInstant.plusNanos(driverNanos);
    }

    /**
     * Converts a wall-clock instant to the driver's nanoseconds.
     *
     * @param instant the instant
     * @return driver nanoseconds
     */
    public long toNanos(Instant instant) {
        return saturatedNanos(Duration.between(startInstant, instant));
    }

    /**
     * {@return nanoseconds in {@code d}, saturating at about 2.2 years (the wheel's span)}
     *
     * @param d a duration
     */
    public static long saturatedNanos(Duration d) {
        long max = TimerWheel.MAX_SPAN * NANOS_PER_TICK;
        try {
            return Math.min(d.toNanos(), max);
        } catch (ArithmeticException e) {
            return d.isNegative() ? -max : max;
        }
    }

    /** Freezes the clock (test time); a paused clock auto-advances when the runtime is idle. */
    public void pause() {
        synchronized (clockLock) {
            Clock c = clock;
            if (!c.paused) {
                clock = new Clock(true, nanos(), c.shift);
            }
        }
        wakeDriver(); // re-plan: a paused clock auto-advances instead of sleeping in real time
    }

    /** Unfreezes the clock; it continues from the frozen instant. */
    public void resume() {
        synchronized (clockLock) {
            Clock c = clock;
            if (c.paused) {
                clock = new Clock(false, 0, c.frozen - (System.nanoTime() - startNanos));
            }
        }
        wakeDriver();
    }

    /** {@return true while the clock is paused} */
    public boolean isPaused() {
        return clock.paused;
    }

    /**
     * Moves a paused clock forward and waits until the driver has fired what became due.
     *
     * @param d how far, not negative
     * @throws IllegalStateException if the clock is not paused
     */
    public void advance(Duration d) {
        long ticket;
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE / 4; // about 36 000 years: the clock moves by all of any sane duration
        }
        synchronized (clockLock) {
            Clock c = clock;
            if (!c.paused) {
                throw new IllegalStateException("time is not paused: call Time.pause() first");
            }
            clock = new Clock(true, c.frozen + nanos, c.shift);
            // Requested under the same lock as the clock move: the driver re-checks requests under it
            // before an auto-advance jump, so it never jumps past a clock an advance just set.
            ticket = passRequested.incrementAndGet();
        }
        awaitPass(ticket);
    }

    /** Parks until the driver has made the pass numbered {@code ticket}. */
    private void awaitPass(long ticket) {
        wakeDriver();
        while (passDone < ticket && !stopped) {
            passWaiters.offer(Thread.currentThread());
            wakeDriver();
            if (passDone < ticket) {
                LockSupport.parkNanos(this, 1_000_000);
            }
        }
    }

    private final MpscUnboundedVarHandleArrayQueue<Thread> passWaiters = new MpscUnboundedVarHandleArrayQueue<>(16);

    // ---- timers ----

    /**
     * Registers a timer.
     *
     * @param e the entry, not registered before
     * @param deadlineNanos when, in the driver's nanoseconds
     * @return false if the deadline has already passed (the entry was not registered)
     */
    public boolean register(TimerEntry e, long deadlineNanos) {
        if (deadlineNanos <= nanos()) {
            return false;
        }
        long tick = ceilTick(deadlineNanos);
        e.when = tick;
        e.deadlineNanos = deadlineNanos;
        e.state = TimerEntry.PENDING;
        active.incrementAndGet();
        registrations.offer(e);
        if (tick < parkedUntil) {
            wakeDriver();
        }
        return true;
    }

    /**
     * Cancels a timer.
     *
     * @param e the entry
     * @return true if it was pending (and now never fires); false if it already fired or was cancelled
     */
    public boolean cancel(TimerEntry e) {
        if (!TimerEntry.STATE.compareAndSet(e, TimerEntry.PENDING, TimerEntry.CANCELLED)) {
            return false;
        }
        active.decrementAndGet();
        cancellations.offer(e);
        if (pendingCancels.incrementAndGet() == CANCEL_WAKE_THRESHOLD) {
            wakeDriver();
        }
        return true;
    }

    /** {@return timers registered and not yet fired or cancelled} */
    public int activeTimers() {
        return (int) Math.min(Integer.MAX_VALUE, active.get());
    }

    /** The runtime has nothing to run: lets a paused clock auto-advance. Cheap when not paused. */
    public void runtimeIdle() {
        if (autoAdvanceHint) {
            wakeDriver();
        } else if (reactor != null && carriersPoll != null) {
            LockSupport.unpark(thread); // every carrier parked: this thread takes over the selector
        }
    }

    /** Stops the driver thread. */
    public void stop() {
        stopped = true;
        wakeDriver();
    }

    private static long ceilTick(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        return (nanos + NANOS_PER_TICK - 1) / NANOS_PER_TICK;
    }

    // ---- the driver thread ----

    private void drainQueues(List<TimerEntry> due) {
        TimerEntry e;
        int n = 0;
        while ((e = cancellations.poll()) != null) {
            wheel.remove(e); // no-op if it never reached the wheel
            n++;
        }
        if (n > 0) {
            pendingCancels.addAndGet(-n);
        }
        while ((e = registrations.poll()) != null) {
            if (e.state != TimerEntry.PENDING) {
                continue; // cancelled before it reached the wheel
            }
            if (e.when <= wheel.elapsed()) {
                if (TimerEntry.STATE.compareAndSet(e, TimerEntry.PENDING, TimerEntry.FIRED)) {
                    active.decrementAndGet();
                    due.add(e);
                }
            } else {
                wheel.insert(e);
            }
        }
    }

    private void collectDue(List<TimerEntry> due) {
        long nowTick = nanos() / NANOS_PER_TICK;
        wheel.poll(nowTick, e -> {
            if (TimerEntry.STATE.compareAndSet(e, TimerEntry.PENDING, TimerEntry.FIRED)) {
                active.decrementAndGet();
                due.add(e);
            }
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
        due.clear();
    }

    private void run() {
        List<TimerEntry> due = new ArrayList<>();
        while (!stopped) {
            long ticket = passRequested.get();
            parkedUntil = 0; // awake: registrants need not unpark us
            drainQueues(due);
            collectDue(due);
            fireAll(due);
            if (ticket > passDone) {
                passDone = ticket;
                Thread w;
                while ((w = passWaiters.poll()) != null) {
                    LockSupport.unpark(w);
                }
            }
            long next = wheel.nextExpiration();
            Clock c = clock;
            autoAdvanceHint = c.paused && next >= 0;
            parkedUntil = next < 0 ? FOREVER : next;
            // Re-check after publishing parkedUntil: a registration that read the old value did not unpark us.
            if (!registrations.isEmpty() || passRequested.get() > passDone) {
                parkDriver(0); // look at I/O without waiting: a busy wheel must not starve sockets
                continue;
            }
            if (c.paused) {
                io.weft.internal.reactor.Reactor io = reactor;
                if (next >= 0 && runtimeIdle.getAsBoolean() && (io == null || !io.pollNow())) {
                    // Idle, and no socket is ready (Tokio polls the I/O driver before it auto-advances
                    // too: a read whose data has arrived must not lose to a timeout).
                    synchronized (clockLock) {
                        Clock now = clock;
                        if (now.paused && now.frozen < next * NANOS_PER_TICK
                                && passRequested.get() <= passDone) { // an advance in flight: serve it first
                            clock = new Clock(true, next * NANOS_PER_TICK, now.shift);
                        }
                    }
                    continue;
                }
                if (next >= 0 && pollForIdle) {
                    parkDriver(TimeUnit.MICROSECONDS.toNanos(200));
                } else {
                    parkDriver(-1);
                }
            } else if (next < 0) {
                parkDriver(-1);
            } else {
                long sleep = next * NANOS_PER_TICK - nanos();
                if (sleep > 0) {
                    parkDriver(sleep);
                } else {
                    parkDriver(0);
                }
            }
        }
        io.weft.internal.reactor.Reactor r;
        synchronized (clockLock) {
            r = reactor;
        }
        if (r != null) {
            r.close(); // here, on the thread that selects: waiters on its sockets wake with an exception
        }
    }
}
