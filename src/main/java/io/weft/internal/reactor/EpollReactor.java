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
 *   -Dweft.io.parkInPoller=last|any, a parked carrier instead of the driver thread (parkedPoll; when
 *   it gives the role up it nudges the driver thread, if that thread waits for timers only). No interest changes wait for a poller, so
 *   a blocked epoll_wait never needs waking for them; it is woken (WakePipe: a byte down a pipe
 *   registered level-triggered, at most one pending) only for timers, for work for a parked
 *   carrier, and when a carrier wakes and should take polling back. Whoever waits re-checks its
 *   reason to wait once it holds the lock, since another poller may have drained the byte.
 *
 * Shards (-Dweft.io.shards=true, opt-in): each carrier gets an epoll set of its own (Shard: its
 *   set, event array, wake pipe, poll lock and parked poller), as each of Netty's event loops owns
 *   an epoll instance. Sockets go to the sets round robin; the table stays shared. A carrier that
 *   parks waits in its own set, all of them at once, so readiness wakes the carrier that owns the
 *   socket and its tasks wake into that carrier's queue; notifiers wake it through its set's wake
 *   pipe. Awake carriers look at their own set between tasks and, searching, at every set nobody
 *   holds. The driver thread waits for timers only while every carrier waits in its set
 *   (enterTimersOnlyWait: a carrier that leaves its wait nudges it, once); otherwise it looks at the
 *   sets whose carrier is busy if they are stale, and, when it must wait in epoll itself (paused
 *   time, where carriers do not wait in epoll), it waits in the driver's own set, which holds the
 *   shards' sets level-triggered, and looks into the one that is ready.
 *
 * Closing: close() takes the polling lock for good before it closes the epoll descriptor and frees
 *   the event array, so no poller can use either afterwards (with shards, every shard's lock too,
 *   waking its carrier's wait first); register and deregister check `closed` under tableLock,
 *   which close() holds while it closes the descriptors, so no epoll_ctl reaches a closed (and
 *   perhaps reused) epoll descriptor.
 * </pre>
 */
final class EpollReactor extends Reactor {
    private static final VarHandle PARKED_POLLER;
    private static final VarHandle TIMERS_ONLY;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(IoSource[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PARKED_POLLER = l.findVarHandle(EpollReactor.class, "parkedPoller", Thread.class);
            TIMERS_ONLY = l.findVarHandle(EpollReactor.class, "timersOnly", boolean.class);
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
    /**
     * The carriers' own epoll sets, or null when sockets live in {@link #epfd} itself. When sharded,
     * {@link #epfd} holds only the wake pipe and the shards' sets (level-triggered), for the driver
     * thread's wait while no carrier waits in its shard (paused time).
     */
    private final Shard[] shards;
    /** The next shard a registration goes to (round robin, as Netty assigns channels to loops). */
    private final java.util.concurrent.atomic.AtomicInteger nextShard = new java.util.concurrent.atomic.AtomicInteger();
    /** Sources by descriptor; written holding tableLock, read without it (acquire). */
    private volatile IoSource[] table = new IoSource[1024];
    private final Object tableLock = new Object();
    /** Unsharded: the carrier parked in this driver's wait, if any (see IoPoller#enterParkedPoll). */
    @SuppressWarnings("unused") private volatile Thread parkedPoller;
    /** Set while the driver thread waits for timers only; a poller that leaves its wait then nudges it. */
    @SuppressWarnings("unused") private volatile boolean timersOnly;

    /**
     * @param owner names the runtime
     * @param shards how many carriers wait in sets of their own (2 or more), or 1 for one shared set
     */
    EpollReactor(String owner, int shards) {
        super(owner, openWakePipe(owner));
        int fd = -1;
        long array = 0;
        Shard[] sets = shards > 1 ? new Shard[shards] : null;
        try {
            fd = Epoll.create();
            array = Epoll.allocate(MAX_EVENTS);
            int wfd = Epoll.fdOf(wakePipe.source());
            int err = Epoll.ctl(fd, Epoll.CTL_ADD, wfd, Epoll.EPOLLIN); // level-triggered: drained on each event
            if (err != 0) {
                throw new IOException("epoll_ctl(ADD) of the wake pipe failed: errno " + err);
            }
            for (int i = 0; sets != null && i < sets.length; i++) {
                sets[i] = new Shard(i);
                err = Epoll.ctl(fd, Epoll.CTL_ADD, sets[i].epfd, Epoll.EPOLLIN); // level-triggered
                if (err != 0) {
                    throw new IOException("epoll_ctl(ADD) of a shard's set failed: errno " + err);
                }
            }
            this.epfd = fd;
            this.events = array;
            this.wakeFd = wfd;
            this.shards = sets;
        } catch (IOException | RuntimeException e) {
            for (int i = 0; sets != null && i < sets.length && sets[i] != null; i++) {
                sets[i].release();
            }
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
        src.set = shards == null ? epfd
            : shards[Integer.remainderUnsigned(nextShard.getAndIncrement(), shards.length)].epfd;
        int err;
        synchronized (tableLock) { // with close(): never an epoll_ctl on a closed (maybe reused) epfd
            if (closed) {
                throw shutDown();
            }
            put(fd, src);
            err = Epoll.ctl(src.set, Epoll.CTL_ADD, fd, SOCKET_EVENTS);
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
            Epoll.ctl(src.set, Epoll.CTL_DEL, src.fd, 0); // ENOENT or EBADF only if the channel already closed
        }
        countDeregistration();
    }

    @Override
    String describe(IoSource src) {
        return "fd=" + src.fd + (shards == null ? "" : ", set=" + src.set);
    }

    @Override
    public String kind() {
        return "epoll";
    }

    /** {@return the number of carriers' sets (0 when unsharded)} (for tests) */
    int shardCount() {
        return shards == null ? 0 : shards.length;
    }

    /** {@return how many readiness events carrier {@code index}'s set has delivered} (for tests) */
    long shardReadyCount(int index) {
        return shards[index].readyCount();
    }

    /** Carriers' sets found ready by a wait in the driver's own set (paused time); for tests. */
    private volatile long masterLooks;

    /** {@return how many times a wait in the driver's own set found a carrier's set ready} (for tests) */
    long masterLookCount() {
        return masterLooks;
    }

    /** {@return the index of the carrier's set {@code src} is in, or -1 when unsharded} (for tests) */
    int shardOf(IoSource src) {
        Shard s = shards == null ? null : shardBySet(src.set);
        return s == null ? -1 : s.index;
    }

    @Override
    public boolean parksEveryCarrier() {
        return shards != null;
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

    // ---- the parked poller: one for the whole driver, or one per shard ----

    @Override
    public boolean enterParkedPoll(Thread carrier, int index) {
        if (closed) {
            return false;
        }
        if (shards == null) {
            return PARKED_POLLER.compareAndSet(this, null, carrier);
        }
        if (!shard(index).enterParked(carrier)) {
            return false;
        }
        if (allShardsParked()) {
            wakeupIfSelecting(); // the driver thread's wait in the shared set would double every wake-up
        }
        return true;
    }

    @Override
    public void leaveParkedPoll(int index) {
        if (shards == null) {
            PARKED_POLLER.setVolatile(this, null);
        } else {
            shard(index).leaveParked();
        }
        // The driver thread may wait for timers only, trusting parked carriers with I/O: it must
        // decide again (poll while carriers run, or take the idle wait), else nobody may be polling.
        // Only that wait is nudged, so a carrier that leaves its wait costs no system call otherwise.
        if ((boolean) TIMERS_ONLY.getVolatile(this) && TIMERS_ONLY.compareAndSet(this, true, false)) {
            driverNudge.run();
        }
    }

    @Override
    public boolean enterTimersOnlyWait() {
        TIMERS_ONLY.setVolatile(this, true);
        // Dekker with leaveParkedPoll: it clears its poller, then reads the flag; this sets the flag,
        // then reads the pollers. One of the two sees the other's write.
        if (shards == null ? PARKED_POLLER.getVolatile(this) != null : allShardsParked()) {
            return true;
        }
        TIMERS_ONLY.setVolatile(this, false);
        return false;
    }

    @Override
    public void leaveTimersOnlyWait() {
        TIMERS_ONLY.setVolatile(this, false);
    }

    @Override
    public boolean hasParkedPoller() {
        return shards == null ? PARKED_POLLER.getVolatile(this) != null : allShardsParked();
    }

    private boolean allShardsParked() {
        for (Shard s : shards) {
            if (s.parkedPoller() == null) {
                return false;
            }
        }
        return true;
    }

    private Shard shard(int index) {
        return shards[Math.floorMod(index, shards.length)];
    }

    @Override
    public void wakeParkedPoller(int index) {
        if (shards == null) {
            wakePipe.wake();
        } else {
            shard(index).wake.wake();
        }
    }

    @Override
    public int parkedPoll(int index, java.util.function.BooleanSupplier stillParked) {
        if (shards != null) {
            return shard(index).parkedPoll(stillParked);
        }
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

    // ---- looks without waiting ----

    @Override
    public boolean pollNowWaiting() {
        if (shards == null) {
            return lockPollingWaking() && lookAndUnlock();
        }
        boolean found = false;
        for (Shard s : shards) {
            found |= s.lookWaiting();
        }
        return found;
    }

    @Override
    public boolean pollNow() {
        if (shards == null) {
            return tryLockPolling() && lookAndUnlock();
        }
        return pollAny(0);
    }

    @Override
    public boolean pollNow(int index) {
        return shards == null ? pollNow() : shard(index).look();
    }

    @Override
    public boolean pollAny(int index) {
        if (shards == null) {
            return pollNow();
        }
        boolean found = false;
        for (int i = 0; i < shards.length; i++) {
            found |= shard(index + i).look();
        }
        return found;
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

    /** Holding the poll lock: one epoll_wait on the driver's own set, then its events. */
    private boolean waitLocked(int timeoutMillis) throws IOException {
        return waitLocked(epfd, events, wakeFd, wakePipe, timeoutMillis) > 0;
    }

    /**
     * Holding the lock of {@code set}: one epoll_wait, then its events.
     *
     * @return how many sources were ready (for the driver's own set when sharded: how many of the
     *     carriers' sets it found ready and looked into)
     */
    private int waitLocked(int set, long array, int wfd, WakePipe pipe, int timeoutMillis) throws IOException {
        int n = Epoll.wait(set, array, MAX_EVENTS, timeoutMillis);
        int found = 0;
        for (int i = 0; i < n; i++) {
            long ev = Epoll.event(array, i);
            int fd = Epoll.descriptor(ev);
            if (fd == wfd) {
                pipe.drain();
                continue;
            }
            if (shards != null && set == epfd) {
                // The shared set holds the shards' sets, not sockets: look into the one that is ready.
                Shard s = shardBySet(fd);
                if (s != null && s.look()) {
                    found++;
                    masterLooks++; // under the driver's own poll lock, the only one that waits here
                }
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
            found++;
        }
        return found;
    }

    private Shard shardBySet(int set) {
        for (Shard s : shards) {
            if (s.epfd == set) {
                return s;
            }
        }
        return null;
    }

    @Override
    public void pollIfStale(long staleNanos) {
        if (shards == null) {
            if (pollIsStale(staleNanos)) {
                pollNow();
            }
            return;
        }
        for (Shard s : shards) {
            // A shard whose carrier waits in it needs nobody else; one whose carrier is busy in a
            // long task gets a look from the driver thread.
            if (s.parkedPoller() == null && s.isStale(staleNanos)) {
                s.look();
            }
        }
    }

    @Override
    public void carrierWoke() {
        wakeupIfSelecting();
        if (shards != null) {
            return; // each carrier waits in its own set: a sibling's wait stays where it is
        }
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
        // The poll locks are never released: nobody may use the descriptors or the arrays again.
        if (shards != null) {
            for (Shard s : shards) {
                s.lockForClose();
            }
        }
        IoSource[] t;
        synchronized (tableLock) { // register and deregister check `closed` under it before epoll_ctl
            t = table;
            if (shards != null) {
                for (Shard s : shards) {
                    s.release();
                }
            }
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
        return "Reactor[epoll, " + owner + (closed ? ", closed" : "")
            + (shards == null ? "" : ", " + shards.length + " shards") + ", " + pollState() + "]";
    }

    /**
     * One carrier's epoll set: its share of the sockets, its own wake pipe, poll lock and parked
     * poller (Netty's event loop, each with its own epoll). The carrier waits here when it parks,
     * so readiness wakes it directly, and its tasks wake into its own queue. Other threads only
     * look, with a try-lock: a searching sibling, and the driver thread when the carrier has not
     * looked for a while (a long task).
     */
    private final class Shard {
        private static final VarHandle PARKED;
        private static final VarHandle READY;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                PARKED = l.findVarHandle(Shard.class, "parked", Thread.class);
                READY = l.findVarHandle(Shard.class, "ready", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final int index;
        final int epfd;
        /** Written only by the thread holding `polling`. */
        final long events;
        final WakePipe wake;
        final int wakeFd;
        private final PollLock polling = new PollLock();
        @SuppressWarnings("unused") private volatile Thread parked;
        /** Readiness events this set delivered; written by the lock's holder (see {@link #readyCount}). */
        @SuppressWarnings("unused") private long ready;

        Shard(int index) throws IOException {
            this.index = index;
            WakePipe pipe = new WakePipe();
            int fd = -1;
            long array = 0;
            try {
                fd = Epoll.create();
                array = Epoll.allocate(MAX_EVENTS);
                int wfd = Epoll.fdOf(pipe.source());
                int err = Epoll.ctl(fd, Epoll.CTL_ADD, wfd, Epoll.EPOLLIN);
                if (err != 0) {
                    throw new IOException("epoll_ctl(ADD) of a shard's wake pipe failed: errno " + err);
                }
                this.wakeFd = wfd;
            } catch (IOException | RuntimeException e) {
                closeQuietly(fd, array, pipe);
                throw e;
            }
            this.epfd = fd;
            this.events = array;
            this.wake = pipe;
        }

        Thread parkedPoller() {
            return (Thread) PARKED.getVolatile(this);
        }

        boolean enterParked(Thread carrier) {
            return PARKED.compareAndSet(this, null, carrier);
        }

        void leaveParked() {
            PARKED.setVolatile(this, null);
        }

        boolean isStale(long staleNanos) {
            return polling.isStale(staleNanos);
        }

        private boolean tryLock() {
            return !closed && polling.tryLock();
        }

        /** As Reactor#lockPollingWaking: wakes a holder's blocking wait; false once closed. */
        private boolean lockWaking() {
            return polling.lockWaking(wake, () -> closed);
        }

        private void unlock() {
            polling.unlock();
        }

        void lockForClose() {
            wake.wake(); // the parked carrier's wait returns, sees `closed` and lets go
            polling.lock();
        }

        /** Under close(): frees the set. */
        void release() {
            closeQuietly(epfd, events, wake);
        }

        /** Looks without waiting, unless someone else holds the set; {@return true if a source was ready} */
        boolean look() {
            return tryLock() && lookAndUnlock();
        }

        /** Looks without waiting, taking the lock from a parked carrier's wait if need be. */
        boolean lookWaiting() {
            return lockWaking() && lookAndUnlock();
        }

        private boolean lookAndUnlock() {
            try {
                return !closed && waitHere(0);
            } catch (IOException e) {
                pollFailed("epoll_wait", e);
                return false;
            } finally {
                unlock();
            }
        }

        /** Holding this set's lock: one epoll_wait on it, then its events; {@return true if a source was ready} */
        private boolean waitHere(int timeoutMillis) throws IOException {
            int n = waitLocked(epfd, events, wakeFd, wake, timeoutMillis);
            if (n == 0) {
                return false;
            }
            READY.setOpaque(this, (long) READY.getOpaque(this) + n); // only the lock's holder writes
            return true;
        }

        /** {@return how many readiness events this set has delivered} (for tests) */
        long readyCount() {
            return (long) READY.getOpaque(this);
        }

        /** The carrier's wait; see IoPoller#parkedPoll. */
        int parkedPoll(java.util.function.BooleanSupplier stillParked) {
            if (!lockWaking()) {
                return -1;
            }
            try {
                if (closed) {
                    return -1;
                }
                if (!stillParked.getAsBoolean()) {
                    // Woken while another poller held the lock: its look may have drained our wake byte.
                    return waitHere(0) ? 1 : 0;
                }
                return waitHere(-1) ? 1 : 0;
            } catch (IOException e) {
                pollFailed("epoll_wait", e);
                return 0;
            } finally {
                unlock();
            }
        }
    }
}
