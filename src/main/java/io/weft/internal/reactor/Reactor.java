package io.weft.internal.reactor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.util.concurrent.atomic.LongAdder;

/**
 * A runtime's I/O driver: it polls the operating system for socket readiness and wakes the tasks
 * parked in {@link IoSource#await}. Tokio's {@code io::Driver}.
 *
 * <pre>
 * Implementation overview
 *
 * Two implementations, chosen when a runtime opens its first socket ({@link #open}):
 *   EpollReactor    Linux epoll, edge-triggered (Tokio's and mio's way): a socket is registered once
 *                   for both directions and the kernel reports every change of its readiness, so a
 *                   task that would block parks without a system call and closing costs one
 *                   epoll_ctl. Needs the JDK's own epoll binding in sun.nio.ch (see Epoll).
 *   SelectorReactor java.nio.channels.Selector, level-triggered: interest is armed while a task
 *                   waits and dropped when the event comes, two epoll_ctl calls per wait on Linux.
 *                   Used on other systems, when sun.nio.ch cannot be opened, or when asked for with
 *                   -Dweft.io.driver=selector.
 *
 * Who polls, in both: the carriers while any is awake (pollNow, without waiting; a task it wakes
 *   goes to that carrier's own queue), and the runtime's driver thread, which also owns the timer
 *   wheel, while every carrier is parked (poll, with the wheel's next deadline as its timeout). A
 *   try-lock (`polling`, here) lets one thread poll at a time; `selecting` marks the driver thread's
 *   blocking wait, which a carrier that wakes ends (wakeupIfSelecting); both wait through the
 *   WakePipe kept here.
 *
 * Readiness lives in IoSource, which both share: a word of ready operations and a sequence number,
 *   cleared by a task only if no event came since it last looked.
 * </pre>
 */
public abstract sealed class Reactor implements AutoCloseable, io.weft.internal.scheduler.IoPoller
        permits SelectorReactor, EpollReactor {

    /** System property: {@code epoll} (the default where available) or {@code selector}. */
    public static final String DRIVER_PROP_NAME = "weft.io.driver";

    /**
     * System property: {@code true} gives each carrier an epoll set of its own (Netty's event loops),
     * in which it waits when it parks; {@code false} (the default) keeps one set for all, waited in by
     * the driver thread while every carrier is parked. Sharding served no more round trips than
     * the shared set and raised the 64-connection p99 in every run (docs/benchmarks.md), so it is opt-in.
     */
    public static final String SHARDS_PROP_NAME = "weft.io.shards";

    private static volatile boolean warned;
    private static final VarHandle SELECTING;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SELECTING = l.findVarHandle(Reactor.class, "selecting", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Names the runtime, for messages. */
    final String owner;
    /** Set once by {@link #close()}. */
    volatile boolean closed;
    /** Ends a blocking wait; its read end is watched by the subclass's selector or epoll set. */
    final WakePipe wakePipe;
    /** Unparks the driver thread (set by the time driver), for work only a poller can do. */
    volatile Runnable driverNudge = () -> { };
    /** Set while the driver thread is in its blocking wait (see {@link #wakeupIfSelecting}). */
    @SuppressWarnings("unused") private volatile boolean selecting;
    /** The poll lock: held by whoever is polling; it also records when a poll last ended. */
    private final PollLock polling = new PollLock();
    private final LongAdder readyEvents = new LongAdder();
    private final LongAdder registrations = new LongAdder();
    private final LongAdder deregistrations = new LongAdder();

    /**
     * @param owner names the runtime
     * @param wakePipe from {@link #openWakePipe}; the subclass closes it if its own set-up fails
     */
    Reactor(String owner, WakePipe wakePipe) {
        this.owner = owner;
        this.wakePipe = wakePipe;
    }

    /** {@return a new wake pipe} @throws UncheckedIOException if the pipe cannot be opened */
    static WakePipe openWakePipe(String owner) {
        try {
            return new WakePipe();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the I/O driver's wake pipe for " + owner, e);
        }
    }

    /**
     * Opens the best I/O driver this JVM allows: epoll on Linux when {@code sun.nio.ch} can be
     * reached, else a {@link java.nio.channels.Selector}.
     *
     * @param owner names the runtime, for error messages
     * @return the new reactor
     * @throws java.io.UncheckedIOException if no driver can be opened
     */
    public static Reactor open(String owner) {
        return open(owner, 1);
    }

    /**
     * Opens the best I/O driver this JVM allows, as {@link #open(String)}; with epoll, and
     * {@code carriers} of 2 or more, each carrier gets an epoll set of its own (see
     * {@link #SHARDS_PROP_NAME}).
     *
     * @param owner names the runtime, for error messages
     * @param carriers the runtime's carriers that poll I/O (0 or 1 if none or one)
     * @return the new reactor
     * @throws java.io.UncheckedIOException if no driver can be opened
     */
    public static Reactor open(String owner, int carriers) {
        String wanted = System.getProperty(DRIVER_PROP_NAME, "epoll");
        if (!"selector".equals(wanted) && Epoll.AVAILABLE) {
            boolean sharded = Boolean.getBoolean(SHARDS_PROP_NAME);
            return new EpollReactor(owner, sharded ? carriers : 1);
        }
        if (!"selector".equals(wanted) && Epoll.UNEXPECTED && !warned) {
            warned = true;
            System.getLogger("io.weft").log(System.Logger.Level.WARNING,
                "Weft's epoll I/O driver is unavailable on this JDK (" + Epoll.UNAVAILABLE_REASON
                    + "); sockets use a java.nio.channels.Selector instead");
        }
        return new SelectorReactor(owner);
    }

    /**
     * Registers a channel, putting it in non-blocking mode.
     *
     * @param ch the channel, not registered with this reactor before
     * @return its readiness
     * @throws IOException if the channel is closed or this reactor is
     */
    public abstract IoSource register(SelectableChannel ch) throws IOException;

    /**
     * Waits up to {@code timeoutNanos} for readiness and dispatches what is ready: the driver thread's
     * wait while every carrier is parked. It checks {@code stillIdle} once the poll lock is held and
     * just before the wait, and only looks if it is false. A wake-up meant for this wait (a new earlier timer)
     * can be drained by a carrier that polled just before; whatever the waker did before waking is
     * visible to this check (the carrier's release of the poll lock orders it), so the check, not
     * the wake byte, decides.
     *
     * @param timeoutNanos how long: negative for no limit, 0 to only look
     * @param stillIdle false if the caller has new work and must not wait
     */
    public abstract void poll(long timeoutNanos, java.util.function.BooleanSupplier stillIdle);

    /**
     * The driver thread's poll while carriers run: if nobody has polled for {@code staleNanos}
     * (carriers stuck in long tasks), or work waits for a poller, poll now.
     *
     * @param staleNanos how old the last poll may be
     */
    public abstract void pollIfStale(long staleNanos);

    /** Makes the current or next blocking poll return at once (the time driver's wake-up). */
    public final void wakeup() {
        wakePipe.wake();
    }

    /** @param nudge unparks the driver thread, for work only a poller can do */
    public final void driverNudge(Runnable nudge) {
        this.driverNudge = nudge;
    }

    /** {@return true while parked carriers wait in this driver for all its sockets (see {@link #enterParkedPoll})} */
    public boolean hasParkedPoller() {
        return false;
    }

    /**
     * The driver thread is about to wait for timers only, leaving I/O to carriers parked in this
     * driver; a parked carrier that leaves its wait meanwhile ends that wait (through the driver
     * nudge), so somebody always polls.
     *
     * @return false if no carrier (or not every share's carrier) waits here: then the driver
     *     thread must poll itself
     */
    public boolean enterTimersOnlyWait() {
        return false;
    }

    /** The driver thread's timers-only wait ended. */
    public void leaveTimersOnlyWait() {
    }

    /**
     * Looks without waiting for readiness, as {@link #pollNow()}, but first waits for the poll lock,
     * waking a parked carrier's wait: the paused clock's check that no readiness is pending.
     *
     * @return true if it dispatched events
     */
    public boolean pollNowWaiting() {
        return pollNow();
    }

    /** {@return "epoll" or "selector"} */
    public abstract String kind();

    /**
     * Closes the driver: waiters on its channels wake with an exception, later registrations fail.
     * The channels themselves stay open; their owners close them.
     */
    @Override
    public abstract void close();

    // ---- for IoSource ----

    /** A task is about to park for {@code ops} on {@code src}: make sure an event will come. */
    abstract void arm(IoSource src, int ops);

    /** {@return false if {@code src} can no longer report readiness} */
    abstract boolean isRegistered(IoSource src);

    /** Removes {@code src}, returning once no poller will touch its channel again. */
    abstract void deregister(IoSource src);

    /** {@return the driver's view of {@code src}, for toString} */
    abstract String describe(IoSource src);

    // ---- shared: the poll lock and the driver thread's wait ----

    /** {@return true if the poll lock was free and is now held} (never once closed) */
    final boolean tryLockPolling() {
        return !closed && polling.tryLock();
    }

    /** Takes the poll lock, spinning: its other holders only look (microseconds). */
    final void lockPolling() {
        polling.lock();
    }

    /**
     * Takes the poll lock, waking whoever holds it for a blocking wait, which the wake-up ends.
     *
     * @return false if the reactor closed meanwhile (the lock is not taken)
     */
    final boolean lockPollingWaking() {
        return polling.lockWaking(wakePipe, () -> closed);
    }

    /** Lets go of the poll lock, recording when this poll ended (for {@link #pollIfStale}). */
    final void unlockPolling() {
        polling.unlock();
    }

    /** {@return true if no poll has ended for {@code staleNanos}} */
    final boolean pollIsStale(long staleNanos) {
        return polling.isStale(staleNanos);
    }

    /** The driver thread enters ({@code true}) or leaves its blocking wait. */
    final void selecting(boolean on) {
        SELECTING.setVolatile(this, on);
    }

    /**
     * Ends the driver thread's blocking wait, if it is in one (at most once per wait: the flag is
     * cleared by the CAS that decides to wake).
     */
    final void wakeupIfSelecting() {
        if ((boolean) SELECTING.getVolatile(this) && SELECTING.compareAndSet(this, true, false)) {
            wakePipe.wake();
        }
    }

    /** {@return the poll state, for toString} */
    final String pollState() {
        return "selecting=" + selecting + ", polling=" + polling.isLocked() + ", wakePending=" + wakePipe.isPending();
    }

    // ---- shared: counters and errors ----

    final void countReady() {
        readyEvents.increment();
    }

    final void countRegistration() {
        registrations.increment();
    }

    final void countDeregistration() {
        deregistrations.increment();
    }

    /** {@return readiness events dispatched so far} */
    public final long readyCount() {
        return readyEvents.sum();
    }

    /** {@return channels registered so far} */
    public final long registeredCount() {
        return registrations.sum();
    }

    /** {@return channels deregistered so far} */
    public final long deregisteredCount() {
        return deregistrations.sum();
    }

    /** {@return true once closed} */
    public final boolean isClosed() {
        return closed;
    }

    private long lastFailureLog;

    /**
     * A poll threw: logs (at most once a second) and backs off briefly, so a broken descriptor
     * cannot spin a poller.
     *
     * @param what the call that failed, for the message
     * @param e what it threw
     */
    final void pollFailed(String what, IOException e) {
        long now = System.nanoTime();
        if (now - lastFailureLog > 1_000_000_000L) {
            lastFailureLog = now;
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, what + " failed in " + owner, e);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }

    /** {@return the exception an operation on a socket of a closed driver throws} */
    final IOException shutDown() {
        return new java.nio.channels.ClosedChannelException() {
            @Override
            public String getMessage() {
                return "the Weft runtime that owns this socket (" + owner + ") has shut down";
            }
        };
    }
}
