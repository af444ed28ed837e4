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
 * Who polls: the runtime's driver thread, which also owns the timer wheel (TimeDriver). It calls
 *   poll(timeout) where it used to park, with the wheel's next deadline as the select timeout, so one
 *   thread, not two, waits for both; timer registrations that need an earlier wake-up call
 *   selector.wakeup() instead of unparking it.
 *
 * Readiness (see IoSource): the selector is level-triggered, so a channel's interest in a direction is
 *   armed only while a task waits for it. When select reports a key ready, the driver removes the
 *   ready operations from the key's interest (else every select would report it again until the task
 *   ran), records them in the source's readiness word and unparks the waiting thread, which retries
 *   its non-blocking operation. A wait arms interest again only after the operation would block.
 *
 * Wake-up race (Netty's): an interest change made while the driver is blocked in select is applied
 *   only at the next select. A waiter queues its change (interestOpsOr, under the selector's update
 *   lock), then reads `selecting`; the driver writes `selecting` before select, which drains the
 *   update queue before it blocks. Either the waiter sees `selecting` and wakes the selector (at most
 *   once per select: the flag is cleared by the CAS that decides to wake), or the driver's select
 *   starts after the change was queued and applies it. Wake-ups for timers are not gated: the time
 *   driver gates those itself, and a wakeup() before select makes that select return at once.
 *
 * Memory ordering: readiness and waiter fields are volatile (see IoSource); `selecting` is a volatile
 *   boolean changed by CAS.
 * </pre>
 */
public final class Reactor implements AutoCloseable {
    private static final VarHandle SELECTING;

    static {
        try {
            SELECTING = MethodHandles.lookup().findVarHandle(Reactor.class, "selecting", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Selector selector;
    private final String owner;
    @SuppressWarnings("unused") private volatile boolean selecting;
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
     * Waits up to {@code timeoutNanos} for readiness and dispatches what is ready. Driver thread only.
     *
     * @param timeoutNanos how long: negative for no limit, 0 to only look
     */
    public void poll(long timeoutNanos) {
        if (closed) {
            return;
        }
        try {
            if (timeoutNanos == 0) {
                selector.selectNow(this::dispatch);
                return;
            }
            SELECTING.setVolatile(this, true);
            try {
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
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, "selector failed in " + owner, e);
        }
    }

    private void dispatch(SelectionKey k) {
        if (k.attachment() instanceof IoSource src) {
            readyEvents.increment();
            src.onReady(k);
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
        } catch (ClosedSelectorException | java.util.ConcurrentModificationException ignored) {
            // racing with a registration: those fail with shutDown() instead
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
