package io.weft.bench.sync;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a Java programmer would write with {@code java.util.concurrent} where the JDK has no
 * counterpart to a Weft primitive: Tokio's {@code Notify}, {@code watch} and {@code broadcast}. Each is
 * a {@link ReentrantLock} and one {@link Condition}, the JDK's own building blocks, with the semantics
 * the benchmarks rely on (not every corner of Weft's: no cancellation hand-over, no lag counts).
 * All waits throw {@link InterruptedException}, so a stuck benchmark's threads can be interrupted.
 */
final class JdkPrimitives {
    private JdkPrimitives() {}

    /**
     * Tokio's {@code Notify}: {@link #notifyOne()} wakes one waiter, or stores one permit if nobody
     * waits; {@link #notifyWaiters()} wakes every current waiter and stores nothing.
     *
     * <p>Waiters count themselves in; {@code notifyOne} moves one count into {@code handed} and signals.
     * A thread arriving meanwhile may take a handed notification before the signalled one wakes (the
     * lock barges); the signalled one then waits again. Either way one {@code notifyOne} releases one
     * waiter. {@code notifyWaiters} releases everybody counted by bumping a generation.
     */
    static final class Notify {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition cond = lock.newCondition();
        private boolean permit;     // guarded by lock
        private int waiting;        // counted waiters not yet released; guarded by lock
        private int handed;         // notifyOne releases not yet taken; guarded by lock
        private long generation;    // bumped by notifyWaiters; guarded by lock

        void notified() throws InterruptedException {
            lock.lock();
            try {
                if (permit) {
                    permit = false;
                    return;
                }
                final long gen = generation;
                waiting++;
                for (;;) {
                    if (handed > 0) {
                        handed--;
                        return;
                    }
                    if (generation != gen) {
                        return;
                    }
                    cond.await();
                }
            } finally {
                lock.unlock();
            }
        }

        void notifyOne() {
            lock.lock();
            try {
                if (waiting > 0) {
                    waiting--;
                    handed++;
                    cond.signal();
                } else {
                    permit = true;
                }
            } finally {
                lock.unlock();
            }
        }

        void notifyWaiters() {
            lock.lock();
            try {
                if (waiting > 0) {
                    waiting = 0;
                    generation++;
                    cond.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Thrown by {@link Watch} and {@link Broadcast} receivers once the sender has closed. */
    static final class Closed extends Exception {
        Closed() {
            super("closed", null, false, false);
        }
    }

    /**
     * Tokio's {@code watch}: the latest value and a version; {@link #changed(long)} waits for a version
     * newer than the one a receiver has seen. Sends take the lock and signal every waiter.
     *
     * @param <T> the value type
     */
    static final class Watch<T> {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private volatile T value;   // written under lock
        private long version;       // guarded by lock
        private boolean closed;     // guarded by lock

        Watch(T initial) {
            this.value = initial;
        }

        void send(T v) {
            lock.lock();
            try {
                value = v;
                version++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        T borrow() {
            return value;
        }

        /**
         * Waits for a version other than {@code seen}.
         *
         * @return the new version, which the caller now has seen
         * @throws Closed once closed (and nothing newer)
         */
        long changed(long seen) throws InterruptedException, Closed {
            lock.lock();
            try {
                while (version == seen) {
                    if (closed) {
                        throw new Closed();
                    }
                    changed.await();
                }
                return version;
            } finally {
                lock.unlock();
            }
        }

        void close() {
            lock.lock();
            try {
                closed = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Tokio's {@code broadcast}: a ring of {@code capacity} slots; every receiver has its own cursor
     * and sees every value sent after it subscribed, unless it falls more than {@code capacity} behind
     * (then it skips to the oldest value kept). One lock guards the ring; sends signal every waiter.
     *
     * @param <T> the value type
     */
    static final class Broadcast<T> {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition sent = lock.newCondition();
        private final Object[] ring;
        private long tail;          // next position to write; guarded by lock
        private boolean closed;     // guarded by lock

        Broadcast(int capacity) {
            this.ring = new Object[capacity];
        }

        void send(T v) {
            lock.lock();
            try {
                ring[(int) (tail % ring.length)] = v;
                tail++;
                sent.signalAll();
            } finally {
                lock.unlock();
            }
        }

        Receiver<T> subscribe() {
            lock.lock();
            try {
                return new Receiver<>(this, tail);
            } finally {
                lock.unlock();
            }
        }

        void close() {
            lock.lock();
            try {
                closed = true;
                sent.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** One receiver's cursor; used by one thread at a time. */
        static final class Receiver<T> {
            private final Broadcast<T> ch;
            private long next;

            Receiver(Broadcast<T> ch, long next) {
                this.ch = ch;
                this.next = next;
            }

            /**
             * Waits for the next value.
             *
             * @throws Closed once closed and drained
             */
            @SuppressWarnings("unchecked")
            T recv() throws InterruptedException, Closed {
                final Broadcast<T> c = ch;
                c.lock.lock();
                try {
                    while (next == c.tail) {
                        if (c.closed) {
                            throw new Closed();
                        }
                        c.sent.await();
                    }
                    long oldest = c.tail - c.ring.length;
                    if (next < oldest) {
                        next = oldest; // lagged: skip what was overwritten
                    }
                    T v = (T) c.ring[(int) (next % c.ring.length)];
                    next++;
                    return v;
                } finally {
                    c.lock.unlock();
                }
            }
        }
    }
}
