package io.weft.internal.reactor;

import io.weft.internal.sync.Waits;
import io.weft.internal.time.Sleeps;
import io.weft.internal.time.TimeDriver;
import io.weft.internal.time.TimerEntry;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.util.concurrent.locks.LockSupport;

/**
 * The readiness of one registered channel, and the (at most one per direction) thread waiting for it.
 * Tokio's {@code ScheduledIo}.
 *
 * <pre>
 * Implementation overview
 *
 * Readiness word: bits 0..5 are SelectionKey operations the driver saw ready and nobody has consumed
 *   yet, bits 6 and 7 READ_CLOSED and WRITE_CLOSED (epoll only, sticky), bit 8 is SHUTDOWN (the
 *   socket or the reactor closed), bits 9.. a sequence number the driver bumps on every event. A task
 *   (1) reads the word, (2) tries its non-blocking operation, (3) if that would block, clears the
 *   direction's bits with a CAS against the word it read: if the CAS fails, an event came in
 *   between, so it retries the operation instead of waiting for an event that has already happened
 *   (Tokio's tick check). Only then does it (4) publish itself as the direction's waiter, (5) ask the
 *   driver for an event (the selector arms interest; epoll's edge-triggered registration needs
 *   nothing), (6) park until the bits come back.
 *
 * Edge-triggered (epoll): the word is the whole truth, so a task may skip step 2 when its bits are
 *   clear (knownNotReady), and a short read or write clears them (exhausted), as Tokio does. The
 *   closed bits never clear: a peer's FIN that came with the last bytes produces no later edge, and
 *   the task must try its read (and see end of stream) rather than wait for one. They are not
 *   counted as readiness by a wait, so a socket that keeps failing EAGAIN cannot spin.
 *
 * Directions: READ covers OP_READ and OP_ACCEPT, WRITE covers OP_WRITE and OP_CONNECT; each has one
 *   waiter slot, and the socket types serialise waiters per direction with a lock, so one read and
 *   one write can wait at once (split halves), never two reads.
 *
 * Memory ordering: a waiter writes its slot (volatile), then reads the word (volatile); the driver
 *   CASes the word, then reads the slot. Of the two, at least one sees the other's write: no lost
 *   wake-up. The selector driver removes ready operations from the key's interest before it
 *   publishes them, so a waiter's later re-arm (which happens after it saw the publication) is never
 *   undone.
 * </pre>
 */
public final class IoSource {
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(IoSource.class, "word", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Operations that wake the read-side waiter. */
    public static final int READ = SelectionKey.OP_READ | SelectionKey.OP_ACCEPT;
    /** Operations that wake the write-side waiter. */
    public static final int WRITE = SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT;
    /**
     * The peer closed its side, or the connection ended (epoll's RDHUP, HUP): sticky, never
     * cleared, so a task never waits for an edge that has already passed.
     */
    public static final int READ_CLOSED = 1 << 6;
    /** The connection ended or failed (epoll's HUP, ERR): sticky, as {@link #READ_CLOSED}. */
    public static final int WRITE_CLOSED = 1 << 7;
    private static final int OPS_MASK = 0xff;
    private static final int SHUTDOWN = 1 << 8;
    private static final int SEQ_ONE = 1 << 9;

    private final Reactor reactor;
    /** SelectorReactor: the selection key. */
    SelectionKey key;
    /** EpollReactor: the file descriptor. */
    int fd = -1;
    /** EpollReactor: the epoll set it was added to (one of the driver's shards, or its only set). */
    int set = -1;
    @SuppressWarnings("unused") private volatile int word;
    private volatile Thread readWaiter;
    private volatile Thread writeWaiter;

    /**
     * True on an edge-triggered driver (epoll), where the word is the whole truth: a direction whose
     * bits are clear will get an event when it becomes ready, whether or not a task waits.
     */
    private final boolean edgeTriggered;

    IoSource(Reactor reactor) {
        this.reactor = reactor;
        this.edgeTriggered = reactor instanceof EpollReactor;
        if (edgeTriggered) {
            word = READ | WRITE; // try the first operation; its failure clears the bits
        }
    }

    /**
     * {@return true if {@code ops} are known not to be ready in {@code observed}}: on an
     * edge-triggered driver the caller can then wait without trying its operation first (which
     * would cost a system call that returns nothing). Always false on a level-triggered driver,
     * whose bits are set only while a task waits.
     *
     * @param observed the word, from {@link #readiness()}
     * @param ops the operations about to be tried
     */
    public boolean knownNotReady(int observed, int ops) {
        int closed = ((ops & READ) != 0 ? READ_CLOSED : 0) | ((ops & WRITE) != 0 ? WRITE_CLOSED : 0);
        return edgeTriggered && (observed & (ops | closed | SHUTDOWN)) == 0;
    }

    /**
     * An operation moved fewer bytes than it could have (a short read or write): on an
     * edge-triggered driver the socket is drained (or full) for now, so the direction's bits are
     * cleared unless an event came since {@code observed} (Tokio clears readiness the same way). On
     * a level-triggered driver this does nothing.
     *
     * @param observed the word read before the operation
     * @param ops the operations to clear
     */
    public void exhausted(int observed, int ops) {
        if (edgeTriggered && (observed & SHUTDOWN) == 0) {
            WORD.compareAndSet(this, observed, observed & ~ops);
        }
    }

    /** {@return the readiness word now: pass it to {@link #clear} after an operation would block} */
    public int readiness() {
        return word;
    }

    /**
     * Clears {@code ops} if no event arrived since {@code observed} was read.
     *
     * @param observed the word read before the operation that would block
     * @param ops the operations to clear
     * @return true if cleared (wait now); false if new readiness arrived (retry the operation)
     */
    public boolean clear(int observed, int ops) {
        if ((observed & SHUTDOWN) != 0) {
            return true; // the wait reports it
        }
        return WORD.compareAndSet(this, observed, observed & ~ops);
    }

    /**
     * Parks until one of {@code ops} is ready, the source shuts down, or the deadline passes.
     *
     * @param ops OP_READ, OP_ACCEPT, OP_WRITE or OP_CONNECT (one direction)
     * @param deadline a {@link TimeDriver} deadline in driver nanoseconds, or 0 for none
     * @param what names the operation for messages ("read", "accept", ...)
     * @throws SocketTimeoutException at the deadline (nothing was lost; the socket stays usable)
     * @throws SocketException if the socket was closed or its runtime shut down meanwhile
     * @throws io.weft.task.CancelledException if the task was aborted (the socket stays open)
     */
    public void await(int ops, long deadline, String what) throws IOException {
        boolean read = (ops & READ) != 0;
        Thread me = Thread.currentThread();
        Waits.checkCancelled(what);
        if (read) {
            readWaiter = me;
        } else {
            writeWaiter = me;
        }
        TimeDriver drv = null;
        DeadlineEntry timer = null;
        try {
            if (ready(ops)) {
                return;
            }
            if (!reactor.isRegistered(this)) {
                throw closedWhile(what);
            }
            reactor.arm(this, ops);
            if (deadline != 0) {
                drv = Sleeps.driver();
                timer = new DeadlineEntry(me);
                if (!drv.register(timer, deadline)) {
                    throw new SocketTimeoutException(what + " timed out");
                }
            }
            while (!ready(ops)) {
                LockSupport.park(this);
                if (me.isInterrupted()) {
                    throw Waits.cancelled(what);
                }
                if (timer != null && timer.fired && !ready(ops)) {
                    timer = null;
                    throw new SocketTimeoutException(what + " timed out");
                }
            }
        } finally {
            if (read) {
                readWaiter = null;
            } else {
                writeWaiter = null;
            }
            if (timer != null) {
                drv.cancel(timer);
            }
        }
    }

    /** {@return true if one of ops is ready} @throws SocketException if shut down */
    private boolean ready(int ops) throws SocketException {
        int w = word;
        if ((w & SHUTDOWN) != 0) {
            throw new SocketException(reactor.isClosed()
                ? "the Weft runtime that owns this socket has shut down"
                : "socket closed");
        }
        return (w & ops) != 0;
    }

    private SocketException closedWhile(String what) {
        return new SocketException("socket closed while a " + what + " was waiting on it");
    }

    /** SelectorReactor: interest this source's waiters asked for and no poller has applied yet. */
    @SuppressWarnings("unused") private volatile int pendingInterest;
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(IoSource.class, "pendingInterest", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** SelectorReactor: adds to the interest waiting for a poller; {@return the interest before} */
    int addPendingInterest(int ops) {
        return (int) PENDING.getAndBitwiseOr(this, ops);
    }

    int pendingInterest() {
        return pendingInterest;
    }

    /** Poller thread: applies the interest waiters asked for. */
    void applyInterest() {
        int ops = (int) PENDING.getAndSet(this, 0);
        if (ops != 0) {
            try {
                key.interestOpsOr(ops);
            } catch (CancelledKeyException e) {
                shutdown();
            }
        }
    }

    /** Poller thread: the key's ready operations are in. */
    void onReady(SelectionKey k) {
        int ready;
        try {
            ready = k.readyOps();
            k.interestOpsAnd(~ready);
        } catch (CancelledKeyException e) {
            shutdown();
            return;
        }
        publish(ready);
    }

    /**
     * Poller thread: {@code ready} operations came in; records them and wakes their waiters.
     *
     * @param ready SelectionKey operations
     */
    void publish(int ready) {
        int w;
        do {
            w = word;
        } while (!WORD.compareAndSet(this, w, ((w & ~OPS_MASK) + SEQ_ONE) | (w & OPS_MASK) | ready));
        if ((ready & READ) != 0) {
            unpark(readWaiter);
        }
        if ((ready & WRITE) != 0) {
            unpark(writeWaiter);
        }
    }

    /** Marks the source shut down and wakes both waiters (the socket closed, or the reactor did). */
    public void shutdown() {
        int w;
        do {
            w = word;
        } while (!WORD.compareAndSet(this, w, (w + SEQ_ONE) | SHUTDOWN));
        unpark(readWaiter);
        unpark(writeWaiter);
    }

    /**
     * Wakes waiters and deregisters, returning once no poller will touch the channel again, so that
     * closing the channel afterwards really closes it.
     */
    public void close() {
        shutdown();
        reactor.deregister(this);
    }

    /** SelectorReactor: the thread waiting in close() for the poller to drop the key. */
    volatile Thread closer;
    /** SelectorReactor: set by the poller once the selector has dropped the key. */
    volatile boolean deregistered;

    /** Poller: the selector has dropped this source's key. */
    void deregistered() {
        deregistered = true;
        unpark(closer);
    }

    @Override
    public String toString() {
        int w = word;
        return "IoSource[ready=" + (w & OPS_MASK) + (((w & SHUTDOWN) != 0) ? ", shutdown" : "") + ", seq=" + (w >>> 9)
            + ", " + reactor.describe(this)
            + ", reader=" + (readWaiter != null) + ", writer=" + (writeWaiter != null) + ", " + reactor + "]";
    }

    private static void unpark(Thread t) {
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** A timer that unparks the waiting thread at the deadline. */
    private static final class DeadlineEntry extends TimerEntry {
        private final Thread thread;
        volatile boolean fired;

        DeadlineEntry(Thread thread) {
            this.thread = thread;
        }

        @Override
        protected void fire() {
            fired = true;
            LockSupport.unpark(thread);
        }
    }
}
