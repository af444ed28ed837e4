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
import java.util.Objects;

/**
 * A channel for a single value, from one sender to one receiver [Tokio: {@code sync::oneshot}].
 *
 * <p>Typically used to send the result of a computation to whoever waits for it.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var ch = Oneshot.<String>channel();
 * Task.spawn(() -> ch.sender().send(compute()));
 * String v = ch.receiver().recv();   // parks until sent
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@link Receiver#recv()} throws
 * {@link io.weft.task.CancelledException}; the value, if it arrives, stays in the channel and a
 * later {@code recv} (or {@code tryRecv}) returns it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code send} happen-before the return of the {@code recv} that receives the value.
 */
public final class Oneshot {
    private Oneshot() {}

    /**
     * {@return a new channel}
     *
     * {@snippet :
     * Oneshot.Channel<Integer> ch = Oneshot.channel();
     * }
     *
     * @param <T> the value type
     */
    public static <T> Channel<T> channel() {
        Shared<T> s = new Shared<>();
        return new Channel<>(new Sender<>(s), new Receiver<>(s));
    }

    /**
     * Both ends of a new oneshot channel.
     *
     * {@snippet :
     * var ch = Oneshot.<String>channel();
     * var tx = ch.sender();
     * var rx = ch.receiver();
     * }
     *
     * @param sender the sending end
     * @param receiver the receiving end
     * @param <T> the value type
     */
    public record Channel<T>(Sender<T> sender, Receiver<T> receiver) {}

    /*
     * Implementation overview
     *
     * State word (state): EMPTY -> SENT | SENDER_CLOSED, and RX_CLOSED may be set at any time by the
     *   receiver. The value is written before the CAS that sets SENT (release), read after a volatile
     *   read that sees SENT (acquire).
     * Waiting: the receiver publishes its Waiter in rxWaiter (volatile), then re-reads state; the
     *   sender CASes state, then swaps rxWaiter to null and claims what it found. Both sides are
     *   sequentially consistent, so the receiver either sees the value or is woken.
     * Progress: wait-free except for the parked receiver.
     */
    static final class Shared<T> {
        static final int EMPTY = 0;
        static final int SENT = 1;
        static final int SENDER_CLOSED = 2;
        static final int RX_CLOSED = 4;

        private static final VarHandle STATE;
        private static final VarHandle RX_WAITER;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                STATE = l.findVarHandle(Shared.class, "state", int.class);
                RX_WAITER = l.findVarHandle(Shared.class, "rxWaiter", Waiter.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        volatile int state;
        volatile Waiter rxWaiter;
        T value;
        boolean taken;

        void wakeReceiver() {
            Waiter w = (Waiter) RX_WAITER.getAndSet(this, null);
            if (w != null) {
                w.claim();
            }
        }

        static final int DONE = 0;
        static final int ALREADY_USED = 1;
        static final int RECEIVER_GONE = 2;

        /**
         * Sets SENT or SENDER_CLOSED with one CAS; that CAS alone decides the outcome, so a send that
         * races with the receiver closing either delivers or is refused, never both.
         *
         * @param bit SENT or SENDER_CLOSED
         * @return DONE, ALREADY_USED (sent or closed before), or RECEIVER_GONE (only for SENT)
         */
        int complete(int bit) {
            for (;;) {
                int s = state;
                if ((s & (SENT | SENDER_CLOSED)) != 0) {
                    return ALREADY_USED;
                }
                if (bit == SENT && (s & RX_CLOSED) != 0) {
                    return RECEIVER_GONE;
                }
                if (STATE.compareAndSet(this, s, s | bit)) {
                    wakeReceiver();
                    return DONE;
                }
            }
        }

        boolean rxClosed() {
            return (state & RX_CLOSED) != 0;
        }

        void closeRx() {
            for (;;) {
                int s = state;
                if ((s & RX_CLOSED) != 0 || STATE.compareAndSet(this, s, s | RX_CLOSED)) {
                    return;
                }
            }
        }

        boolean register(Waiter w) {
            rxWaiter = w;
            return true;
        }

        void deregister(Waiter w) {
            RX_WAITER.compareAndSet(this, w, null);
        }
    }

    /**
     * The sending end: sends at most one value.
     *
     * <h2>Example</h2>
     * {@snippet :
     * tx.send("done");
     * }
     *
     * @param <T> the value type
     */
    public static final class Sender<T> implements AutoCloseable {
        private final Shared<T> shared;

        Sender(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Sends the value; never parks.
         *
         * {@snippet :
         * tx.send(42);
         * }
         *
         * @param value the value, not null
         * @throws SendException holding the value if the receiver is closed
         * @throws IllegalStateException if a value was already sent or the sender closed
         */
        public void send(T value) {
            Objects.requireNonNull(value, "Oneshot values must not be null");
            Shared<T> s = shared;
            if (s.rxClosed()) {
                throw new SendException("oneshot receiver closed", value);
            }
            int st = s.state;
            if ((st & (Shared.SENT | Shared.SENDER_CLOSED)) != 0) {
                throw new IllegalStateException("oneshot sender already used");
            }
            s.value = value;
            switch (s.complete(Shared.SENT)) {
                case Shared.DONE -> { }
                case Shared.RECEIVER_GONE -> {
                    s.value = null;
                    throw new SendException("oneshot receiver closed", value);
                }
                default -> {
                    s.value = null;
                    throw new IllegalStateException("oneshot sender already used");
                }
            }
        }

        /**
         * {@return true once the receiver is closed: a value sent now would be refused}
         *
         * {@snippet :
         * if (tx.isClosed()) return; // nobody listens any more
         * }
         */
        public boolean isClosed() {
            return shared.rxClosed();
        }

        /**
         * Closes the sender without sending; the receiver's {@code recv} throws {@link ClosedException}.
         * No effect after a send. Idempotent.
         *
         * {@snippet :
         * tx.close();
         * }
         */
        @Override
        public void close() {
            shared.complete(Shared.SENDER_CLOSED);
        }
    }

    /**
     * The receiving end.
     *
     * <h2>Example</h2>
     * {@snippet :
     * String v = rx.recv();
     * }
     *
     * @param <T> the value type
     */
    public static final class Receiver<T> implements AutoCloseable {
        private final Shared<T> shared;

        Receiver(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Parks until the value arrives and returns it.
         *
         * {@snippet :
         * int v = rx.recv();
         * }
         *
         * @return the value
         * @throws ClosedException if the sender closed without sending, or the value was already received
         * @throws io.weft.task.CancelledException if the calling task is aborted while parked
         */
        public T recv() {
            return await(0, null);
        }

        /**
         * Parks at most {@code timeout} for the value.
         *
         * {@snippet :
         * var v = rx.recv(Duration.ofSeconds(1));
         * }
         *
         * @param timeout the longest wait
         * @return the value
         * @throws ElapsedException if the time ran out (the value may still come: call again)
         * @throws ClosedException if the sender closed without sending
         */
        public T recv(Duration timeout) {
            return await(Waits.deadline(timeout), timeout);
        }

        /**
         * Returns the value if it has arrived; never parks.
         *
         * {@snippet :
         * Integer v = rx.tryRecv();
         * if (v == null) System.out.println("not yet");
         * }
         *
         * @return the value, or null if not sent yet
         * @throws ClosedException if the sender closed without sending, or the value was already received
         */
        public T tryRecv() {
            Shared<T> s = shared;
            int st = s.state;
            if ((st & Shared.SENT) != 0) {
                return take();
            }
            if ((st & Shared.SENDER_CLOSED) != 0) {
                throw new ClosedException("oneshot sender closed without sending");
            }
            return null;
        }

        private T take() {
            Shared<T> s = shared;
            if (s.taken) {
                throw new ClosedException("oneshot value already received");
            }
            s.taken = true;
            T v = s.value;
            s.value = null;
            return v;
        }

        private T await(long deadline, Duration timeout) {
            T v = tryRecv();
            if (v != null) {
                Coop.proceed();
                return v;
            }
            Shared<T> s = shared;
            Waiter w = new Waiter(new Parker());
            for (;;) {
                Waits.checkCancelled("Oneshot.recv");
                s.register(w);
                v = tryRecv();
                if (v != null) {
                    s.deregister(w);
                    return v;
                }
                Waiter fired = w.parker.await(deadline);
                if (fired == null) {
                    s.deregister(w);
                    w.parker.cancel();
                    v = tryRecv();
                    if (v != null) {
                        return v;
                    }
                    if (Waits.interrupted()) {
                        throw Waits.cancelled("Oneshot.recv");
                    }
                    throw new ElapsedException("no oneshot value within " + timeout);
                }
                v = tryRecv();
                if (v != null) {
                    return v;
                }
                w = new Waiter(new Parker());
            }
        }

        /**
         * Closes the receiver: a later {@code send} fails with {@link SendException}. A value already
         * sent can still be taken with {@link #tryRecv()}. Idempotent.
         *
         * {@snippet :
         * rx.close();
         * }
         */
        @Override
        public void close() {
            shared.closeRx();
        }

        SelectArm arm(Object[] out) {
            return new SelectArm() {
                @Override
                public boolean poll(Waiter claimed) {
                    Shared<T> s = shared;
                    int st = s.state;
                    if ((st & Shared.SENT) != 0 && !s.taken) {
                        out[0] = take();
                        return true;
                    }
                    if ((st & (Shared.SENT | Shared.SENDER_CLOSED)) != 0) {
                        out[0] = null; // closed without a value (or already taken)
                        return true;
                    }
                    return false;
                }

                @Override
                public void register(Waiter w) {
                    shared.register(w);
                }

                @Override
                public void deregister(Waiter w) {
                    shared.deregister(w);
                }
            };
        }
    }
}
