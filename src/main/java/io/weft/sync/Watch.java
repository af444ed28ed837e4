package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A single-value channel: one sender publishes the latest value, many receivers see it and are told
 * when it changes [Tokio: {@code sync::watch}].
 *
 * <p>{@link #channel(Object)} makes a channel holding {@code initial}. {@link Sender#send(Object)}
 * replaces the value; receivers do not queue values, they {@link Receiver#borrow()} the latest one
 * whenever they like, and {@link Receiver#changed()} parks until there is a value newer than the last
 * one they marked seen. Sends <em>coalesce</em>: ten sends before a receiver looks are one change to
 * it, and it sees only the tenth value. This is the channel for configuration, state and progress,
 * where only the latest value matters.
 *
 * <p>Each receiver remembers the version it has seen. {@code changed()}, {@link
 * Receiver#borrowAndUpdate()} and {@link Receiver#waitFor(Predicate)} mark the current value seen;
 * {@code borrow()} does not. The initial value, and the current value at {@link Sender#subscribe()},
 * count as seen. When the sender is closed, {@code changed()} still reports a last unseen value, and
 * then throws {@link ClosedException}. Values are never null.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var ch = Watch.channel("starting");
 * var tx = ch.sender();
 * var rx = ch.receiver();
 * Task.spawn(() -> {
 *     try {
 *         while (true) {
 *             rx.changed();                        // parks until a new state
 *             System.out.println("state: " + rx.borrow());
 *         }
 *     } catch (ClosedException e) {
 *         return null;                             // the sender went away
 *     }
 * });
 * tx.send("ready");
 * tx.send("serving");                              // the receiver may see only this one
 * tx.close();
 * }
 *
 * <h2>Cancellation</h2>
 * {@code changed()} is cancel-safe: a task aborted while parked in it throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status) without marking anything
 * seen, so the next {@code changed()} reports the change the aborted one would have.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before a {@code send} (or {@code sendReplace}, {@code sendModify}) happen-before the
 * actions after any {@code borrow}, {@code borrowAndUpdate}, {@code changed} or {@code waitFor}
 * that observes that value or a later one.
 */
public final class Watch {
    /*
     * Implementation overview
     *
     * Algorithm (after Tokio's watch): one volatile reference to an immutable State(value, version,
     *   closed). Tokio packs version and the closed bit into one atomic word so that "new value" and
     *   "closed" are read together; an immutable State does the same for the value too. Every
     *   write (send, sendReplace, sendModify, close) happens under the Shared monitor: read the
     *   current State, publish a successor, claim every parked receiver. A receiver keeps the
     *   version it has seen; changed() returns once State.version differs from it (a new value wins
     *   over closed, as in Tokio), else throws if closed, else registers under the monitor
     *   (re-checking the State there) and parks. Many sends between two looks are one change:
     *   coalescing is just comparing versions.
     * Receivers: a count under the monitor, for send's "no receivers" failure and Sender.closed(),
     *   whose waiters are claimed when the count reaches zero.
     * Memory ordering: the State is published by a volatile write and read by a volatile read; its
     *   fields are final.
     * Progress: borrow, hasChanged and the fast path of changed are wait-free; writers and the slow
     *   path take the monitor briefly and park on a Parker.
     * Cancellation: wake-ups hand nothing over (a receiver compares versions itself), so a waiter that
     *   gives up has nothing to pass on.
     */
    private Watch() {}

    /**
     * Creates a channel holding {@code initial}, with one sender and one receiver; the initial
     * value counts as seen by that receiver.
     *
     * {@snippet :
     * Watch.Channel<Config> ch = Watch.channel(Config.defaults());
     * }
     *
     * @param initial the first value
     * @param <T> the value type
     * @return the channel's sender and first receiver
     * @throws NullPointerException if {@code initial} is null
     */
    public static <T> Channel<T> channel(T initial) {
        Objects.requireNonNull(initial, "watch values cannot be null");
        Shared<T> shared = new Shared<>(initial);
        return new Channel<>(new Sender<>(shared), new Receiver<>(shared, 0));
    }

    /**
     * A new channel's sender and first receiver.
     *
     * <h2>Example</h2>
     * {@snippet :
     * var ch = Watch.channel(0);
     * ch.sender().send(1);
     * int v = ch.receiver().borrow();   // 1
     * }
     *
     * <h2>Cancellation</h2>
     * See {@link Watch}.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Watch}.
     *
     * @param sender the sender
     * @param receiver the first receiver
     * @param <T> the value type
     */
    public record Channel<T>(Sender<T> sender, Receiver<T> receiver) {}

    /** The published state: value, version and closed flag, read together. */
    private record State<T>(T value, long version, boolean closed) {}

    /** State shared by the sender and every receiver. */
    static final class Shared<T> {
        /** Written under this monitor; read anywhere. */
        volatile State<T> state;
        /** Guarded by this. */
        int receivers = 1;
        /** Receivers parked in changed() or waitFor(). Guarded by this. */
        final WaitList rxWaiters = new WaitList();
        /** Senders parked in closed(). Guarded by this. */
        final WaitList txWaiters = new WaitList();

        Shared(T initial) {
            this.state = new State<>(initial, 0, false);
        }

        /** Publishes a new value; under this monitor. */
        T publish(T value) {
            State<T> old = state;
            state = new State<>(value, old.version + 1, old.closed); // volatile: publishes value
            rxWaiters.claimAll();
            return old.value;
        }
    }

    /**
     * The sending side of a {@link Watch} channel [Tokio: {@code watch::Sender}].
     *
     * <p>Thread-safe: tasks may share one sender, and {@link #sendModify(UnaryOperator)} is atomic
     * with respect to other sends. The channel is closed when the sender is.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (var tx = ch.sender()) {
     *     tx.sendModify(cfg -> cfg.withTimeout(Duration.ofSeconds(5)));
     * } // receivers' changed() now throws ClosedException once they have seen the last value
     * }
     *
     * <h2>Cancellation</h2>
     * Only {@link #closed()} parks; see there.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Watch}.
     *
     * @param <T> the value type
     */
    public static final class Sender<T> implements AutoCloseable {
        private final Shared<T> shared;

        Sender(Shared<T> shared) {
            this.shared = shared;
        }

        /**
         * Publishes {@code value} and wakes the receivers, if there are any [Tokio: {@code send}].
         * With no receiver open the value is <em>not</em> stored and {@link SendException} is
         * thrown, as in Tokio; use {@link #sendReplace(Object)} to store it regardless.
         *
         * {@snippet :
         * try {
         *     tx.send(newConfig);
         * } catch (SendException e) {
         *     System.out.println("nobody is watching");
         * }
         * }
         *
         * @param value the new value
         * @throws SendException if every receiver is closed; it holds {@code value}
         * @throws NullPointerException if {@code value} is null
         * @throws IllegalStateException if this sender is closed
         */
        public void send(T value) {
            Objects.requireNonNull(value, "watch values cannot be null");
            final Shared<T> s = shared;
            synchronized (s) {
                checkOpen(s);
                if (s.receivers == 0) {
                    throw new SendException("watch channel has no receivers", value);
                }
                s.publish(value);
            }
        }

        /**
         * Publishes {@code value} whether or not anybody is watching, and returns the previous one
         * [Tokio: {@code send_replace}].
         *
         * {@snippet :
         * Config old = tx.sendReplace(newConfig);
         * }
         *
         * @param value the new value
         * @return the value it replaced
         * @throws NullPointerException if {@code value} is null
         * @throws IllegalStateException if this sender is closed
         */
        public T sendReplace(T value) {
            Objects.requireNonNull(value, "watch values cannot be null");
            final Shared<T> s = shared;
            synchronized (s) {
                checkOpen(s);
                return s.publish(value);
            }
        }

        /**
         * Replaces the value with {@code f} applied to it, atomically with respect to other sends,
         * and notifies the receivers, whether or not anybody is watching [Tokio: {@code send_modify}].
         * {@code f} runs while the sender's lock is held: keep it short and do not park in it. If it
         * throws, nothing changes.
         *
         * {@snippet :
         * tx.sendModify(n -> n + 1);   // concurrent increments are never lost
         * }
         *
         * @param f computes the new value from the current one; must not return null
         * @return the new value
         * @throws NullPointerException if {@code f} is null or returns null (nothing changes)
         * @throws IllegalStateException if this sender is closed
         */
        public T sendModify(UnaryOperator<T> f) {
            Objects.requireNonNull(f, "f");
            final Shared<T> s = shared;
            synchronized (s) {
                checkOpen(s);
                T v = Objects.requireNonNull(f.apply(s.state.value), "sendModify function returned null");
                s.publish(v);
                return v;
            }
        }

        private static void checkOpen(Shared<?> s) {
            if (s.state.closed) {
                throw new IllegalStateException("watch sender is closed");
            }
        }

        /**
         * {@return the current value}
         *
         * {@snippet :
         * var now = tx.borrow();
         * }
         */
        public T borrow() {
            return shared.state.value;
        }

        /**
         * {@return a new receiver; the current value counts as seen by it}
         *
         * {@snippet :
         * var rx2 = tx.subscribe();
         * rx2.changed();   // waits for the next send
         * }
         */
        public Receiver<T> subscribe() {
            final Shared<T> s = shared;
            synchronized (s) {
                s.receivers++;
                return new Receiver<>(s, s.state.version);
            }
        }

        /**
         * {@return the number of open receivers (a snapshot)}
         *
         * {@snippet :
         * if (tx.receiverCount() == 0) stopProducing();
         * }
         */
        public int receiverCount() {
            synchronized (shared) {
                return shared.receivers;
            }
        }

        /**
         * Parks until every receiver is closed (returns at once if none is open)
         * [Tokio: {@code Sender::closed}]. Receivers that are dropped without {@code close()} still
         * count as open.
         *
         * {@snippet :
         * tx.closed();
         * System.out.println("nobody is watching any more");
         * }
         *
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while
         *     parked; the interrupt status is kept
         */
        public void closed() {
            Waits.checkCancelled("Watch.Sender.closed");
            final Shared<T> s = shared;
            Waiter w = new Waiter(new Parker());
            synchronized (s) {
                if (s.receivers == 0) {
                    return;
                }
                s.txWaiters.addLast(w);
            }
            if (w.parker.await(0) == w) {
                return;
            }
            if (w.parker.cancel() == null) {
                synchronized (s) {
                    s.txWaiters.remove(w);
                }
            }
            throw Waits.cancelled("Watch.Sender.closed");
        }

        /**
         * {@return true once this sender is closed}
         *
         * {@snippet :
         * if (!tx.isClosed()) tx.send(v);
         * }
         */
        public boolean isClosed() {
            return shared.state.closed;
        }

        /**
         * Closes the channel: receivers keep the last value ({@code borrow} still works), and their
         * {@code changed()} throws {@link ClosedException} once they have seen it. Idempotent.
         *
         * {@snippet :
         * tx.close();
         * }
         */
        @Override
        public void close() {
            final Shared<T> s = shared;
            synchronized (s) {
                State<T> old = s.state;
                if (old.closed) {
                    return;
                }
                s.state = new State<>(old.value, old.version, true); // same version: not a change
                s.rxWaiters.claimAll();
            }
        }

        @Override
        public String toString() {
            return "Watch.Sender[" + (isClosed() ? "closed" : "open") + "]";
        }
    }

    /**
     * A receiving side of a {@link Watch} channel [Tokio: {@code watch::Receiver}].
     *
     * <p>It remembers which version it has seen. It is meant to be used by one task at a time;
     * give another task its own with {@link #cloneReceiver()}.
     *
     * <h2>Example</h2>
     * {@snippet :
     * var rx = ch.receiver();
     * Config cfg = rx.borrowAndUpdate();
     * while (true) {
     *     apply(cfg);
     *     rx.changed();
     *     cfg = rx.borrowAndUpdate();
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * {@code changed()} and {@code waitFor} are cancel-safe: an aborted call marks nothing seen.
     *
     * <h2>Memory consistency effects</h2>
     * See {@link Watch}.
     *
     * @param <T> the value type
     */
    public static final class Receiver<T> implements AutoCloseable {
        private final Shared<T> shared;
        /** The version this receiver has marked seen. */
        private volatile long seen;
        /** Guarded by shared's monitor; read volatile. */
        private volatile boolean closed;

        Receiver(Shared<T> shared, long seen) {
            this.shared = shared;
            this.seen = seen;
        }

        /**
         * {@return the latest value, without marking it seen}
         *
         * {@snippet :
         * System.out.println("now: " + rx.borrow());
         * }
         */
        public T borrow() {
            return shared.state.value;
        }

        /**
         * {@return the latest value, marking it seen}
         *
         * {@snippet :
         * var v = rx.borrowAndUpdate();
         * assert !rx.hasChanged();
         * }
         */
        public T borrowAndUpdate() {
            State<T> st = shared.state;
            seen = st.version;
            return st.value;
        }

        /**
         * {@return true if there is a value this receiver has not marked seen} Closure is not a
         * change; see {@link #isClosed()}.
         *
         * {@snippet :
         * if (rx.hasChanged()) reload(rx.borrowAndUpdate());
         * }
         */
        public boolean hasChanged() {
            return shared.state.version != seen;
        }

        /**
         * Parks until there is a value newer than the last one this receiver marked seen, and marks
         * it seen; returns at once if there already is one. Many sends while nobody looks count as
         * one change.
         *
         * {@snippet :
         * rx.changed();
         * var latest = rx.borrow();
         * }
         *
         * @throws ClosedException if the sender is closed (or this receiver is) and there is no
         *     unseen value
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while
         *     parked (nothing is marked seen); the interrupt status is kept
         */
        public void changed() {
            await(0);
        }

        /**
         * Parks at most {@code timeout} for a value newer than the last one seen.
         *
         * {@snippet :
         * if (!rx.changed(Duration.ofSeconds(30))) {
         *     System.out.println("no update for 30 s");
         * }
         * }
         *
         * @param timeout the longest wait
         * @return true if there is a new value (now marked seen), false if the time ran out
         * @throws ClosedException if the sender (or this receiver) is closed and there is no unseen value
         * @throws IllegalArgumentException if {@code timeout} is negative
         * @throws NullPointerException if {@code timeout} is null
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
         */
        public boolean changed(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            return await(Waits.deadline(timeout)) != null;
        }

        /**
         * Parks until the value satisfies {@code condition}, marks it seen and returns it
         * [Tokio: {@code wait_for}]. The current value is tested first, even if already seen.
         * Values that come and go while nobody looks are not tested (sends coalesce).
         *
         * {@snippet :
         * rx.waitFor(state -> state == State.READY);
         * }
         *
         * @param condition the test; runs on the calling task, must not park
         * @return the first value seen that satisfies it
         * @throws ClosedException if the sender (or this receiver) is closed before a value
         *     satisfies it
         * @throws NullPointerException if {@code condition} is null
         * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
         */
        public T waitFor(Predicate<? super T> condition) {
            Objects.requireNonNull(condition, "condition");
            State<T> st = shared.state;
            seen = st.version;
            if (condition.test(st.value)) {
                return st.value;
            }
            for (;;) {
                st = await(0);
                if (condition.test(st.value)) {
                    return st.value;
                }
            }
        }

        /**
         * Parks until a version differs from seen; marks it seen and returns its State. Returns
         * null on timeout.
         */
        private State<T> await(long deadline) {
            Waits.checkCancelled("Watch.Receiver.changed");
            final Shared<T> s = shared;
            State<T> first = s.state;
            if (first.version != seen) {
                seen = first.version;
                Coop.proceed(); // ready without parking: spend budget
                return first;
            }
            for (;;) {
                State<T> st = s.state;
                if (st.version != seen) {
                    seen = st.version;
                    return st;
                }
                if (st.closed || closed) {
                    throw new ClosedException("watch channel closed");
                }
                Waiter w = new Waiter(new Parker());
                synchronized (s) {
                    State<T> now = s.state;
                    if (now.version != seen || now.closed || closed) {
                        continue; // changed since we looked
                    }
                    s.rxWaiters.addLast(w);
                }
                if (w.parker.await(deadline) == w) {
                    continue;
                }
                if (w.parker.cancel() == null) {
                    synchronized (s) {
                        s.rxWaiters.remove(w);
                    }
                }
                if (Waits.interrupted()) {
                    throw Waits.cancelled("Watch.Receiver.changed");
                }
                st = s.state; // the deadline passed: one last look
                if (st.version != seen) {
                    seen = st.version;
                    return st;
                }
                return null;
            }
        }

        /**
         * Marks the current value unseen, so the next {@code changed()} returns at once
         * [Tokio: {@code mark_changed}].
         *
         * {@snippet :
         * rx.markChanged();
         * rx.changed();   // does not park
         * }
         */
        public void markChanged() {
            seen = shared.state.version - 1;
        }

        /**
         * Marks the current value seen without reading it [Tokio: {@code mark_unchanged}].
         *
         * {@snippet :
         * rx.markUnchanged();
         * assert !rx.hasChanged();
         * }
         */
        public void markUnchanged() {
            seen = shared.state.version;
        }

        /**
         * {@return true if the sender is closed, or this receiver is (an unseen last value may
         * remain: {@code changed()} reports it first)}
         *
         * {@snippet :
         * if (rx.isClosed() && !rx.hasChanged()) return;
         * }
         */
        public boolean isClosed() {
            return closed || shared.state.closed;
        }

        /**
         * {@return another receiver of the same channel that has seen what this one has}
         *
         * {@snippet :
         * var rx2 = rx.cloneReceiver();
         * Task.spawn(() -> { rx2.changed(); return rx2.borrow(); });
         * }
         */
        public Receiver<T> cloneReceiver() {
            final Shared<T> s = shared;
            synchronized (s) {
                s.receivers++;
                return new Receiver<>(s, seen);
            }
        }

        /**
         * Closes this receiver: it no longer counts for {@link Sender#send(Object)} and
         * {@link Sender#closed()}, and its {@code changed()} throws {@link ClosedException} once
         * nothing unseen is left. Idempotent.
         *
         * {@snippet :
         * rx.close();
         * }
         */
        @Override
        public void close() {
            final Shared<T> s = shared;
            synchronized (s) {
                if (closed) {
                    return;
                }
                closed = true;
                if (--s.receivers == 0) {
                    s.txWaiters.claimAll();
                }
                s.rxWaiters.claimAll(); // wake a changed() parked on this receiver; others park again
            }
        }

        /**
         * {@return this receiver as a {@link io.weft.stream.Stream} of the current value, then of each
         * change} [tokio-stream: {@code WatchStream::new}]. The first {@code next()} returns the current
         * value at once; each later one parks in {@link #changed()} and returns the latest value (sends
         * coalesce: a slow consumer sees only the newest). The stream ends once the sender is closed
         * and the last value has been returned. Closing the stream closes this receiver.
         *
         * {@snippet :
         * try (var configs = rx.stream()) {
         *     for (Config c : configs) apply(c);
         * }
         * }
         */
        public io.weft.stream.Stream<T> stream() {
            return stream(true);
        }

        /**
         * {@return this receiver as a {@link io.weft.stream.Stream} of changes only}
         * [tokio-stream: {@code WatchStream::from_changes}]: like {@link #stream()}, without the current
         * value first.
         *
         * {@snippet :
         * rx.changes().forEach(v -> System.out.println("now " + v));
         * }
         */
        public io.weft.stream.Stream<T> changes() {
            return stream(false);
        }

        private io.weft.stream.Stream<T> stream(boolean current) {
            boolean[] first = {current};
            return io.weft.stream.Stream.fromPull(() -> {
                if (first[0]) {
                    first[0] = false;
                    return borrowAndUpdate();
                }
                try {
                    changed();
                } catch (ClosedException e) {
                    return null;
                }
                return borrowAndUpdate();
            }, this::close);
        }

        /**
         * A {@code Select} arm that completes when {@code changed()} would return: it marks the new
         * value seen only in {@code poll}, on the selecting thread, so a losing arm marks nothing.
         * Its {@code poll} throws {@link ClosedException} like {@code changed()}.
         *
         * @return the arm
         */
        SelectArm arm() {
            return new SelectArm() {
                @Override
                public boolean poll(Waiter claimed) {
                    State<T> st = shared.state;
                    if (st.version != seen) {
                        seen = st.version;
                        return true;
                    }
                    if (st.closed || closed) {
                        throw new ClosedException("watch channel closed");
                    }
                    return false;
                }

                @Override
                public void register(Waiter w) {
                    final Shared<T> s = shared;
                    synchronized (s) {
                        State<T> st = s.state;
                        if (st.version != seen || st.closed || closed) {
                            w.claim();
                            return;
                        }
                        s.rxWaiters.addLast(w);
                    }
                }

                @Override
                public void deregister(Waiter w) {
                    synchronized (shared) {
                        shared.rxWaiters.remove(w);
                    }
                }
            };
        }

        /** {@return receivers parked on this channel; for tests} */
        int waiterCount() {
            synchronized (shared) {
                return shared.rxWaiters.size();
            }
        }

        @Override
        public String toString() {
            return "Watch.Receiver[seen=" + seen + (isClosed() ? ", closed" : "") + "]";
        }
    }
}
