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
 * Algorithm: the wheel is touched only by whoever holds `driving`, a try-lock: the driver thread, or
 *   a carrier making a pass. register() puts the entry on an MPSC queue (JCTools), lowers nextDue if
 *   its tick is earlier, and unparks the driver thread only if the tick is earlier than the one it
 *   sleeps until; cancel() CASes the entry's state to CANCELLED and queues it for removal, so a
 *   cancelled timer leaves the wheel in O(1) at the next pass (past CANCEL_WAKE_THRESHOLD pending
 *   cancellations nextDue drops to 0 and the driver thread is woken, so the next pass comes at once
 *   and they never pile up, even while the earliest deadline is far off). A pass: drain
 *   registrations and cancellations
 *   into the wheel, poll the wheel up to now (an entry fires only if its PENDING -> FIRED CAS wins),
 *   publish nextDue, release the lock, then fire.
 *   A registering thread never blocks: a contended lock here would unmount every sleeping virtual
 *   thread through the JDK's unblocker thread.
 *
 * Who makes the passes (Tokio's workers drive the timer the same way): while any carrier is awake,
 *   the carriers, every eventInterval ticks and before they park, when nextDue has come; a wake-up
 *   fired on a carrier lands in that carrier's own queue, not in the inject queue. The driver thread
 *   then sleeps until nextDue plus a grace (CARRIER_GRACE_NANOS) and makes the pass itself only if no
 *   carrier has (they are all inside long tasks). When the last carrier parks it wakes the driver
 *   thread, which then fires on time and through the inject queue. Paused (test) time is the driver
 *   thread's alone, so advance() and auto-advance keep their order guarantees.
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
 *   nextDue: a pass stores it, then re-checks the registration queue; a registrant enqueues, then
 *   reads it (and CASes it lower). Either the pass sees the entry and sets nextDue to 0, or the
 *   registrant sees the pass's value and lowers it: no registration is left behind a later nextDue.
 *   delegating and the carriers' parked count form the same pair: the driver thread stores
 *   delegating, then reads whether carriers are awake; the last carrier to park updates the count,
 *   then reads delegating and wakes the driver thread.
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
    /**
     * The earliest tick at which a pass has work: the wheel's next expiration, 0 while registrations
     * wait to be drained, FOREVER when there is nothing. Carriers read it to skip a pass cheaply.
     */
    private volatile long nextDue = FOREVER;
    /** 1 while a thread (the driver or a carrier) makes a pass over the wheel. */
    @SuppressWarnings("unused") private volatile int driving;
    /** True while carriers run and make the passes themselves (set by the runtime). */
    private volatile BooleanSupplier carriersPollTimers;
    /** True while the driver thread parks leaving due timers to the carriers. */
    private volatile boolean delegating;
    private static final java.lang.invoke.VarHandle DRIVING;
    private static final java.lang.invoke.VarHandle NEXT_DUE;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            DRIVING = l.findVarHandle(TimeDriver.class, "driving", int.class);
            NEXT_DUE = l.findVarHandle(TimeDriver.class, "nextDue", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * How long the driver thread leaves a due timer to awake carriers before firing it itself. A
     * carrier looks every {@code eventInterval} tasks and before it parks, so this bounds the
     * lateness only when every awake carrier is stuck in one long task.
     */
    private static final long CARRIER_GRACE_NANOS = TimeUnit.MICROSECONDS.toNanos(
        Long.getLong("weft.timerGraceMicros", 500));
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
                r = io.weft.internal.reactor.Reactor.open(thread.getName(), carriersPoll == null ? 1 : ioCarriers);
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
            r.wakeup(); // at most one byte is pending; a parked carrier woken for nothing waits again
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
        ioPolling(carriersPoll, onReactor, 1);
    }

    /**
     * As {@link #ioPolling(BooleanSupplier, java.util.function.Consumer)}, for {@code carriers}
     * carriers: with 2 or more, the reactor may give each an epoll set of its own.
     *
     * @param carriersPoll true while the runtime's carriers poll I/O themselves
     * @param onReactor told when the reactor opens (the runtime hands it to its carriers)
     * @param carriers how many carriers poll
     */
    public void ioPolling(BooleanSupplier carriersPoll, java.util.function.Consumer<io.weft.internal.reactor.Reactor> onReactor,
            int carriers) {
        this.ioCarriers = carriers;
        this.carriersPoll = carriersPoll;
        this.onReactor = onReactor;
    }

    private volatile int ioCarriers = 1;

    private volatile BooleanSupplier carriersPoll;
    private volatile java.util.function.Consumer<io.weft.internal.reactor.Reactor> onReactor;
    /** Checked by the reactor just before the driver thread's blocking wait (see Reactor.poll). */
    private final BooleanSupplier stillIdle = () -> registrations.isEmpty() && passRequested.get() <= passDone && !stopped
        && (carriersPoll == null || !carriersPoll.getAsBoolean()); // a carrier woke: leave the wait to it
    /**
     * How long readiness may wait for busy carriers before the driver thread polls it itself
     * ({@code -Dweft.io.staleMicros}, default 1,000; docs/benchmarks.md has what other values did).
     */
    private static final long STALE_IO_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("weft.io.staleMicros", 1000));

    /** Driver thread: waits up to {@code nanos} (negative: no limit, 0: only look) for a wake-up, a timer or I/O. */
    private void parkDriver(long nanos) {
        io.weft.internal.reactor.Reactor r = reactor;
        BooleanSupplier cp = carriersPoll;
        if (r != null && nanos != 0 && r.enterTimersOnlyWait()) {
            // Parked carriers wait in the reactor for I/O: this thread waits for timers only (a
            // carrier that leaves its wait ends this one, see Reactor#enterTimersOnlyWait).
            try {
                if (nanos < 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, nanos);
                }
            } finally {
                r.leaveTimersOnlyWait();
            }
        } else if (r != null && nanos == 0 && r.hasParkedPoller()) {
            return; // parked carriers look at I/O themselves
        } else if (r != null && cp != null && (cp.getAsBoolean() || (r.parksEveryCarrier() && !isPaused()))) {
            // With a set per carrier (and time running) this thread never waits in the sets either:
            // a carrier on its way into its set, or one that parked before the reactor opened (moved
            // in by pokeParked), is covered by the stale look. Waiting here would only be woken
            // again when the last carrier enters its set, a system call on each side per park.
            // Carriers are awake and poll the selector: wait for timers, and check on I/O now and then.
            r.pollIfStale(STALE_IO_NANOS);
            long wait = nanos < 0 ? STALE_IO_NANOS : Math.min(nanos, STALE_IO_NANOS);
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        } else if (r != null) {
            r.poll(nanos, stillIdle);
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
        return nanos(clock);
    }

    private long nanos(Clock c) {
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
        Runnable r = onResume;
        if (r != null) {
            r.run();
        }
    }

    private volatile Runnable onResume;

    /**
     * Sets what runs after the clock resumes (the runtime moves parked carriers back into the I/O
     * driver's wait, which paused time keeps them out of).
     *
     * @param r run on the thread that calls {@link #resume}
     */
    public void onResume(Runnable r) {
        this.onResume = r;
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
        // After the offer: a pass that stored a later nextDue re-checks the queue after its store.
        long nd = nextDue;
        while (tick < nd && !NEXT_DUE.weakCompareAndSet(this, nd, tick)) {
            nd = nextDue;
        }
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
            // Due now for whoever makes passes: a carrier's next look, or the driver thread after its
            // grace. Without this, timers cancelled long before their deadline (read timeouts, say)
            // would wait in the queue until the earliest deadline came.
            nextDue = 0;
            wakeDriver();
        }
        return true;
    }

    /** {@return cancellations queued and not yet removed from the wheel} (for tests and metrics) */
    public int pendingCancellations() {
        return pendingCancels.get();
    }

    /** {@return timers registered and not yet fired or cancelled} */
    public int activeTimers() {
        return (int) Math.min(Integer.MAX_VALUE, active.get());
    }

    /** The runtime has nothing to run: lets a paused clock auto-advance. Cheap when not paused. */
    public void runtimeIdle() {
        if (autoAdvanceHint) {
            wakeDriver();
        } else if (delegating || (reactor != null && carriersPoll != null)) {
            LockSupport.unpark(thread); // every carrier parked: this thread takes over timers and the selector
        }
    }

    /**
     * Lets the runtime's carriers make passes over the wheel themselves while {@code carriersAwake}
     * is true: a timer a carrier fires wakes its task into that carrier's own queue, with no hop
     * through the driver thread and the inject queue (Tokio's workers drive their timers the same
     * way). The driver thread then fires a due timer only when no carrier has within
     * {@link #CARRIER_GRACE_NANOS}, when every carrier parks, and whenever the clock is paused.
     *
     * @param carriersAwake true while some carrier is awake
     */
    public void carriersPollTimers(BooleanSupplier carriersAwake) {
        this.carriersPollTimers = carriersAwake;
    }

    /**
     * A carrier's cheap look at the timers: fires what is due, unless the clock is paused (test time
     * is the driver thread's alone), nothing is due, or another thread is making a pass.
     *
     * @return true if it fired a timer
     */
    public boolean pollTimers() {
        long nd = nextDue;
        if (nd == FOREVER) {
            return false;
        }
        Clock c = clock;
        if (c.paused || nanos(c) / NANOS_PER_TICK < nd) {
            return false;
        }
        if ((int) DRIVING.getOpaque(this) != 0 || !DRIVING.compareAndSet(this, 0, 1)) {
            return false;
        }
        List<TimerEntry> due = carrierDue.get();
        try {
            passLocked(due);
        } finally {
            DRIVING.setRelease(this, 0);
        }
        if (due.isEmpty()) {
            return false;
        }
        fireAll(due); // outside the lock: another carrier may make the next pass meanwhile
        return true;
    }

    /** A pass's due list per carrier thread (a pass fires outside the lock, so lists are not shared). */
    private static final ThreadLocal<List<TimerEntry>> carrierDue = ThreadLocal.withInitial(ArrayList::new);

    /**
     * Holding {@code driving}: drains registrations and cancellations into the wheel, collects what is
     * due into {@code due}, and publishes the next tick a pass has work at.
     */
    private void passLocked(List<TimerEntry> due) {
        drainQueues(due);
        collectDue(due);
        long next = wheel.nextExpiration();
        nextDue = next < 0 ? FOREVER : next;
        // After the store: a registration that missed the drain either is seen here or saw the store
        // and lowers nextDue itself. Likewise a cancellation that crossed the threshold: it sets
        // nextDue to 0 after counting itself, so either this read sees the count or its 0 lands last.
        if (!registrations.isEmpty() || pendingCancels.get() >= CANCEL_WAKE_THRESHOLD) {
            nextDue = 0;
        }
    }

    /** The driver thread takes {@code driving}, waiting out a carrier's pass (a few microseconds). */
    private void lockDriving() {
        while (!DRIVING.compareAndSet(this, 0, 1)) {
            Thread.onSpinWait();
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

    /**
     * While carriers are awake and make the passes, parks the driver thread until a due timer is
     * overdue by the grace (or a carrier parks, or a registration moves the next deadline earlier).
     *
     * @param pendingBefore whether the last look also found registrations waiting to be drained
     * @return false if the driver thread must make a pass itself now
     */
    private boolean leaveToCarriers(BooleanSupplier awake, boolean pendingBefore) {
        long nd = nextDue;
        long wait;
        if (nd == FOREVER) {
            wait = -1;
        } else if (nd == 0) {
            wait = pendingBefore ? 0 : CARRIER_GRACE_NANOS; // registrations waiting: give carriers one grace
        } else {
            wait = Math.max(0, nd * NANOS_PER_TICK + CARRIER_GRACE_NANOS - nanos());
        }
        if (wait == 0) {
            return false;
        }
        // nd == 0: sleep one grace without being woken by each registration.
        parkedUntil = nd == 0 ? 0 : nd;
        delegating = true;
        // After publishing both: the last carrier to park, or a registration that lowers nextDue, sees them.
        if (awake.getAsBoolean() && nextDue == nd && !stopped) {
            parkDriver(wait);
        }
        delegating = false;
        return true;
    }

    private void run() {
        List<TimerEntry> due = new ArrayList<>();
        boolean pending = false;
        while (!stopped) {
            long ticket = passRequested.get();
            parkedUntil = 0; // awake: registrants need not unpark us
            BooleanSupplier awake = carriersPollTimers;
            if (awake != null && ticket <= passDone && !clock.paused && awake.getAsBoolean()) {
                boolean wasPending = pending;
                pending = nextDue == 0;
                if (leaveToCarriers(awake, wasPending)) {
                    continue;
                }
            }
            pending = false;
            lockDriving();
            long next;
            try {
                passLocked(due);
                next = wheel.nextExpiration();
            } finally {
                DRIVING.setRelease(this, 0);
            }
            fireAll(due);
            if (ticket > passDone) {
                passDone = ticket;
                Thread w;
                while ((w = passWaiters.poll()) != null) {
                    LockSupport.unpark(w);
                }
            }
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
                if (next >= 0 && runtimeIdle.getAsBoolean() && (io == null || !io.pollNowWaiting())) {
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
