package io.weft.internal.reactor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A runtime's I/O driver: one NIO {@link Selector} and the readiness of every channel registered on it.
 *
 * <pre>
 * Implementation overview
 *
 * Who polls: the carriers, while any is awake, and the runtime's driver thread (which also owns the
 *   timer wheel) while every carrier is parked. A carrier polls without waiting (selectNow) when it
 *   runs out of tasks and every eventInterval ticks; a task it wakes goes to that carrier's own queue,
 *   with no hop through another thread (Tokio's driver-in-worker locality). When the last carrier
 *   parks, the driver thread waits in select with the wheel's next deadline as its timeout, so one
 *   thread, not two, waits for both; the first carrier to wake makes it leave select and hand
 *   polling back. While carriers run but nobody has polled for a millisecond (they are all in long
 *   tasks), the driver thread polls once itself. A try-lock (`polling`) keeps one poller at a time.
 *
 * Locks: only pollers (platform threads) touch the selector's internal monitors. A task that waits
 *   queues its interest on `armed` (a JCTools MPSC queue) and the next poller applies it before its
 *   select. Letting tasks call interestOpsOr themselves deadlocked here: a carrier inside selectNow
 *   blocked on the selector's update lock, while the tasks contending for it sat unmounted, and the
 *   carrier that would have run them was the blocked one.

 * Readiness (see IoSource): the selector is level-triggered, so a channel's interest in a direction is
 *   armed only while a task waits for it. When select reports a key ready, the driver removes the
 *   ready operations from the key's interest (else every select would report it again until the task
 *   ran), records them in the source's readiness word and unparks the waiting thread, which retries
 *   its non-blocking operation. A wait arms interest again only after the operation would block.
 *
 * Wake-up race (Netty's): an interest change made while the driver is blocked in select is applied
 *   only at the next select. A waiter queues its change on `armed`, then reads `selecting`; the
 *   driver writes `selecting`, then drains `armed`, then selects. Either the waiter sees `selecting` and wakes the selector (at most
 *   once per select: the flag is cleared by the CAS that decides to wake), or the driver's select
 *   starts after the change was queued and applies it. Wake-ups for timers are not gated: the time
 *   driver gates those itself, and a wakeup() before select makes that select return at once.
 *
 * Memory ordering: readiness and waiter fields are volatile (see IoSource); `selecting` is a volatile
 *   boolean changed by CAS.
 * </pre>
 */
public final class Reactor implements AutoCloseable, io.weft.internal.scheduler.IoPoller {
    private static final VarHandle SELECTING;
    private static final VarHandle POLLING;

    static {
        try {
            SELECTING = MethodHandles.lookup().findVarHandle(Reactor.class, "selecting", boolean.class);
            POLLING = MethodHandles.lookup().findVarHandle(Reactor.class, "polling", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Selector selector;
    /** Sources whose waiters asked for interest; drained by whoever polls, before each select. */
    private final org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<IoSource> armed =
        new org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<>(256);
    private final String owner;
    @SuppressWarnings("unused") private volatile boolean selecting;
    /** Held by whoever is inside a select: a Selector lets one thread select at a time. */
    @SuppressWarnings("unused") private volatile boolean polling;
    /** When a select last returned (System.nanoTime), opaque. */
    @SuppressWarnings("unused") private long lastPoll;
    private static final VarHandle LAST_POLL;

    static {
        try {
            LAST_POLL = MethodHandles.lookup().findVarHandle(Reactor.class, "lastPoll", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private volatile boolean closed;
    private final LongAdder readyEvents = new LongAdder();
    private final LongAdder registrations = new LongAdder();

    /**
     * Opens a reactor.
     *
     * @param owner names the runtime, for error messages
     */
    public Reactor(String owner) {
        this.owner = owner;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector for " + owner, e);
        }
    }

    /**
     * Registers a channel, putting it in non-blocking mode.
     *
     * @param ch the channel, not registered with this reactor before
     * @return its readiness
     * @throws IOException if the channel is closed or this reactor is
     */
    public IoSource register(SelectableChannel ch) throws IOException {
        if (closed) {
            throw shutDown();
        }
        ch.configureBlocking(false);
        IoSource src = new IoSource(this);
        try {
            src.key = ch.register(selector, 0, src);
        } catch (ClosedSelectorException e) {
            throw shutDown();
        }
        if (closed) {
            // close() may have listed the keys before this one was added: it would never wake a waiter.
            src.shutdown();
        }
        registrations.increment();
        return src;
    }

    IOException shutDown() {
        return new java.nio.channels.ClosedChannelException() {
            @Override
            public String getMessage() {
                return "the Weft runtime that owns this socket (" + owner + ") has shut down";
            }
        };
    }

    /**
     * Waits up to {@code timeoutNanos} for readiness and dispatches what is ready: the driver thread's
     * wait while every carrier is parked.
     *
     * @param timeoutNanos how long: negative for no limit, 0 to only look
     */
    public void poll(long timeoutNanos) {
        // Keys are listed by close() on this same thread (the driver's), after its last poll.
        if (closed) {
            return;
        }
        while (!POLLING.compareAndSet(this, false, true)) {
            Thread.onSpinWait(); // a carrier's selectNow: microseconds
        }
        try {
            if (timeoutNanos == 0) {
                applyArmed();
                selector.selectNow(this::dispatch);
                return;
            }
            SELECTING.setVolatile(this, true);
            try {
                applyArmed(); // after SELECTING: an arm that missed the flag is in the queue by now
                if (timeoutNanos < 0) {
                    selector.select(this::dispatch);
                } else {
                    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
                    selector.select(this::dispatch, ms);
                }
            } finally {
                SELECTING.setVolatile(this, false);
            }
        } catch (ClosedSelectorException e) {
            // closed under us by shutdown: nothing left to dispatch
        } catch (IOException e) {
            selectFailed(e);
        } finally {
            LAST_POLL.setOpaque(this, System.nanoTime());
            POLLING.setRelease(this, false);
        }
    }

    private long lastFailureLog;

    /** A select threw: log (at most once a second) and back off briefly, so a broken selector cannot spin the driver. */
    private void selectFailed(IOException e) {
        long now = System.nanoTime();
        if (now - lastFailureLog > 1_000_000_000L) {
            lastFailureLog = now;
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, "selector failed in " + owner, e);
        }
        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }

    /**
     * A carrier's poll: looks at the selector without waiting, unless another thread is in a select.
     * Readiness it dispatches wakes tasks into the calling carrier's local queue.
     *
     * @return true if it dispatched events
     */
    @Override
    public boolean pollNow() {
        if (closed || (boolean) POLLING.getOpaque(this) || !POLLING.compareAndSet(this, false, true)) {
            return false;
        }
        try {
            applyArmed();
            return selector.selectNow(this::dispatch) > 0;
        } catch (ClosedSelectorException e) {
            return false;
        } catch (IOException e) {
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, "selector failed in " + owner, e);
            return false;
        } finally {
            LAST_POLL.setOpaque(this, System.nanoTime());
            POLLING.setRelease(this, false);
        }
    }

    /**
     * The driver thread's poll while carriers run: if nobody has looked at the selector for
     * {@code staleNanos} (carriers stuck in long tasks), look now.
     *
     * @param staleNanos how old the last poll may be
     */
    public void pollIfStale(long staleNanos) {
        if (System.nanoTime() - (long) LAST_POLL.getOpaque(this) >= staleNanos) {
            pollNow();
        }
    }

    @Override
    public void carrierWoke() {
        wakeupIfSelecting();
    }

    private void dispatch(SelectionKey k) {
        if (k.attachment() instanceof IoSource src) {
            readyEvents.increment();
            src.onReady(k);
        }
    }

    /**
     * Returns once no select holds a cancelled key: the JDK closes a registered channel's socket only
     * when a select deregisters its key, so without this a closed listener would go on accepting
     * connections (and hold its port) until the next poll, which may be far off when the runtime is
     * busy. Takes the poll lock and runs a selectNow, which deregisters every cancelled key; if another
     * thread is polling, wakes it and retries.
     */
    void deregister() {
        if (closed) {
            return;
        }
        while (!POLLING.compareAndSet(this, false, true)) {
            if (closed) {
                return;
            }
            selector.wakeup();
            Thread.yield();
        }
        try {
            applyArmed();
            selector.selectNow(this::dispatch);
        } catch (ClosedSelectorException ignored) {
            // the reactor closed meanwhile: the channel is deregistered with it
        } catch (IOException e) {
            System.getLogger("io.weft").log(System.Logger.Level.WARNING, "selector failed in " + owner, e);
        } finally {
            POLLING.setRelease(this, false);
        }
    }

    /** Queues {@code src}'s new interest for the next poller, waking a blocked select. */
    void arm(IoSource src) {
        armed.offer(src);
        wakeupIfSelecting();
    }

    /** Poller: applies queued interest (the selector's own locks are only ever taken by pollers). */
    private void applyArmed() {
        IoSource s;
        while ((s = armed.poll()) != null) {
            s.applyInterest();
        }
    }

    /** Applies a queued interest change now if the driver is blocked in select (see overview). */
    void wakeupIfSelecting() {
        if ((boolean) SELECTING.getVolatile(this) && SELECTING.compareAndSet(this, true, false)) {
            selector.wakeup();
        }
    }

    /** Makes the current or next select return at once (the time driver's wake-up). */
    public void wakeup() {
        selector.wakeup();
    }

    /** {@return readiness events dispatched so far} */
    public long readyCount() {
        return readyEvents.sum();
    }

    /** {@return channels registered so far} */
    public long registeredCount() {
        return registrations.sum();
    }

    /** {@return true once closed} */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the selector: waiters on its channels wake with an exception, later registrations fail.
     * The channels themselves stay open; their owners close them.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        java.util.List<IoSource> sources = new java.util.ArrayList<>();
        try {
            for (SelectionKey k : selector.keys()) {
                if (k.attachment() instanceof IoSource s) {
                    sources.add(s);
                }
            }
        } catch (ClosedSelectorException ignored) {
            // already closed: nothing to wake
        }
        for (IoSource s : sources) {
            s.shutdown();
        }
        try {
            selector.close();
        } catch (IOException e) {
            System.getLogger("io.weft").log(System.Logger.Level.WARNING, "closing the selector of " + owner, e);
        }
    }

    @Override
    public String toString() {
        return "Reactor[" + owner + (closed ? ", closed" : "") + "]";
    }
}
