package io.weft.internal.reactor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.SelectableChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The Linux I/O driver: one epoll instance with every socket registered edge-triggered, as Tokio (mio)
 * does it.
 *
 * <pre>
 * Implementation overview
 *
 * Registration: once per socket, for both directions, edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP
 *   | EPOLLET). The kernel then reports every change of readiness, whether a task waits or not. So a
 *   task whose read would block clears the direction in its IoSource (a CAS that fails if an event
 *   came since it looked: then it retries) and parks, with no system call at all; the selector
 *   driver pays two epoll_ctl calls for the same wait (arm, then drop), the JDK's poller one (a
 *   one-shot re-arm). An event for a direction nobody waits on only sets a bit.
 *
 * Sources: a table indexed by file descriptor, written under a lock by register and deregister
 *   (once per socket each), read without one by pollers (an acquire load). Deregistering removes
 *   the descriptor from epoll with one epoll_ctl on the closing task's own thread, before the
 *   channel closes it. A poller may still hold events it read just before; if the descriptor's
 *   number is reused meanwhile, the new socket sees one spurious readiness, which the readiness
 *   protocol absorbs (its task retries the operation, which would block, and waits again). Only
 *   the source that holds a slot removes its descriptor, so a late second close of a socket whose
 *   number was reused leaves the new socket alone.
 *
 * Pollers: as in SelectorReactor, carriers without waiting and the driver thread with a timeout,
 *   one at a time (the `polling` try-lock, which also keeps the event array to one writer); or, with
 *   -Dweft.io.parkInPoller=last|any, a parked carrier instead of the driver thread (parkedPoll; it
 *   nudges the driver thread when it gives the role up). No interest changes wait for a poller, so
 *   a blocked epoll_wait never needs waking for them; it is woken (WakePipe: a byte down a pipe
 *   registered level-triggered, at most one pending) only for timers, for work for a parked
 *   carrier, and when a carrier wakes and should take polling back. Whoever waits re-checks its
 *   reason to wait once it holds the lock, since another poller may have drained the byte.
 *
 * Closing: close() takes the polling lock for good before it closes the epoll descriptor and frees
 *   the event array, so no poller can use either afterwards; register and deregister check `closed`
 *   under tableLock, which close() holds while it closes the descriptor, so no epoll_ctl reaches a
 *   closed (and perhaps reused) epoll descriptor.
 * </pre>
 */
final class EpollReactor extends Reactor {
    private static final VarHandle PARKED_POLLER;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(IoSource[].class);

    static {
        try {
            PARKED_POLLER = MethodHandles.lookup().findVarHandle(EpollReactor.class, "parkedPoller", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Events one poll takes at most (Tokio takes 1,024; a carrier's local queue holds 256). */
    private static final int MAX_EVENTS = 256;
    private static final int SOCKET_EVENTS = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
    private static final int READ_EVENTS = Epoll.EPOLLIN | Epoll.EPOLLRDHUP | Epoll.EPOLLHUP | Epoll.EPOLLERR;
    private static final int WRITE_EVENTS = Epoll.EPOLLOUT | Epoll.EPOLLHUP | Epoll.EPOLLERR;

    private final int epfd;
    /** The native event array; written only by the thread holding `polling`. */
    private final long events;
    private final int wakeFd;
    /** Sources by descriptor; written holding tableLock, read without it (acquire). */
    private volatile IoSource[] table = new IoSource[1024];
    private final Object tableLock = new Object();
    /** The carrier parked in this driver's wait, if any (see IoPoller#enterParkedPoll). */
    @SuppressWarnings("unused") private volatile Thread parkedPoller;

    EpollReactor(String owner) {
        super(owner, openWakePipe(owner));
        int fd = -1;
        long array = 0;
        try {
            fd = Epoll.create();
            array = Epoll.allocate(MAX_EVENTS);
            int wfd = Epoll.fdOf(wakePipe.source());
            int err = Epoll.ctl(fd, Epoll.CTL_ADD, wfd, Epoll.EPOLLIN); // level-triggered: drained on each event
            if (err != 0) {
                throw new IOException("epoll_ctl(ADD) of the wake pipe failed: errno " + err);
            }
            this.epfd = fd;
            this.events = array;
            this.wakeFd = wfd;
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd, array, wakePipe);
            throw new UncheckedIOException("cannot open an epoll driver for " + owner,
                e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static void closeQuietly(int fd, long array, WakePipe pipe) {
        try {
            if (fd >= 0) {
                Epoll.close(fd);
            }
        } catch (IOException ignored) {
            // failing anyway
        }
        if (array != 0) {
            Epoll.free(array);
        }
        if (pipe != null) {
            pipe.close();
        }
    }

    @Override
    public IoSource register(SelectableChannel ch) throws IOException {
        if (closed) {
            throw shutDown();
        }
        ch.configureBlocking(false);
        int fd = Epoll.fdOf(ch);
        IoSource src = new IoSource(this);
        src.fd = fd;
        int err;
        synchronized (tableLock) { // with close(): never an epoll_ctl on a closed (maybe reused) epfd
            if (closed) {
                throw shutDown();
            }
            put(fd, src);
            err = Epoll.ctl(epfd, Epoll.CTL_ADD, fd, SOCKET_EVENTS);
            if (err != 0) {
                remove(fd, src);
            }
        }
        if (err != 0) {
            throw new IOException("epoll_ctl(ADD) failed for " + ch + ": errno " + err);
        }
        if (closed) {
            // close() may have listed the sources before this one was added: it would never wake a waiter.
            src.shutdown();
        }
        countRegistration();
        return src;
    }

    /** Holding tableLock. */
    private void put(int fd, IoSource src) {
        IoSource[] t = table;
        if (fd >= t.length) {
            t = Arrays.copyOf(t, Math.max(fd + 1, t.length * 2));
            table = t;
        }
        SLOTS.setRelease(t, fd, src);
    }

    /** Holding tableLock; {@return true if {@code src} held the slot} */
    private boolean remove(int fd, IoSource src) {
        IoSource[] t = table;
        if (fd < t.length && t[fd] == src) {
            SLOTS.setRelease(t, fd, null);
            return true;
        }
        return false;
    }

    private IoSource lookup(int fd) {
        IoSource[] t = table;
        return fd >= 0 && fd < t.length ? (IoSource) SLOTS.getAcquire(t, fd) : null;
    }

    @Override
    void arm(IoSource src, int ops) {
        // Nothing to do: the edge-triggered registration reports the next change of readiness.
    }

    @Override
    boolean isRegistered(IoSource src) {
        return true; // until close, which marks the source shut down first
    }

    @Override
    void deregister(IoSource src) {
        synchronized (tableLock) {
            // Only the source that holds the slot removes the descriptor: a second close of the same
            // socket, after its descriptor was reused by a new one, must not take the new one out.
            if (closed || src.fd < 0 || !remove(src.fd, src)) {
                return;
            }
            Epoll.ctl(epfd, Epoll.CTL_DEL, src.fd, 0); // ENOENT or EBADF only if the channel already closed
        }
        countDeregistration();
    }

    @Override
    String describe(IoSource src) {
        return "fd=" + src.fd;
    }

    @Override
    public String kind() {
        return "epoll";
    }

    @Override
    public void poll(long timeoutNanos, java.util.function.BooleanSupplier stillIdle) {
        if (!tryLockPolling()) {
            // Closed, or a carrier's look (microseconds) or a parked carrier's wait (which covers
            // this one): return to the driver's loop, which decides again, rather than spin behind it.
            Thread.onSpinWait();
            return;
        }
        try {
            if (closed) {
                return; // closed between the check and the lock; close() waits for this unlock
            }
            if (timeoutNanos == 0) {
                waitLocked(0);
                return;
            }
            selecting(true);
            try {
                int ms = timeoutNanos < 0 ? -1
                    : (int) Math.min(Integer.MAX_VALUE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999)));
                waitLocked(stillIdle.getAsBoolean() ? ms : 0); // see Reactor.poll
            } finally {
                selecting(false);
            }
        } catch (IOException e) {
            pollFailed("epoll_wait", e);
        } finally {
            unlockPolling();
        }
    }

    @Override
    public boolean enterParkedPoll(Thread carrier) {
        return !closed && PARKED_POLLER.compareAndSet(this, null, carrier);
    }

    @Override
    public void leaveParkedPoll() {
        PARKED_POLLER.setVolatile(this, null);
        // The driver thread waits only for timers while a carrier holds the wait: it must decide
        // again (poll while carriers run, or take the idle wait), else nobody may be polling.
        driverNudge.run();
    }

    @Override
    public boolean hasParkedPoller() {
        return PARKED_POLLER.getVolatile(this) != null;
    }

    @Override
    public void wakeParkedPoller() {
        wakePipe.wake();
    }

    @Override
    public int parkedPoll(java.util.function.BooleanSupplier stillParked) {
        if (!lockPollingWaking()) {
            return -1;
        }
        try {
            if (closed) {
                return -1;
            }
            if (!stillParked.getAsBoolean()) {
                // Woken while another poller held the lock: its wait may have drained our wake byte.
                return waitLocked(0) ? 1 : 0;
            }
            return waitLocked(-1) ? 1 : 0;
        } catch (IOException e) {
            pollFailed("epoll_wait", e);
            return 0;
        } finally {
            unlockPolling();
        }
    }

    @Override
    public boolean pollNowWaiting() {
        return lockPollingWaking() && lookAndUnlock();
    }

    @Override
    public boolean pollNow() {
        return tryLockPolling() && lookAndUnlock();
    }

    /** Holding the poll lock: looks without waiting, then lets go of the lock; {@return true if a source was ready} */
    private boolean lookAndUnlock() {
        try {
            return !closed && waitLocked(0);
        } catch (IOException e) {
            pollFailed("epoll_wait", e);
            return false;
        } finally {
            unlockPolling();
        }
    }

    /** Holding the poll lock: one epoll_wait, then its events; {@return true if a source was ready} */
    private boolean waitLocked(int timeoutMillis) throws IOException {
        int n = Epoll.wait(epfd, events, MAX_EVENTS, timeoutMillis);
        boolean found = false;
        for (int i = 0; i < n; i++) {
            long ev = Epoll.event(events, i);
            int fd = Epoll.descriptor(ev);
            if (fd == wakeFd) {
                wakePipe.drain();
                continue;
            }
            IoSource src = lookup(fd);
            if (src == null) {
                continue; // deregistered after the kernel reported it
            }
            int e = Epoll.events(ev);
            int ops = 0;
            if ((e & READ_EVENTS) != 0) {
                ops |= IoSource.READ;
            }
            if ((e & WRITE_EVENTS) != 0) {
                ops |= IoSource.WRITE;
            }
            if ((e & (Epoll.EPOLLRDHUP | Epoll.EPOLLHUP)) != 0) {
                ops |= IoSource.READ_CLOSED;
            }
            if ((e & (Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) {
                ops |= IoSource.WRITE_CLOSED;
            }
            countReady();
            src.publish(ops);
            found = true;
        }
        return found;
    }

    @Override
    public void pollIfStale(long staleNanos) {
        if (pollIsStale(staleNanos)) {
            pollNow();
        }
    }

    @Override
    public void carrierWoke() {
        wakeupIfSelecting();
        Object p = PARKED_POLLER.getVolatile(this);
        if (p != null && p != Thread.currentThread()) {
            wakePipe.wake(); // the parked poller hands polling back to the awake carriers (see Carrier.parkInPoller)
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakePipe.wake(); // out of a blocking wait, if any
        lockPolling();
        // The poll lock is never released: nobody may use the descriptor or the array again.
        IoSource[] t;
        synchronized (tableLock) { // register and deregister check `closed` under it before epoll_ctl
            t = table;
            closeQuietly(epfd, events, wakePipe);
        }
        for (IoSource s : t) {
            if (s != null) {
                s.shutdown();
            }
        }
    }

    @Override
    public String toString() {
        return "Reactor[epoll, " + owner + (closed ? ", closed" : "") + ", " + pollState() + "]";
    }
}
