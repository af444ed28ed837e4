package io.weft.internal.reactor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

/**
 * The portable I/O driver: one NIO {@link Selector} and the readiness of every channel registered on it.
 * Used where {@link EpollReactor} is not (other systems, or {@code sun.nio.ch} not reachable).
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
 * Locks: tasks never take the selector's internal monitors; only pollers (platform threads) do.
 *   A waiting task queues its interest on `armed` (a JCTools MPSC queue), a closing task queues its
 *   source on `cancels` and parks until a poller has cancelled the key and run the selectNow that
 *   drops it (only then does the JDK close a registered channel's socket), and wake-ups go through a
 *   pipe registered with the selector instead of Selector.wakeup(). Two earlier versions let tasks
 *   call interestOpsOr and wakeup() themselves; under 500 connections a poller blocked for good on
 *   the selector's update lock, and then on its interrupt lock, with the tasks contending for the same
 *   monitor unmounted and no owner in sight (JDK 25, on Weft's carriers and on the default scheduler).

 * Readiness (see IoSource): the selector is level-triggered, so a channel's interest in a direction is
 *   armed only while a task waits for it. When select reports a key ready, the driver removes the
 *   ready operations from the key's interest (else every select would report it again until the task
 *   ran), records them in the source's readiness word and unparks the waiting thread, which retries
 *   its non-blocking operation. A wait arms interest again only after the operation would block.
 *
 * Wake-up race (Netty's): an interest change made while the driver is blocked in select is applied
 *   only at the next select. A waiter queues its change on `armed`, then reads `selecting`; the
 *   driver writes `selecting`, then drains `armed`, then selects, with no other select in between
 *   (one would drain the wake pipe and swallow a wake-up meant for the blocking select).
 *   The wake pipe holds at most one byte (`wakePending`); the poller clears the flag after draining,
 *   so a waker that still sees it set has queued its request before the poller's next pass. Either the waiter sees `selecting` and wakes the selector (at most
 *   once per select: the flag is cleared by the CAS that decides to wake), or the driver's select
 *   starts after the change was queued and applies it. Wake-ups for timers are not gated: the time
 *   driver gates those itself, and a wakeup() before select makes that select return at once.
 *
 * Memory ordering: readiness and waiter fields are volatile (see IoSource); `selecting` is a volatile
 *   boolean changed by CAS.
 * </pre>
 */
final class SelectorReactor extends Reactor {
    private final Selector selector;
    /**
     * Attached to the wake pipe's key. The pipe wakes a blocked select without
     * {@link Selector#wakeup()}, whose monitor tasks must not contend for (see Locks in the overview).
     */
    private static final Object WAKE = new Object();
    /** Sources being closed: the poller cancels their keys and lets the selector drop them. */
    private final org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<IoSource> cancels =
        new org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<>(64);
    /** Sources whose waiters asked for interest; drained by whoever polls, before each select. */
    private final org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<IoSource> armed =
        new org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue<>(256);

    /**
     * Opens a reactor.
     *
     * @param owner names the runtime, for error messages
     */
    SelectorReactor(String owner) {
        super(owner, openWakePipe(owner));
        try {
            this.selector = Selector.open();
            wakePipe.source().register(selector, SelectionKey.OP_READ, WAKE);
        } catch (IOException e) {
            wakePipe.close();
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
    @Override
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
        countRegistration();
        return src;
    }

    /**
     * Waits up to {@code timeoutNanos} for readiness and dispatches what is ready: the driver thread's
     * wait while every carrier is parked.
     *
     * @param timeoutNanos how long: negative for no limit, 0 to only look
     */
    @Override
    public void poll(long timeoutNanos, java.util.function.BooleanSupplier stillIdle) {
        // Keys are listed by close() on this same thread (the driver's), after its last poll.
        if (closed) {
            return;
        }
        lockPolling(); // behind a carrier's selectNow: microseconds
        try {
            if (timeoutNanos == 0) {
                selectNowLocked();
                return;
            }
            // Cancels first: their selectNow may consume a wake byte, which is harmless only before
            // SELECTING is set. After it, nothing may select until the blocking select below, or a
            // wake meant for that select (from an arm that came after applyArmed) would be lost.
            applyCancels();
            selecting(true);
            try {
                applyArmed(); // after SELECTING: an arm that missed the flag is in the queue by now
                if (!stillIdle.getAsBoolean()) {
                    selector.selectNow(this::dispatch); // see Reactor.poll: a wake-up may have been drained
                } else if (timeoutNanos < 0) {
                    selector.select(this::dispatch);
                } else {
                    long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
                    selector.select(this::dispatch, ms);
                }
            } finally {
                selecting(false);
            }
        } catch (ClosedSelectorException e) {
            // closed under us by shutdown: nothing left to dispatch
        } catch (IOException e) {
            pollFailed("select", e);
        } finally {
            unlockPolling();
        }
    }

    /**
     * A carrier's poll: looks at the selector without waiting, unless another thread is in a select.
     * Readiness it dispatches wakes tasks into the calling carrier's local queue.
     *
     * @return true if it dispatched events
     */
    @Override
    public boolean pollNow() {
        if (!tryLockPolling()) {
            return false;
        }
        try {
            return selectNowLocked();
        } catch (ClosedSelectorException e) {
            return false;
        } catch (IOException e) {
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, "selector failed in " + owner, e);
            return false;
        } finally {
            unlockPolling();
        }
    }

    /** Holding the poll lock: applies queued interest and closes, then looks without waiting. */
    private boolean selectNowLocked() throws IOException {
        applyArmed();
        applyCancels();
        return selector.selectNow(this::dispatch) > 0;
    }

    /**
     * The driver thread's poll while carriers run: if nobody has looked at the selector for
     * {@code staleNanos} (carriers stuck in long tasks), look now.
     *
     * @param staleNanos how old the last poll may be
     */
    @Override
    public void pollIfStale(long staleNanos) {
        if (!cancels.isEmpty() || pollIsStale(staleNanos)) {
            pollNow();
        }
    }

    @Override
    public void carrierWoke() {
        wakeupIfSelecting();
    }

    private void dispatch(SelectionKey k) {
        if (k.attachment() == WAKE) {
            // A waker that finds a byte still pending queued its request before the drain, so the
            // poller's next pass (which comes after it) sees the request.
            wakePipe.drain();
            return;
        }
        if (k.attachment() instanceof IoSource src) {
            countReady();
            src.onReady(k);
        }
    }

    /**
     * Asks the next poller to cancel {@code src}'s key and let the selector drop it (see
     * {@link IoSource#close()}); the poller then calls {@link IoSource#deregistered()}.
     *
     * @param src the source being closed
     */
    void cancel(IoSource src) {
        cancels.offer(src);
        wakePipe.wake();
        driverNudge.run();
    }

    /**
     * Poller, before its select: cancels the keys of closing sources and runs a selectNow, which drops
     * them from the selector (the JDK closes a registered channel's socket only then), and tells their
     * closers.
     */
    private void applyCancels() throws IOException {
        if (cancels.isEmpty()) {
            return;
        }
        java.util.List<IoSource> done = new java.util.ArrayList<>();
        IoSource s;
        while ((s = cancels.poll()) != null) {
            s.key.cancel();
            done.add(s);
        }
        // Leave the wake pipe alone here: draining it now could swallow the wake of a close queued
        // after the poll above, and a blocking select would then start without seeing it. Left
        // undrained, the byte makes the next select return at once, and that pass takes the close.
        selector.selectNow(k -> {
            if (k.attachment() != WAKE) {
                dispatch(k);
            }
        });
        for (IoSource d : done) {
            countDeregistration();
            d.deregistered();
        }
    }

    @Override
    void arm(IoSource src, int ops) {
        if (src.addPendingInterest(ops) == 0) {
            armed.offer(src); // queued once until a poller takes it
        }
        wakeupIfSelecting();
    }

    @Override
    boolean isRegistered(IoSource src) {
        return src.key.isValid();
    }

    @Override
    void deregister(IoSource src) {
        if (closed) {
            return; // its selector is closed: every key is gone already
        }
        src.closer = Thread.currentThread();
        cancel(src);
        boolean interrupted = false;
        while (!src.deregistered && !closed) {
            java.util.concurrent.locks.LockSupport.park(src);
            if (Thread.interrupted()) {
                interrupted = true; // finish closing: a half-closed socket helps nobody
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    String describe(IoSource src) {
        int interest;
        try {
            interest = src.key.interestOps();
        } catch (RuntimeException e) {
            interest = -1;
        }
        return "pendingInterest=" + src.pendingInterest() + ", keyInterest=" + interest;
    }

    @Override
    public String kind() {
        return "selector";
    }

    /** Poller: applies queued interest (the selector's own locks are only ever taken by pollers). */
    private void applyArmed() {
        IoSource s;
        while ((s = armed.poll()) != null) {
            s.applyInterest();
        }
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
        IoSource c;
        while ((c = cancels.poll()) != null) {
            c.deregistered(); // the selector closes below, dropping every key
        }
        wakePipe.close();
        try {
            selector.close();
        } catch (IOException e) {
            System.getLogger("io.weft").log(System.Logger.Level.WARNING, "closing the selector of " + owner, e);
        }
    }

    @Override
    public String toString() {
        return "Reactor[selector, " + owner + (closed ? ", closed" : "") + ", " + pollState()
            + ", armed=" + armed.size() + ", cancels=" + cancels.size() + "]";
    }
}
