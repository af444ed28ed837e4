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
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
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
 * A sender aborted while parked on a full channel throws {@link io.weft.task.CancelledException};
 * its message was not sent and the capacity it was promised passes to the next sender. A receiver
 * aborted in {@code recv} loses no message: the next {@code recv} gets it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code send} happen-before the {@code recv} that receives that message.
 */
public final class Mpsc {
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
     *   array of the next power of two for a bounded channel, linked chunks for an unbounded one). One
     *   word, state, admits them: (messages admitted and not yet released) << 1 | CLOSED, where CLOSED
     *   means the receiver has closed. A send first admits its message with one atomic on state (a CAS
     *   that fails on CLOSED or, when bounded, on a full count; an XADD for an unbounded channel, undone
     *   if it finds CLOSED), then offers it to the queue and, if the receiver published a Waiter in
     *   rxWaiter, swaps it out and claims it. Admission is the linearization point: a message admitted
     *   before the receiver closed is delivered, one that finds CLOSED is refused (SendException).
     * Release: a bounded channel's receiver subtracts one from state per message taken (capacity comes
     *   back at once, as Tokio's permit); an unbounded one only counts what it took (consumed, a plain
     *   field of the single consumer), since nothing waits for that capacity.
     * Full bounded channel: the sender queues a SendWaiter holding its message under the monitor
     *   (FIFO; a sender that finds waiters queued takes the slow path too, so nobody overtakes them),
     *   and whoever frees room (the receiver's release, or the sender's own re-check after queueing)
     *   runs assign(): admit for the head waiter, claim its parker, push its message for it, mark it
     *   delivered, unpark it. The message is in the queue before the sender learns it was sent, so a
     *   sender that then closes cannot end the channel ahead of its own message. A waiter woken by a
     *   spurious unpark between the claim and the push spins on delivered (the assigner is running and
     *   holds the monitor). Releasers write state (an atomic RMW) and then read waiterCount; waiters
     *   write waiterCount under the monitor and then read state in assign(): one of them sees the other.
     * Receiver close: sets CLOSED under the monitor and fails every queued sender (its message goes back
     *   in the SendException). The channel has then ended once the messages admitted and not released,
     *   less held Permits (reserved), reach zero: nothing queued and no admitted send on its way into the
     *   queue (a few instructions from done; it never parks there). No admission succeeds after CLOSED,
     *   so that count only falls. A Permit's send decrements reserved before it reads CLOSED, so a
     *   permit send racing with close is either refused or waited for.
     * Waiting receiver: publish Waiter (volatile write), re-poll the queue (volatile read of the
     *   producer index), park. Sender: offer (a CAS of the producer index), then volatile read of
     *   rxWaiter. All sequentially consistent: the receiver sees the message or is woken.
     * Per message, a send costs one atomic on state and one on the queue's producer index; a bounded
     *   receive one atomic on state, an unbounded one none.
     * Progress: send on a non-full channel and recv on a non-empty one are lock-free.
     */
    static final class Shared<T> {
        private static final VarHandle RX_WAITER;
        private static final VarHandle STATE;
        private static final long CLOSED = 1;
        private static final long ONE = 2;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                RX_WAITER = l.findVarHandle(Shared.class, "rxWaiter", Waiter.class);
                STATE = l.findVarHandle(Shared.class, "state", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final MessagePassingQueue<T> queue;
        final int bound; // 0 when unbounded
        final AtomicInteger senders = new AtomicInteger(1);
        /** Reserved Permits not yet used or closed: admitted, but not owed to the receiver. */
        final AtomicInteger reserved = new AtomicInteger();
        /** Messages admitted and not released, shifted left by one; bit 0 is CLOSED. */
        @SuppressWarnings("unused") private volatile long state;
        /** Unbounded only: messages the (single) receiver has taken. */
        private long consumed;
        volatile boolean txClosed;
        volatile Waiter rxWaiter;
        /** Bounded only: senders parked on a full channel, FIFO; guarded by this object's monitor. */
        private final WaitList sendWaiters;
        private volatile int sendWaiterCount;

        Shared(int bound) {
            this.bound = bound;
            if (bound > 0) {
                int cap = Math.max(2, Integer.highestOneBit(Math.max(1, bound - 1)) << 1);
                this.queue = new MpscVarHandleArrayQueue<>(cap);
                this.sendWaiters = new WaitList();
            } else {
                this.queue = new MpscUnboundedVarHandleArrayQueue<>(256);
                this.sendWaiters = null;
            }
        }

        boolean rxClosed() {
            return (state & CLOSED) != 0;
        }

        /**
         * Admits one message without parking.
         *
         * @param queueBehindWaiters whether to refuse while senders wait (fairness), so they are not overtaken
         * @return 1 admitted, 0 full (or waiters queued), -1 the receiver is closed
         */
        int tryAdmit(boolean queueBehindWaiters) {
            if (bound == 0) {
                long prev = (long) STATE.getAndAdd(this, ONE);
                if ((prev & CLOSED) != 0) {
                    STATE.getAndAdd(this, -ONE);
                    return -1;
                }
                return 1;
            }
            for (;;) {
                long st = state;
                if ((st & CLOSED) != 0) {
                    return -1;
                }
                if ((st >>> 1) >= bound || (queueBehindWaiters && sendWaiterCount != 0)) {
                    return 0;
                }
                if (STATE.weakCompareAndSet(this, st, st + ONE)) {
                    return 1;
                }
            }
        }

        /** Offers an admitted message and wakes the receiver if it waits. */
        void push(T v) {
            if (!queue.offer(v)) {
                // Cannot happen: admission keeps at most `bound` <= queue capacity messages.
                throw new IllegalStateException("mpsc queue over capacity");
            }
            Waiter w = rxWaiter;
            if (w != null && RX_WAITER.compareAndSet(this, w, null)) {
                w.claim();
            }
        }

        /** Gives one admitted message's room back (taken, refused after admission, or a Permit closed unused). */
        void release() {
            STATE.getAndAdd(this, -ONE);
            if (sendWaiterCount != 0) {
                synchronized (this) {
                    assign();
                }
            }
        }

        /**
         * Parks until the message (or, for {@code value == null}, a reservation) is admitted.
         *
         * @return true once admitted (and, for a message, queued); false on timeout
         * @throws ClosedException if the receiver closed first
         */
        boolean admitSlow(T value, long deadline, String where) {
            SendWaiter w = new SendWaiter(new Parker(), value);
            synchronized (this) {
                if (rxClosed()) {
                    throw new ClosedException("mpsc receiver closed");
                }
                sendWaiters.addLast(w);
                sendWaiterCount++;
                assign();
            }
            Waiter f = w.parker.await(deadline);
            if (f == null && w.parker.cancel() == null) {
                // Gave up before anybody admitted it: leave the queue; the message was not sent.
                synchronized (this) {
                    if (sendWaiters.remove(w)) {
                        sendWaiterCount--;
                    }
                }
                if (Waits.interrupted()) {
                    throw Waits.cancelled(where);
                }
                return false;
            }
            // Claimed: admitted (message queued for us) or refused by close.
            while (!w.settled) {
                Thread.onSpinWait(); // the assigner holds the monitor and is a few instructions away
            }
            if (w.refused) {
                throw new ClosedException("mpsc receiver closed while waiting in " + where);
            }
            return true;
        }

        /** Admits for waiters in FIFO order while there is room; under the monitor. */
        private void assign() {
            Waiter head;
            while ((head = sendWaiters.peekFirst()) != null) {
                long st = state;
                if ((st & CLOSED) != 0 || (st >>> 1) >= bound) {
                    return;
                }
                if (!STATE.compareAndSet(this, st, st + ONE)) {
                    continue;
                }
                sendWaiters.remove(head);
                sendWaiterCount--;
                SendWaiter w = (SendWaiter) head;
                if (!w.parker.tryClaim(w)) {
                    STATE.getAndAdd(this, -ONE); // it gave up concurrently: its room goes to the next
                    continue;
                }
                @SuppressWarnings("unchecked") T v = (T) w.value;
                if (v != null) {
                    push(v);
                } else {
                    reserved.incrementAndGet();
                }
                w.settled = true;
                LockSupport.unpark(w.parker.thread());
            }
        }

        /** Wakes the receiver if it is parked (or about to park) in recv. */
        void wakeReceiver() {
            Waiter w = (Waiter) RX_WAITER.getAndSet(this, null);
            if (w != null) {
                w.claim();
            }
        }

        /** Receiver close: no admission succeeds from now on; queued senders are refused. */
        void closeReceiver() {
            if (rxClosed()) {
                return;
            }
            synchronized (this) {
                STATE.getAndBitwiseOr(this, CLOSED);
                if (sendWaiters != null) {
                    Waiter head;
                    while ((head = sendWaiters.pollFirst()) != null) {
                        sendWaiterCount--;
                        SendWaiter w = (SendWaiter) head;
                        if (w.parker.tryClaim(w)) {
                            w.refused = true;
                            w.settled = true;
                            LockSupport.unpark(w.parker.thread());
                        }
                    }
                }
            }
            // A recv parked on another thread (a stream closed from outside its consumer) must see the
            // end: nothing else would wake it once the senders' sends start failing.
            wakeReceiver();
        }

        /**
         * {@return true once no message can arrive any more: every sender closed, or the receiver closed
         * and no admitted message is on its way into the queue} False if a message is (now) queued.
         */
        boolean ended() {
            if (txClosed) {
                return true;
            }
            if (!rxClosed()) {
                return false;
            }
            // An admitted send between its admission and its offer is a few instructions from done (it
            // never parks there): wait for it, so that its outcome is settled before we report the end.
            // This keeps tryRecv linearizable with respect to close (checked with Lincheck).
            for (;;) {
                long owed = ((long) STATE.getVolatile(this) >>> 1) - consumed - reserved.get();
                if (owed <= 0) {
                    return true;
                }
                if (!queue.isEmpty()) {
                    return false;
                }
                Thread.onSpinWait();
            }
        }

        T poll() {
            T v = queue.poll();
            if (v != null) {
                if (bound > 0) {
                    release();
                } else {
                    consumed++;
                }
            }
            return v;
        }
    }

    /** A sender (or a reservation, with no message) parked on a full channel. */
    private static final class SendWaiter extends Waiter {
        /** Written by the assigner or the closer after its claim; read by the waiter after it. */
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
            int admitted = s.tryAdmit(true);
            if (admitted > 0) {
                s.push(value);
                Coop.proceed();
                return;
            }
            if (admitted < 0) {
                throw new SendException("mpsc receiver closed", value);
            }
            boolean sent;
            try {
                sent = s.admitSlow(value, deadline, "Mpsc.Sender.send"); // queued for us if true
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
            Shared<T> s = shared;
            int admitted = s.tryAdmit(true);
            if (admitted > 0) {
                s.push(value);
                return TrySendResult.SENT;
            }
            return admitted < 0 ? TrySendResult.CLOSED : TrySendResult.FULL;
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
            int admitted = s.tryAdmit(true);
            if (admitted < 0) {
                throw new ClosedException("mpsc receiver closed");
            }
            if (admitted > 0) {
                s.reserved.incrementAndGet();
            } else {
                s.admitSlow(null, 0, "Mpsc.Sender.reserve"); // counts the reservation if it returns
                if (Waits.interrupted()) {
                    // Admitted just as we were aborted: give the room to the next sender.
                    s.reserved.decrementAndGet();
                    s.release();
                    throw Waits.cancelled("Mpsc.Sender.reserve");
                }
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
            return shared.rxClosed();
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
            // Stop counting as reserved before looking at CLOSED: a receiver closing meanwhile then waits
            // for this message (or its refusal) instead of ending without it.
            s.reserved.decrementAndGet();
            if (s.rxClosed()) {
                s.release();
                throw new SendException("mpsc receiver closed", value);
            }
            s.push(value);
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
                s.reserved.decrementAndGet();
                s.release();
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
            return shared.txClosed || shared.rxClosed();
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
            return new Iterator<>() {
                private T next;
                private boolean done;

                @Override
                public boolean hasNext() {
                    if (next != null) {
                        return true;
                    }
                    if (done) {
                        return false;
                    }
                    next = recv();
                    done = next == null;
                    return !done;
                }

                @Override
                public T next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException("channel closed");
                    }
                    T v = next;
                    next = null;
                    return v;
                }
            };
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
