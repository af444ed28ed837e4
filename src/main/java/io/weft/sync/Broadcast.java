package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;

/**
 * A multi-producer, multi-consumer channel in which every receiver sees every value
 * [Tokio: {@code sync::broadcast}].
 *
 * <p>{@link #channel(int)} makes a channel with a ring buffer of {@code capacity} values and returns
 * its first {@link Sender} and {@link Receiver}. {@link Sender#send(Object)} never parks: it writes
 * the value into the ring, overwriting the oldest one once the ring is full, and wakes the receivers.
 * Each receiver reads at its own pace from its own position. A receiver that falls more than
 * {@code capacity} values behind has lost the overwritten ones: its next receive throws
 * {@link LaggedException} with the exact number it missed, and the one after returns the oldest value
 * still kept. More receivers come from {@link Sender#subscribe()} (or
 * {@link Receiver#resubscribe()}) and see only values sent after they subscribed.
 *
 * <p>The channel closes when every sender is closed: receivers then get the values still buffered
 * for them, and after those {@code recv()} returns null. Close each handle when done (use
 * try-with-resources): a receiver that is dropped without {@code close()} still counts as a receiver
 * for {@code send}'s result. Values are never null.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var ch = Broadcast.<String>channel(16);
 * var tx = ch.sender();
 * var rx1 = ch.receiver();
 * var rx2 = tx.subscribe();
 * Task.spawn(() -> { System.out.println("1 got " + rx1.recv()); return null; });
 * Task.spawn(() -> { System.out.println("2 got " + rx2.recv()); return null; });
 * tx.send("hello");                     // both receivers get it; returns 2
 * }
 *
 * <h2>Cancellation</h2>
 * {@code recv} is cancel-safe, as in Tokio: a task aborted while parked in it throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status) and loses nothing, because
 * a receiver takes a value only when it returns it. The next {@code recv} on the same receiver
 * returns the value the aborted one would have. A {@code recv(Duration)} that times out likewise
 * leaves everything in the channel.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code send} of a value happen-before the actions after the
 * {@code recv} (or {@code tryRecv}) that returns that value, in each receiver.
 */
public final class Broadcast {
    /*
     * Implementation overview
     *
     * Algorithm (after Tokio's broadcast): a ring of capacity slots, each holding an immutable
     *   Entry(pos, value) or null, plus tail (the next position to write) and the receiver and sender
     *   counts, all changed under the Shared monitor. send(v): under the monitor, write
     *   slots[tail % cap] = Entry(tail, v, rem = receivers), tail += 1, claim every parked receiver.
     *   A receiver keeps its next position (a CAS cursor, so a receiver shared by two tasks hands
     *   each value to one of them). tryRecv: read slots[next % cap] (acquire);
     *     pos == next            -> CAS next -> next + 1, take the value;
     *     else read tail:
     *       tail <= next          -> empty (or closed, re-reading tail after seeing closed);
     *       tail - next > cap     -> lagged: CAS next -> tail - cap, throw Lagged(tail - cap - next);
     *       otherwise             -> the slot was written after we read it: read it again.
     *   recv parks with the usual try / register (re-checking tail, closed and the cursor under the
     *   monitor, which sends also hold) / park, and loops after each wake-up.
     * Value release: Entry.rem counts the receivers that still have to read it (those subscribed when
     *   it was sent); each reader decrements after reading, and a closing receiver decrements every
     *   entry it had not read. At zero the value is dropped from the entry, as Tokio drops it, so
     *   the ring does not keep values alive that everyone has seen.
     * Memory ordering: a slot is published with a release store after its Entry is built, and read
     *   with an acquire load; tail and closed are volatile and written after the slot, so a reader
     *   that sees tail > next (or closed) sees the slot. Entry.value is read before the reader's
     *   rem decrement, and only the last decrement clears it.
     * Progress: tryRecv is lock-free (a bounded retry, only while a send is in flight); send,
     *   subscribe and close take the monitor briefly; recv parks on a Parker.
     * Cancellation: a wake-up hands nothing over (a receiver takes its value itself in tryRecv), so
     *   a waiter that gives up has nothing to pass on.
     */
    private Broadcast() {}

    /** The largest capacity accepted. */
    public static final int MAX_CAPACITY = 1 << 30;

    private static final Object EMPTY = new Object();
    private static final Object CLOSED = new Object();
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Entry[].class);

    /**
     * Creates a channel whose ring keeps the last {@code capacity} values.
     *
     * {@snippet :
     * Broadcast.Channel<Event> ch = Broadcast.channel(1024);
     * }
     *
     * @param capacity values kept for slow receivers, from 1 to {@link #MAX_CAPACITY}
     * @param <T> the element type
     * @return the channel's first sender and receiver
     * @throws IllegalArgumentException if {@code capacity} is out of range
     */
    public static <T> Channel<T> channel(int capacity) {
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("capacity must be in [1, " + MAX_CAPACITY + "]: " + capacity);
        }
        Shared shared = new Shared(capacity);
        Sender<T> tx = new Sender<>(shared);
        Receiver<T> rx;
        synchronized (shared) {
            shared.senders = 1;
            shared.receivers = 1;
            rx = new Receiver<>(shared, 0);
        }
        return new Channel<>(tx, rx);
    }

    /**
     * A new channel's first sender and receiver.
     *
     * <h2>Example</h2>
     * {@snippet :
     * var ch = Broadcast.<Integer>channel(8);
     * try (var tx = ch.sender(); var rx = ch.receiver()) {
     *     tx.send(1);
     *     int v = rx.recv();
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * See {@link Broadcast}.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Broadcast}.
     *
     * @param sender the sender
     * @param receiver the receiver
     * @param <T> the element type
     */
    public record Channel<T>(Sender<T> sender, Receiver<T> receiver) {}

    /** One written slot: immutable position, value released when every counted reader has read it. */
    static final class Entry {
        private static final VarHandle REM;

        static {
            try {
                REM = MethodHandles.lookup().findVarHandle(Entry.class, "rem", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final long pos;
        /** Set before publication; cleared by the last reader. */
        Object value;
        @SuppressWarnings("unused") private volatile int rem;

        Entry(long pos, Object value, int rem) {
            this.pos = pos;
            this.value = value;
            this.rem = rem;
        }

        /** One counted receiver is done with this entry; the last one drops the value. */
        void release() {
            if ((int) REM.getAndAdd(this, -1) == 1) { // the readers' value reads precede their decrements
                value = null;
            }
        }
    }

    /** State shared by every handle of one channel. */
    static final class Shared {
        final int capacity;
        final Entry[] slots;
        /** Next position to write. Written under this monitor; read anywhere. */
        volatile long tail;
        /** Every sender is closed. Written under this monitor after the last send. */
        volatile boolean closed;
        /** Guarded by this. */
        int senders;
        /** Guarded by this. */
        int receivers;
        /** Receivers parked in recv. Guarded by this. */
        final WaitList waiters = new WaitList();

        Shared(int capacity) {
            this.capacity = capacity;
            this.slots = new Entry[capacity];
        }

        Entry slot(long pos) {
            return (Entry) SLOTS.getAcquire(slots, (int) (pos % capacity)); // pairs with setRelease in send
        }
    }

    /**
     * The sending side of a {@link Broadcast} channel [Tokio: {@code broadcast::Sender}].
     *
     * <p>Thread-safe; share it, or give each producer its own with {@link #cloneSender()}. The
     * channel closes when every sender is closed.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (var tx = ch.sender()) {
     *     int reached = tx.send(new Tick(now));
     * } // closing the last sender ends the receivers' loops
     * }
     *
     * <h2>Cancellation</h2>
     * Nothing here parks.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Broadcast}.
     *
     * @param <T> the element type
     */
    public static final class Sender<T> implements AutoCloseable {
        private final Shared shared;
        /** This handle is closed. Guarded by shared's monitor; read volatile. */
        private volatile boolean closed;

        Sender(Shared shared) {
            this.shared = shared;
        }

        /**
         * Sends {@code value} to every current receiver; never parks. When the ring is full, the
         * oldest value is overwritten, and receivers that had not read it will see
         * {@link LaggedException}.
         *
         * {@snippet :
         * int n = tx.send("tick");   // the number of receivers that will see it
         * }
         *
         * @param value the value
         * @return how many receivers the value was sent to
         * @throws SendException if there are no receivers; it holds {@code value}, which was not
         *     stored
         * @throws NullPointerException if {@code value} is null
         * @throws IllegalStateException if this sender is closed
         */
        public int send(T value) {
            Objects.requireNonNull(value, "broadcast values cannot be null");
            final Shared s = shared;
            synchronized (s) {
                if (closed) {
                    throw new IllegalStateException("broadcast sender is closed");
                }
                int rx = s.receivers;
                if (rx == 0) {
                    throw new SendException("broadcast channel has no receivers", value);
                }
                long pos = s.tail;
                SLOTS.setRelease(s.slots, (int) (pos % s.capacity), new Entry(pos, value, rx)); // pairs with slot()
                s.tail = pos + 1; // volatile: readers that see it see the slot
                s.waiters.claimAll();
                return rx;
            }
        }

        /**
         * {@return a new receiver that will see every value sent from now on}
         *
         * {@snippet :
         * var late = tx.subscribe();
         * }
         *
         * @throws IllegalStateException if this sender is closed
         */
        public Receiver<T> subscribe() {
            final Shared s = shared;
            synchronized (s) {
                if (closed) {
                    throw new IllegalStateException("broadcast sender is closed");
                }
                s.receivers++;
                return new Receiver<>(s, s.tail);
            }
        }

        /**
         * {@return another sender for the same channel; the channel stays open until it is closed too}
         *
         * {@snippet :
         * var tx2 = tx.cloneSender();
         * Task.spawn(() -> { try (tx2) { tx2.send(42); } return null; });
         * }
         *
         * @throws IllegalStateException if this sender is closed
         */
        public Sender<T> cloneSender() {
            final Shared s = shared;
            synchronized (s) {
                if (closed) {
                    throw new IllegalStateException("broadcast sender is closed");
                }
                s.senders++;
                return new Sender<>(s);
            }
        }

        /**
         * {@return the number of open receivers (a snapshot)} [Tokio: {@code receiver_count}]
         *
         * {@snippet :
         * if (tx.receiverCount() == 0) return;
         * }
         */
        public int receiverCount() {
            synchronized (shared) {
                return shared.receivers;
            }
        }

        /**
         * {@return true once this sender has been closed}
         *
         * {@snippet :
         * if (!tx.isClosed()) tx.send(v);
         * }
         */
        public boolean isClosed() {
            return closed;
        }

        /**
         * Closes this sender. When every sender is closed, the channel is closed: receivers drain
         * what is buffered and then get null. Idempotent.
         *
         * {@snippet :
         * tx.close();
         * }
         */
        @Override
        public void close() {
            final Shared s = shared;
            synchronized (s) {
                if (closed) {
                    return;
                }
                closed = true;
                if (--s.senders == 0) {
                    s.closed = true; // volatile, after every send: a reader that sees it sees the final tail
                    s.waiters.claimAll();
                }
            }
        }

        @Override
        public String toString() {
            return "Broadcast.Sender[" + (closed ? "closed" : "open") + "]";
        }
    }

    /**
     * The receiving side of a {@link Broadcast} channel [Tokio: {@code broadcast::Receiver}].
     *
     * <p>Each receiver has its own position in the ring. It is meant to be used by one task at a
     * time; if two tasks do share one, each value goes to one of them.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (rx) {
     *     while (true) {
     *         try {
     *             String v = rx.recv();
     *             if (v == null) break;            // every sender closed, all read
     *             handle(v);
     *         } catch (LaggedException e) {
     *             log("missed " + e.skipped());   // carry on with the oldest kept value
     *         }
     *     }
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * {@code recv} is cancel-safe: an aborted or timed-out {@code recv} takes nothing.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Broadcast}.
     *
     * @param <T> the element type
     */
    public static final class Receiver<T> implements AutoCloseable {
        private static final VarHandle NEXT;

        static {
            try {
                NEXT = MethodHandles.lookup().findVarHandle(Receiver.class, "next", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Shared shared;
        /** The next position to read; -1 once this receiver is closed. CAS only. */
        @SuppressWarnings("unused") private volatile long next;

        Receiver(Shared shared, long next) {
            this.shared = shared;
            this.next = next;
        }

        /**
         * Parks until a value is available and returns it; returns null once every sender is closed
         * and everything sent before has been received (or once this receiver is closed).
         *
         * {@snippet :
         * String v;
         * while ((v = rx.recv()) != null) {
         *     handle(v);
         * }
         * }
         *
         * @return the next value, or null once closed and drained
         * @throws LaggedException if this receiver fell behind and values it had not read were
         *     overwritten; it now stands at the oldest value kept, which the next call returns
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while
         *     parked (nothing is taken); the interrupt status is kept
         */
        public T recv() {
            return recv(0, null);
        }

        /**
         * Parks at most {@code timeout} for a value.
         *
         * {@snippet :
         * try {
         *     var v = rx.recv(Duration.ofSeconds(1));
         * } catch (ElapsedException e) {
         *     System.out.println("quiet second");
         * }
         * }
         *
         * @param timeout the longest wait
         * @return the next value, or null once closed and drained
         * @throws ElapsedException if no value came in time (nothing is taken)
         * @throws LaggedException if this receiver fell behind (see {@link #recv()})
         * @throws IllegalArgumentException if {@code timeout} is negative
         * @throws NullPointerException if {@code timeout} is null
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
         */
        public T recv(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            return recv(Waits.deadline(timeout), timeout);
        }

        /**
         * Returns the next value if one is available now; never parks.
         *
         * {@snippet :
         * String v = rx.tryRecv();
         * if (v == null) System.out.println("nothing yet");
         * }
         *
         * @return the next value, or null if none has been sent since the last one received
         * @throws LaggedException if this receiver fell behind (see {@link #recv()})
         * @throws ClosedException if every sender (or this receiver) is closed and nothing is left
         */
        public T tryRecv() {
            Object r = poll();
            if (r == CLOSED) {
                throw new ClosedException("broadcast channel closed");
            }
            return r == EMPTY ? null : cast(r);
        }

        @SuppressWarnings("unchecked")
        private static <T> T cast(Object o) {
            return (T) o;
        }

        private T recv(long deadline, Duration timeout) {
            Waits.checkCancelled("Broadcast.recv");
            final Shared s = shared;
            Object r = poll();
            if (r != EMPTY) {
                Coop.proceed(); // ready without parking: a receive loop must not monopolise its carrier
                return r == CLOSED ? null : cast(r);
            }
            for (;;) {
                r = poll();
                if (r == CLOSED) {
                    return null;
                }
                if (r != EMPTY) {
                    return cast(r);
                }
                Waiter w = new Waiter(new Parker());
                synchronized (s) {
                    long n = next;
                    if (n < 0 || s.tail != n || s.closed) {
                        continue; // changed since poll(): look again
                    }
                    s.waiters.addLast(w);
                }
                if (w.parker.await(deadline) == w) {
                    continue;
                }
                if (w.parker.cancel() == null) {
                    synchronized (s) {
                        s.waiters.remove(w);
                    }
                }
                if (Waits.interrupted()) {
                    throw Waits.cancelled("Broadcast.recv");
                }
                r = poll(); // the deadline passed: one last look
                if (r == CLOSED) {
                    return null;
                }
                if (r != EMPTY) {
                    return cast(r);
                }
                throw new ElapsedException("no broadcast value within " + timeout);
            }
        }

        /**
         * {@return this receiver as a {@link io.weft.stream.Stream}} [tokio-stream:
         * {@code BroadcastStream}]. {@code next()} is {@link #recv()}: when this receiver has lagged it
         * throws {@link LaggedException} (with the number of values missed) and the stream stays
         * open; the next call returns the oldest value still kept. Closing the stream closes this
         * receiver.
         *
         * {@snippet :
         * try (var s = rx.stream()) {
         *     while (true) {
         *         try {
         *             var v = s.next();
         *             if (v == null) break;
         *             handle(v);
         *         } catch (LaggedException e) {
         *             System.out.println("missed " + e.skipped());   // and carry on
         *         }
         *     }
         * }
         * }
         */
        public io.weft.stream.Stream<T> stream() {
            return io.weft.stream.Stream.fromPull(this::recv, this::close);
        }

        /** One non-parking attempt: a value, EMPTY or CLOSED; throws LaggedException. */
        private Object poll() {
            final Shared s = shared;
            final int cap = s.capacity;
            for (;;) {
                long n = next;
                if (n < 0) {
                    return CLOSED;
                }
                Entry e = s.slot(n);
                if (e != null && e.pos == n) {
                    if (!NEXT.compareAndSet(this, n, n + 1)) {
                        continue; // another task sharing this receiver took it, or it was closed
                    }
                    Object v = e.value; // before release(): ours is one of the counted reads
                    e.release();
                    return v;
                }
                long t = s.tail; // volatile: if t > n, slot n was written before t was
                if (t <= n) {
                    if (!s.closed) {
                        return EMPTY;
                    }
                    if (s.tail <= n) { // re-read: closed was written after the last send
                        return CLOSED;
                    }
                    continue;
                }
                if (t - n > cap) {
                    long oldest = t - cap;
                    if (NEXT.compareAndSet(this, n, oldest)) {
                        throw new LaggedException(oldest - n);
                    }
                    continue;
                }
                Thread.onSpinWait(); // slot n was published between our two reads: read it again
            }
        }

        /**
         * {@return a new receiver that will see every value sent from now on, not what this one
         * has not read yet} [Tokio: {@code resubscribe}]. Works on a closed receiver too.
         *
         * {@snippet :
         * var fresh = rx.resubscribe();
         * }
         */
        public Receiver<T> resubscribe() {
            final Shared s = shared;
            synchronized (s) {
                s.receivers++;
                return new Receiver<>(s, s.tail);
            }
        }

        /**
         * {@return how many values this receiver has yet to read, at most the capacity (a
         * snapshot)}
         *
         * {@snippet :
         * if (rx.len() > 100) System.out.println("falling behind");
         * }
         */
        public int len() {
            long n = next;
            if (n < 0) {
                return 0;
            }
            long behind = shared.tail - n;
            return (int) Math.max(0, Math.min(behind, shared.capacity));
        }

        /**
         * {@return true if this receiver has nothing to read right now}
         *
         * {@snippet :
         * if (rx.isEmpty()) Task.yieldNow();
         * }
         */
        public boolean isEmpty() {
            return len() == 0;
        }

        /**
         * {@return true if this receiver is closed, or every sender is (values may still be
         * buffered: {@code recv} returns them before null)}
         *
         * {@snippet :
         * if (rx.isClosed() && rx.isEmpty()) return;
         * }
         */
        public boolean isClosed() {
            return next < 0 || shared.closed;
        }

        /**
         * Closes this receiver: it stops counting as a receiver, releases the values it had not
         * read, and its {@code recv} returns null from now on. Idempotent.
         *
         * {@snippet :
         * rx.close();
         * }
         */
        @Override
        public void close() {
            final Shared s = shared;
            synchronized (s) {
                long n = (long) NEXT.getAndSet(this, -1L);
                if (n < 0) {
                    return;
                }
                s.receivers--;
                long t = s.tail; // stable: sends hold this monitor
                for (long p = Math.max(n, t - s.capacity); p < t; p++) {
                    Entry e = s.slot(p);
                    if (e != null && e.pos == p) {
                        e.release(); // we were counted in its rem and will never read it
                    }
                }
                s.waiters.claimAll(); // wake a recv parked on this receiver (others look and park again)
            }
        }

        /**
         * A {@code Select} arm: completes when a value is available (or the channel is closed);
         * only the winning arm takes the value, in {@code poll}, on the selecting thread.
         * {@code out[0]} receives the value, or null if closed.
         *
         * @param out where the value goes
         * @return the arm
         */
        SelectArm arm(Object[] out) {
            return new SelectArm() {
                @Override
                public boolean poll(Waiter claimed) {
                    Object r = Receiver.this.poll(); // throws LaggedException
                    if (r == EMPTY) {
                        return false;
                    }
                    out[0] = r == CLOSED ? null : r;
                    return true;
                }

                @Override
                public void register(Waiter w) {
                    final Shared s = shared;
                    synchronized (s) {
                        long n = next;
                        if (n < 0 || s.tail != n || s.closed) {
                            w.claim(); // ready already: poll will take it
                            return;
                        }
                        s.waiters.addLast(w);
                    }
                }

                @Override
                public void deregister(Waiter w) {
                    synchronized (shared) {
                        shared.waiters.remove(w);
                    }
                }
            };
        }

        @Override
        public String toString() {
            long n = next;
            return n < 0 ? "Broadcast.Receiver[closed]" : "Broadcast.Receiver[next=" + n + ", len=" + len() + "]";
        }
    }

    /** {@return receivers parked on the channel of {@code rx}; for tests} */
    static int waiterCount(Receiver<?> rx) {
        Shared s = rx.shared;
        synchronized (s) {
            return s.waiters.size();
        }
    }

    /** {@return the value still referenced by the slot at {@code pos}, or null; for tests} */
    static Object slotValue(Receiver<?> rx, long pos) {
        Entry e = rx.shared.slot(pos);
        return e != null && e.pos == pos ? e.value : null;
    }
}
