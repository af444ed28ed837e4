package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
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
     * Algorithm (after Tokio's chan.rs + bounded semaphore): messages live in a JCTools MPSC queue
     *   (an array of the next power of two for a bounded channel, whose capacity the semaphore
     *   enforces exactly; linked chunks for an unbounded one). A bounded send first takes one permit
     *   from a Weft Semaphore of `capacity` permits (parking, FIFO, while full); the receiver gives
     *   the permit back after taking the message. After enqueueing, a sender swaps the receiver's
     *   published Waiter out of rxWaiter and claims it.
     * Waiting receiver: publish Waiter (volatile write), re-poll the queue (volatile read of the
     *   producer index), park. Sender: offer (a CAS of the producer index), then volatile read of
     *   rxWaiter. All sequentially consistent: the receiver sees the message or is woken.
     * Closing: senders counts live Sender handles; the last close sets txClosed and wakes the
     *   receiver. Receiver close sets rxClosed and closes the semaphore, failing parked senders.
     * Progress: send on a non-full channel and recv on a non-empty one are lock-free.
     */
    static final class Shared<T> {
        private static final VarHandle RX_WAITER;

        static {
            try {
                RX_WAITER = MethodHandles.lookup().findVarHandle(Shared.class, "rxWaiter", Waiter.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final MessagePassingQueue<T> queue;
        final Semaphore capacity; // null when unbounded
        final int bound;
        final AtomicInteger senders = new AtomicInteger(1);
        /**
         * Sends between their rxClosed check and their push. After Receiver.close() the channel ends
         * only once this is zero and the queue is empty, so a send told SENT is always receivable
         * (Tokio waits for its semaphore to be idle the same way). A single atomic, not a striped
         * counter: a LongAdder's sum is not a snapshot, and could read zero while a send is in flight.
         */
        final AtomicInteger inFlight = new AtomicInteger();
        volatile boolean txClosed;
        volatile boolean rxClosed;
        volatile Waiter rxWaiter;

        Shared(int bound) {
            this.bound = bound;
            if (bound > 0) {
                int cap = Math.max(2, Integer.highestOneBit(Math.max(1, bound - 1)) << 1);
                this.queue = new MpscVarHandleArrayQueue<>(cap);
                this.capacity = new Semaphore(bound);
            } else {
                this.queue = new MpscUnboundedVarHandleArrayQueue<>(256);
                this.capacity = null;
            }
        }

        void push(T v) {
            if (!queue.offer(v)) {
                // Cannot happen: the semaphore admits at most `bound` <= queue capacity messages.
                throw new IllegalStateException("mpsc queue over capacity");
            }
            Waiter w = rxWaiter;
            if (w != null && RX_WAITER.compareAndSet(this, w, null)) {
                w.claim();
            }
        }

        /**
         * Pushes unless the receiver has closed. Counted in inFlight from before the check to after the
         * push: a receiver that closed (rxClosed written, then inFlight summed) either sees this send
         * in flight and waits for its message, or this send sees rxClosed and is refused.
         */
        boolean pushUnlessClosed(T v) {
            inFlight.getAndIncrement();
            try {
                if (rxClosed) {
                    if (capacity != null) {
                        capacity.release(1);
                    }
                    return false;
                }
                push(v);
                return true;
            } finally {
                inFlight.getAndDecrement();
                if (rxClosed) {
                    wakeReceiver(); // a closed receiver may be parked waiting for in-flight sends to settle
                }
            }
        }

        void wakeReceiver() {
            Waiter w = (Waiter) RX_WAITER.getAndSet(this, null);
            if (w != null) {
                w.claim();
            }
        }

        /**
         * {@return true once no message can arrive any more: every sender closed, or the receiver closed
         * and no send is between its check and its push}
         */
        boolean ended() {
            if (txClosed) {
                return true;
            }
            if (!rxClosed) {
                return false;
            }
            // A send between its check and its push is a few instructions from done (it never parks
            // there): wait for it, so that its outcome (pushed, or refused) is settled before we report
            // the end. This keeps tryRecv linearizable with respect to close (checked with Lincheck).
            while (inFlight.get() != 0) {
                Thread.onSpinWait();
            }
            return true;
        }

        T poll() {
            T v = queue.poll();
            if (v != null && capacity != null) {
                capacity.release(1);
            }
            return v;
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
            if (s.rxClosed) {
                throw new SendException("mpsc receiver closed", value);
            }
            if (s.capacity != null) {
                try {
                    if (!s.capacity.acquireRaw(1, deadline, "Mpsc.Sender.send")) {
                        throw new ElapsedException("mpsc channel full for " + timeout);
                    }
                } catch (ClosedException e) {
                    throw new SendException("mpsc receiver closed", value);
                }
            }
            if (!s.pushUnlessClosed(value)) {
                throw new SendException("mpsc receiver closed", value);
            }
            if (s.capacity == null) {
                Coop.proceed(); // a bounded send already spent budget in the semaphore
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
            if (s.rxClosed) {
                return TrySendResult.CLOSED;
            }
            if (s.capacity != null) {
                try {
                    if (s.capacity.tryAcquireMany(1) == null) {
                        return TrySendResult.FULL;
                    }
                } catch (ClosedException e) {
                    return TrySendResult.CLOSED;
                }
            }
            return s.pushUnlessClosed(value) ? TrySendResult.SENT : TrySendResult.CLOSED;
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
            if (s.rxClosed) {
                throw new ClosedException("mpsc receiver closed");
            }
            if (s.capacity != null) {
                s.capacity.acquireRaw(1, 0, "Mpsc.Sender.reserve");
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
            if (!s.pushUnlessClosed(value)) {
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
            if (s != null && s.capacity != null) {
                s.capacity.release(1);
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
            Shared<T> s = shared;
            if (!s.rxClosed) {
                s.rxClosed = true;
                if (s.capacity != null) {
                    s.capacity.close();
                }
                // A recv parked on another thread (a stream closed from outside its consumer) must see
                // the end: nothing else would wake it once the senders' sends start failing.
                s.wakeReceiver();
            }
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
