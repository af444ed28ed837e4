package io.weft.sync;

import io.weft.internal.scheduler.Carrier;
import io.weft.internal.scheduler.Coop;
import io.weft.internal.scheduler.SendGate;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.jctools.queues.MessagePassingQueue;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;
import org.jctools.queues.varhandle.MpscVarHandleArrayQueue;

/**
 * Multi-producer, single-consumer channels, bounded and unbounded [Tokio: {@code sync::mpsc}].
 *
 * <p>A bounded channel holds at most {@code capacity} messages: {@link Sender#send} parks while it is
 * full, which is how a fast producer is slowed to the pace of its consumer (back-pressure). An
 * unbounded channel never parks a sender. Messages from one sender arrive in the order sent.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var ch = Mpsc.<String>channel(100);
 * var tx = ch.sender();
 * for (int i = 0; i < 10; i++) {
 *     var txi = tx.cloneSender();
 *     int n = i;
 *     Task.spawn(() -> { try (txi) { txi.send("hello " + n); } });
 * }
 * tx.close();                       // the channel closes when every sender is closed
 * for (String msg : ch.receiver()) {
 *     System.out.println(msg);      // ends once all senders are closed and the queue is drained
 * }
 * }
 *
 * <h2>Closing</h2>
 * The channel closes for the receiver when every sender is closed: {@code recv} then returns what is
 * queued, then null. When the receiver closes, every send (and every sender parked on a full channel)
 * fails with {@link SendException}, which carries the message back.
 *
 * <h2>Cancellation</h2>
 * A sender aborted while parked on a full channel throws {@link io.weft.task.CancelledException}: its
 * message was not sent, and the senders queued behind it move up. (If room came at the same moment,
 * its message was already queued for it: {@code send} returns normally and the abort takes effect at
 * the task's next wait.) A receiver aborted in {@code recv} loses no message: the next {@code recv}
 * gets it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code send} happen-before the {@code recv} that receives that message.
 */
public final class Mpsc {
    /** Yields a sender makes on a full channel before it parks; see the implementation overview. */
    private static final int FULL_YIELDS = Integer.getInteger("weft.mpsc.fullYields", 2);

    private Mpsc() {}

    /**
     * {@return a bounded channel}
     *
     * {@snippet :
     * Mpsc.Channel<Integer> ch = Mpsc.channel(1024);
     * }
     *
     * @param capacity the most messages it holds, at least 1
     * @param <T> the message type
     */
    public static <T> Channel<T> channel(int capacity) {
        if (capacity < 1 || capacity > Semaphore.MAX_PERMITS) {
            throw new IllegalArgumentException("capacity must be in [1, " + Semaphore.MAX_PERMITS + "]: " + capacity);
        }
        Shared<T> s = new Shared<>(capacity);
        return new Channel<>(new Sender<>(s), new Receiver<>(s));
    }

    /**
     * {@return an unbounded channel: sends never park}
     *
     * {@snippet :
     * Mpsc.Channel<String> ch = Mpsc.unboundedChannel();
     * }
     *
     * @param <T> the message type
     */
    public static <T> Channel<T> unboundedChannel() {
        Shared<T> s = new Shared<>(0);
        return new Channel<>(new Sender<>(s), new Receiver<>(s));
    }

    /**
     * Both ends of a new channel.
     *
     * {@snippet :
     * var ch = Mpsc.<String>channel(8);
     * Mpsc.Sender<String> tx = ch.sender();
     * Mpsc.Receiver<String> rx = ch.receiver();
     * }
     *
     * @param sender the first sender (clone it for more)
     * @param receiver the receiver
     * @param <T> the message type
     */
    public record Channel<T>(Sender<T> sender, Receiver<T> receiver) {}

    /**
     * The outcome of {@link Sender#trySend}.
     *
     * {@snippet :
     * switch (tx.trySend(msg)) {
     *     case SENT -> {}
     *     case FULL -> dropOrRetry(msg);
     *     case CLOSED -> shutdown();
     * }
     * }
     */
    public enum TrySendResult {
        /** The message is in the channel. */
        SENT,
        /** The channel is full; the message was not sent. */
        FULL,
        /** The receiver is closed; the message was not sent. */
        CLOSED
    }

    /*
     * Implementation overview
     *
     * Algorithm (after Tokio's chan.rs and bounded semaphore): messages live in a JCTools MPSC queue (an
     *   array of the next power of two for a bounded channel, linked chunks for an unbounded one). The
     *   queue's own indices are the capacity: a bounded send enqueues with offerIfBelowThreshold(bound
     *   - reserved), one CAS of the producer index, and the receiver's poll frees the slot with a plain
     *   release store of the consumer index. No other shared word is written per message.
     * Closing without an in-flight counter: a send opens a window on its carrier's SendGate (a store of
     *   a carrier-local sequence number and a fence), reads rxClosed, enqueues, closes the window. The
     *   window never parks. A receiver that has seen rxClosed waits once, in ended(), for the windows
     *   open on any carrier (SendGate.awaitWindows); after that no message that saw the channel open can
     *   still arrive, and an empty queue is the end. So a send told SENT is always receivable and a
     *   refused one never is (checked with Lincheck). Senders that are not on a Weft carrier count
     *   themselves in `outside` instead.
     * Waking the receiver: the receiver publishes a Waiter in rxWaiter (volatile write), re-polls the
     *   queue (volatile read of the producer index), parks; a sender offers (a CAS), then reads
     *   rxWaiter, swaps it out and claims it. Sequentially consistent: the receiver sees the message or
     *   is woken.
     * Full bounded channel: the sender first yields a couple of times (the receiver is usually just
     *   behind it in a run queue, and a yield costs less than parking), then queues a SendWaiter holding
     *   its message under this object's monitor (FIFO; while any wait, new sends take this path too, so
     *   nobody overtakes them). Whoever frees room runs assign() under the monitor: enqueue the head
     *   waiter's message for it, mark it settled, claim its parker. The message is in the queue before
     *   the sender learns it was sent, so a sender that then closes cannot end the channel ahead of its
     *   own message. A waiter gives up (timeout, abort) only under the monitor, so a waiter still in
     *   the list has not given up and the claim always succeeds. The receiver, after each poll of a
     *   bounded channel, fences and reads sendWaiterCount; a waiter increments it under the monitor and
     *   then re-reads the consumer index (in assign's offer): one of them sees the other.
     * Reservations (Permit): counted in `reserved`, which lowers the threshold every send uses. A
     *   reservation takes the monitor, counts itself, waits out the open send windows (they may have
     *   read the old threshold), and keeps the room only if queue size + reserved still fits the bound.
     *   A Permit's send enqueues into that room, then stops counting as reserved.
     * Receiver close: sets rxClosed under the monitor and refuses every queued sender (its message goes
     *   back in the SendException).
     * Progress: send on a non-full channel and recv on a non-empty one are lock-free.
     */
    static final class Shared<T> {
        static final VarHandle RX_WAITER;

        static {
            try {
                RX_WAITER = MethodHandles.lookup().findVarHandle(Shared.class, "rxWaiter", Waiter.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final MessagePassingQueue<T> queue;
        private final MpscVarHandleArrayQueue<T> bounded; // the same queue when bounded, else null
        final int bound; // 0 when unbounded
        final AtomicInteger senders = new AtomicInteger(1);
        /** Room held by Permits not yet used or closed. */
        final AtomicInteger reserved = new AtomicInteger();
        /** Send windows open on threads that are not Weft carriers; see SendGate. */
        private final AtomicInteger outside = new AtomicInteger();
        volatile boolean rxClosed;
        volatile boolean txClosed;
        volatile Waiter rxWaiter;
        /** Receiver only: the send windows have been waited out since rxClosed was seen. */
        private boolean settledAfterClose;
        /** Bounded only: senders parked on a full channel, FIFO; guarded by this object's monitor. */
        private final WaitList sendWaiters;
        private volatile int sendWaiterCount;

        Shared(int bound) {
            this.bound = bound;
            if (bound > 0) {
                int cap = Math.max(2, Integer.highestOneBit(Math.max(1, bound - 1)) << 1);
                this.bounded = new MpscVarHandleArrayQueue<>(cap);
                this.queue = bounded;
                this.sendWaiters = new WaitList();
            } else {
                this.bounded = null;
                this.queue = new MpscUnboundedVarHandleArrayQueue<>(256);
                this.sendWaiters = null;
            }
        }

        /**
         * Sends without parking.
         *
         * @return 1 sent, 0 full (or senders wait, who go first), -1 the receiver is closed
         */
        int trySend(T v) {
            Carrier c = SendGate.enter(outside);
            int r;
            try {
                if (rxClosed) {
                    r = -1;
                } else if (bounded == null) {
                    queue.offer(v);
                    r = 1;
                } else if (sendWaiterCount == 0 && bounded.offerIfBelowThreshold(v, bound - reserved.get())) {
                    r = 1;
                } else {
                    r = 0;
                }
            } finally {
                SendGate.exit(c, outside);
            }
            if (r > 0) {
                wakeReceiverIfWaiting();
            }
            return r;
        }

        /** Sends into room a Permit holds. {@return false if the receiver is closed} */
        boolean sendReserved(T v) {
            boolean sent;
            Carrier c = SendGate.enter(outside);
            try {
                sent = !rxClosed && queue.offer(v); // cannot fail for lack of room: the Permit holds it
            } finally {
                SendGate.exit(c, outside);
            }
            unreserve();
            if (sent) {
                wakeReceiverIfWaiting();
            }
            return sent;
        }

        /** A Permit is used or given back: its room returns to the senders. */
        void unreserve() {
            reserved.decrementAndGet();
            if (sendWaiterCount != 0) {
                synchronized (this) {
                    assign();
                }
            }
        }

        private void wakeReceiverIfWaiting() {
            Waiter w = rxWaiter;
            if (w != null && RX_WAITER.compareAndSet(this, w, null)) {
                w.claim();
            }
        }

        /** Holds room for one message if there is some now; under the monitor. */
        private boolean tryReserveLocked() {
            reserved.incrementAndGet();
            if (bounded == null) {
                return true;
            }
            // Sends in their window may have read the old threshold: let them finish, then count.
            SendGate.awaitWindows(outside);
            if (queue.size() + reserved.get() <= bound) {
                return true;
            }
            reserved.decrementAndGet();
            return false;
        }

        /**
         * Holds room for a Permit, parking while the channel is full.
         *
         * @throws ClosedException if the receiver is closed
         */
        void reserve() {
            synchronized (this) {
                if (rxClosed) {
                    throw new ClosedException("mpsc receiver closed");
                }
                if ((bounded == null || sendWaiterCount == 0) && tryReserveLocked()) {
                    return;
                }
            }
            waitForRoom(null, 0, "Mpsc.Sender.reserve");
        }

        /**
         * Parks until the message is queued for us (or, for {@code value == null}, room is reserved).
         *
         * @return true once queued or reserved; false on timeout
         * @throws ClosedException if the receiver closed first
         */
        boolean waitForRoom(T value, long deadline, String where) {
            SendWaiter w = new SendWaiter(new Parker(), value);
            synchronized (this) {
                if (rxClosed) {
                    throw new ClosedException("mpsc receiver closed");
                }
                sendWaiters.addLast(w);
                sendWaiterCount++;
                assign();
            }
            if (w.parker.await(deadline) == null) {
                synchronized (this) {
                    // Give up under the monitor, so an assigner never claims a waiter that has left.
                    if (!w.settled) {
                        w.parker.cancel();
                        if (sendWaiters.remove(w)) {
                            sendWaiterCount--;
                        }
                    }
                }
                if (!w.settled) {
                    if (Waits.interrupted()) {
                        throw Waits.cancelled(where);
                    }
                    return false;
                }
                // Served just as we gave up: the message is sent (or the room reserved) all the same.
            }
            if (w.refused) {
                throw new ClosedException("mpsc receiver closed while waiting in " + where);
            }
            return true;
        }

        /** Serves waiters in FIFO order while there is room; under the monitor. */
        private void assign() {
            Waiter head;
            while (!rxClosed && (head = sendWaiters.peekFirst()) != null) {
                SendWaiter w = (SendWaiter) head;
                @SuppressWarnings("unchecked") T v = (T) w.value;
                if (v != null) {
                    if (!bounded.offerIfBelowThreshold(v, bound - reserved.get())) {
                        return;
                    }
                } else if (!tryReserveLocked()) {
                    return;
                }
                sendWaiters.remove(w);
                sendWaiterCount--;
                w.settled = true;
                w.claim(); // cannot fail: a waiter gives up only under this monitor, and only unsettled
                if (v != null) {
                    wakeReceiverIfWaiting();
                }
            }
        }

        /** Wakes the receiver if it is parked (or about to park) in recv. */
        void wakeReceiver() {
            Waiter w = (Waiter) RX_WAITER.getAndSet(this, null);
            if (w != null) {
                w.claim();
            }
        }

        /** Receiver close: every send from now on is refused, and so is every queued sender. */
        void closeReceiver() {
            if (rxClosed) {
                return;
            }
            synchronized (this) {
                rxClosed = true;
                if (sendWaiters != null) {
                    Waiter head;
                    while ((head = sendWaiters.pollFirst()) != null) {
                        sendWaiterCount--;
                        SendWaiter w = (SendWaiter) head;
                        w.refused = true;
                        w.settled = true;
                        w.claim();
                    }
                }
            }
            // A recv parked on another thread (a stream closed from outside its consumer) must see the
            // end: nothing else would wake it once the senders' sends start failing.
            wakeReceiver();
        }

        /**
         * {@return true once no message can arrive any more: every sender closed, or the receiver closed
         * and no send that saw it open is still on its way} False while a message is queued.
         */
        boolean ended() {
            if (txClosed) {
                return true;
            }
            if (!rxClosed) {
                return false;
            }
            if (!settledAfterClose) {
                // A send between its rxClosed check and its enqueue is a few instructions from done (it
                // never parks there): wait for it, so its outcome is settled before we report the end.
                SendGate.awaitWindows(outside);
                settledAfterClose = true;
            }
            return queue.isEmpty();
        }

        T poll() {
            T v = queue.poll();
            if (v != null && bounded != null) {
                VarHandle.fullFence(); // the slot's release, then the waiter check: see the overview
                if (sendWaiterCount != 0) {
                    synchronized (this) {
                        assign();
                    }
                }
            }
            return v;
        }
    }

    /** A sender (or a reservation, with no message) parked on a full channel. */
    private static final class SendWaiter extends Waiter {
        /** Served: queued (or reserved), or refused; written under the monitor before the claim. */
        volatile boolean settled;
        boolean refused; // written before settled

        SendWaiter(Parker parker, Object message) {
            super(parker);
            this.value = message;
        }
    }

    /**
     * A sending end. Clone it with {@link #cloneSender()} for each producer; close each when done.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (var tx = ch.sender()) {
     *     tx.send("one");
     *     tx.send("two");
     * }
     * }
     *
     * @param <T> the message type
     */
    public static final class Sender<T> implements AutoCloseable {
        private final Shared<T> shared;
        private final AtomicInteger closed = new AtomicInteger();

        Sender(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Sends a message, parking while the channel is full.
         *
         * {@snippet :
         * tx.send(event);
         * }
         *
         * @param value the message, not null
         * @throws SendException holding the message if the receiver is closed
         * @throws IllegalStateException if this sender was closed
         * @throws io.weft.task.CancelledException if the calling task is aborted while parked (the
         *     message was not sent)
         */
        public void send(T value) {
            send(value, 0, null);
        }

        /**
         * Sends a message, parking at most {@code timeout} while the channel is full.
         *
         * {@snippet :
         * try {
         *     tx.sendTimeout(event, Duration.ofMillis(10));
         * } catch (ElapsedException e) {
         *     dropped.increment();
         * }
         * }
         *
         * @param value the message, not null
         * @param timeout the longest wait
         * @throws ElapsedException if the channel stayed full (the message was not sent)
         * @throws SendException holding the message if the receiver is closed
         */
        public void sendTimeout(T value, Duration timeout) {
            send(value, Waits.deadline(timeout), timeout);
        }

        private void send(T value, long deadline, Duration timeout) {
            Objects.requireNonNull(value, "Mpsc messages must not be null");
            checkOpen();
            Shared<T> s = shared;
            for (int attempt = 0; ; attempt++) {
                int r = s.trySend(value);
                if (r > 0) {
                    Coop.proceed();
                    return;
                }
                if (r < 0) {
                    throw new SendException("mpsc receiver closed", value);
                }
                if (attempt == FULL_YIELDS) {
                    break;
                }
                // Full: the receiver is most likely queued right behind us; let it run before parking.
                Waits.checkCancelled("Mpsc.Sender.send");
                Thread.yield();
            }
            boolean sent;
            try {
                sent = s.waitForRoom(value, deadline, "Mpsc.Sender.send"); // queued for us if true
            } catch (ClosedException e) {
                throw new SendException("mpsc receiver closed", value);
            }
            if (!sent) {
                throw new ElapsedException("mpsc channel full for " + timeout);
            }
        }

        /**
         * Sends a message if there is room now; never parks.
         *
         * {@snippet :
         * if (tx.trySend(msg) != Mpsc.TrySendResult.SENT) dropped.increment();
         * }
         *
         * @param value the message, not null
         * @return {@code SENT}, {@code FULL} or {@code CLOSED} (the receiver is closed)
         */
        public TrySendResult trySend(T value) {
            Objects.requireNonNull(value, "Mpsc messages must not be null");
            checkOpen();
            int r = shared.trySend(value);
            return r > 0 ? TrySendResult.SENT : r < 0 ? TrySendResult.CLOSED : TrySendResult.FULL;
        }

        /**
         * Reserves room for one message, parking while the channel is full [Tokio: {@code reserve}].
         * Sending through the permit never parks; closing it unused gives the room back.
         *
         * {@snippet :
         * try (var permit = tx.reserve()) {
         *     permit.send(buildExpensiveMessage());
         * }
         * }
         *
         * @return the permit
         * @throws ClosedException if the receiver is closed
         */
        public Permit<T> reserve() {
            checkOpen();
            Shared<T> s = shared;
            s.reserve();
            if (Waits.interrupted()) {
                // Served just as we were aborted: give the room to the next sender.
                s.unreserve();
                throw Waits.cancelled("Mpsc.Sender.reserve");
            }
            return new Permit<>(s);
        }

        /**
         * {@return a new sender for the same channel}
         *
         * {@snippet :
         * var tx2 = tx.cloneSender();
         * }
         *
         * @throws IllegalStateException if this sender was closed
         */
        public Sender<T> cloneSender() {
            checkOpen();
            shared.senders.incrementAndGet();
            return new Sender<>(shared);
        }

        private void checkOpen() {
            if (closed.get() != 0) {
                throw new IllegalStateException("this sender is closed");
            }
        }

        /**
         * {@return true once the receiver is closed: sends would fail}
         *
         * {@snippet :
         * if (tx.isClosed()) return;
         * }
         */
        public boolean isClosed() {
            return shared.rxClosed;
        }

        /**
         * {@return the channel's capacity, or {@link Integer#MAX_VALUE} when unbounded}
         *
         * {@snippet :
         * int cap = tx.capacity();
         * }
         */
        public int capacity() {
            return shared.bound > 0 ? shared.bound : Integer.MAX_VALUE;
        }

        /**
         * Closes this sender; once every sender is closed the receiver sees the end of the channel.
         * Idempotent.
         *
         * {@snippet :
         * tx.close();
         * }
         */
        @Override
        public void close() {
            if (closed.compareAndSet(0, 1) && shared.senders.decrementAndGet() == 0) {
                shared.txClosed = true;
                shared.wakeReceiver();
            }
        }
    }

    /**
     * Room for one message, reserved by {@link Sender#reserve()}.
     *
     * {@snippet :
     * var p = tx.reserve();
     * p.send(msg); // never parks
     * }
     *
     * @param <T> the message type
     */
    public static final class Permit<T> implements AutoCloseable {
        private Shared<T> shared;

        Permit(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Sends through the reserved room; never parks.
         *
         * {@snippet :
         * permit.send("x");
         * }
         *
         * @param value the message, not null
         * @throws IllegalStateException if the permit was already used or closed
         * @throws SendException holding the message if the receiver closed meanwhile
         */
        public void send(T value) {
            Objects.requireNonNull(value, "Mpsc messages must not be null");
            Shared<T> s = take();
            if (!s.sendReserved(value)) {
                throw new SendException("mpsc receiver closed", value);
            }
        }

        private synchronized Shared<T> take() {
            Shared<T> s = shared;
            if (s == null) {
                throw new IllegalStateException("permit already used");
            }
            shared = null;
            return s;
        }

        /**
         * Gives the reserved room back if unused. Idempotent.
         *
         * {@snippet :
         * permit.close();
         * }
         */
        @Override
        public void close() {
            Shared<T> s;
            synchronized (this) {
                s = shared;
                shared = null;
            }
            if (s != null) {
                s.unreserve();
            }
        }
    }

    /**
     * The receiving end. One task receives at a time: do not call {@code recv} from two tasks at once.
     *
     * <h2>Example</h2>
     * {@snippet :
     * String msg;
     * while ((msg = rx.recv()) != null) {
     *     handle(msg);
     * }
     * }
     *
     * @param <T> the message type
     */
    public static final class Receiver<T> implements AutoCloseable, Iterable<T> {
        private final Shared<T> shared;

        Receiver(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Parks until a message arrives and returns it; returns null once the channel has ended (every
         * sender closed, or this receiver closed) and is drained.
         *
         * {@snippet :
         * var msg = rx.recv();
         * }
         *
         * @return the message, or null at the end
         * @throws io.weft.task.CancelledException if the calling task is aborted while parked (no
         *     message is lost)
         */
        public T recv() {
            return recv(0, null);
        }

        /**
         * Parks at most {@code timeout} for a message.
         *
         * {@snippet :
         * try {
         *     var msg = rx.recv(Duration.ofSeconds(1));
         * } catch (ElapsedException e) {
         *     heartbeat();
         * }
         * }
         *
         * @param timeout the longest wait
         * @return the message, or null at the end of the channel
         * @throws ElapsedException if no message came in time
         */
        public T recv(Duration timeout) {
            return recv(Waits.deadline(timeout), timeout);
        }

        private T recv(long deadline, Duration timeout) {
            final Shared<T> s = shared;
            T v = s.poll();
            if (v != null || s.ended()) {
                Coop.proceed();
                return v != null ? v : s.poll();
            }
            Waiter w = null;
            for (;;) {
                if (s.ended()) {
                    return s.poll(); // null once drained
                }
                Waits.checkCancelled("Mpsc.Receiver.recv");
                if (w == null || w.parker.fired() != null) {
                    w = new Waiter(new Parker());
                }
                s.rxWaiter = w;
                v = s.poll();
                if (v != null) {
                    Shared.RX_WAITER.compareAndSet(s, w, null);
                    return v;
                }
                if (s.ended()) {
                    Shared.RX_WAITER.compareAndSet(s, w, null);
                    return s.poll();
                }
                if (w.parker.await(deadline) == null) {
                    Shared.RX_WAITER.compareAndSet(s, w, null);
                    w.parker.cancel();
                    v = s.poll();
                    if (v != null) {
                        return v;
                    }
                    if (Waits.interrupted()) {
                        throw Waits.cancelled("Mpsc.Receiver.recv");
                    }
                    if (s.ended()) {
                        return s.poll();
                    }
                    throw new ElapsedException("no mpsc message within " + timeout);
                }
                v = s.poll();
                if (v != null) {
                    return v;
                }
            }
        }

        /**
         * Takes a message if one is queued; never parks.
         *
         * {@snippet :
         * var msg = rx.tryRecv();
         * if (msg == null && rx.isClosed()) return;
         * }
         *
         * @return the message, or null if none is queued
         * @throws ClosedException if every sender is closed and the channel is drained
         */
        public T tryRecv() {
            Shared<T> s = shared;
            T v = s.poll();
            if (v == null && s.ended()) {
                v = s.poll();
                if (v == null) {
                    throw new ClosedException("mpsc channel closed and drained");
                }
            }
            return v;
        }

        /**
         * Parks until at least one message is queued, then moves up to {@code limit} into {@code buffer}.
         *
         * {@snippet :
         * var batch = new ArrayList<Event>();
         * while (rx.recvMany(batch, 64) > 0) {
         *     write(batch);
         *     batch.clear();
         * }
         * }
         *
         * @param buffer receives the messages
         * @param limit the most to move, at least 1
         * @return how many were added; 0 only at the end of the channel
         */
        public int recvMany(List<T> buffer, int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be at least 1: " + limit);
            }
            T first = recv();
            if (first == null) {
                return 0;
            }
            buffer.add(first);
            int n = 1;
            T v;
            while (n < limit && (v = shared.poll()) != null) {
                buffer.add(v);
                n++;
            }
            return n;
        }

        /**
         * {@return true once every sender is closed (messages may still be queued)}
         *
         * {@snippet :
         * boolean ended = rx.isClosed() && rx.isEmpty();
         * }
         */
        public boolean isClosed() {
            return shared.txClosed || shared.rxClosed;
        }

        /**
         * {@return true if no message is queued}
         *
         * {@snippet :
         * if (rx.isEmpty()) idle();
         * }
         */
        public boolean isEmpty() {
            return shared.queue.isEmpty();
        }

        /**
         * {@return the number of queued messages (a snapshot)}
         *
         * {@snippet :
         * int backlog = rx.size();
         * }
         */
        public int size() {
            return shared.queue.size();
        }

        /**
         * Closes the receiver: every later send, and every sender parked on a full channel, fails with
         * {@link SendException}. Queued messages can still be received; a {@code recv} parked on another
         * thread returns them, then null. Idempotent.
         *
         * {@snippet :
         * rx.close();
         * }
         */
        @Override
        public void close() {
            shared.closeReceiver();
        }

        /**
         * {@return an iterator that parks in {@code next()}/{@code hasNext()} until the channel ends}
         *
         * {@snippet :
         * for (var msg : rx) handle(msg);
         * }
         */
        @Override
        public Iterator<T> iterator() {
            // Stream's iterator over recv; the no-op close keeps this receiver open when iteration stops.
            return io.weft.stream.Stream.<T>fromPull(this::recv, () -> { }).iterator();
        }

        /**
         * {@return this receiver as a {@link io.weft.stream.Stream}} [tokio-stream: {@code ReceiverStream}].
         * {@code next()} is {@link #recv()}: it parks for the next message and returns null once the
         * channel has ended. Closing the stream closes this receiver, so senders get
         * {@link SendException}.
         *
         * {@snippet :
         * try (var s = rx.stream()) {
         *     s.filter(m -> !m.isBlank()).forEach(System.out::println);
         * }
         * }
         */
        public io.weft.stream.Stream<T> stream() {
            return io.weft.stream.Stream.fromPull(this::recv, this::close);
        }

        SelectArm arm(Object[] out) {
            return new SelectArm() {
                @Override
                public boolean poll(Waiter claimed) {
                    Shared<T> s = shared;
                    T v = s.poll();
                    if (v == null && s.ended()) {
                        v = s.poll();
                        if (v == null) {
                            out[0] = null; // the end of the channel
                            return true;
                        }
                    }
                    if (v != null) {
                        out[0] = v;
                        return true;
                    }
                    return false;
                }

                @Override
                public void register(Waiter w) {
                    shared.rxWaiter = w;
                }

                @Override
                public void deregister(Waiter w) {
                    Shared.RX_WAITER.compareAndSet(shared, w, null);
                }
            };
        }
    }
}
