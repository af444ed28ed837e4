package io.weft.sync;

import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.Objects;

/**
 * A mutual-exclusion lock around a value, fair in FIFO order [Tokio: {@code sync::Mutex}].
 *
 * <p>{@link #lock()} parks the calling virtual thread until the lock is free and returns a
 * {@link Guard}; the value is reachable only through the guard, and closing the guard (use
 * try-with-resources) unlocks. Tasks that wait are served strictly in the order they arrived, so a
 * stream of short critical sections cannot starve a waiter, and {@link #tryLock()} never jumps the
 * queue. Unlike {@code synchronized} or {@link java.util.concurrent.locks.ReentrantLock}, a Weft
 * mutex is not tied to a thread: a guard may be handed to another task and closed there. It is not
 * reentrant: a task that locks twice without unlocking parks forever.
 *
 * <p>As in Tokio, prefer a plain {@code synchronized} block (or an atomic) when the critical section
 * is short and never parks; use a {@code Mutex} when the lock must be held across calls that park
 * (channel sends, sleeps, I/O) or when the waiting must be cancellable.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var counter = new Mutex<>(0);
 * try (var rt = Runtime.create()) {
 *     rt.blockOn(() -> {
 *         try (var set = new JoinSet<Void>()) {
 *             for (int i = 0; i < 10; i++) {
 *                 set.spawn(() -> {
 *                     try (var g = counter.lock()) {
 *                         g.value(g.value() + 1);
 *                     }
 *                     return null;
 *                 });
 *             }
 *             set.joinAll();
 *         }
 *         try (var g = counter.lock()) {
 *             return g.value(); // 10
 *         }
 *     });
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code lock} throws {@link io.weft.task.CancelledException} and
 * keeps its interrupt status. If the lock had just been handed to it, it hands the lock on to the
 * next waiter (or leaves it free): an aborted waiter never leaves the mutex held by nobody. A
 * {@link #lock(Duration)} that times out behaves the same. A task aborted while it holds a guard
 * releases the lock only if it closes the guard, so always use try-with-resources.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a task before it closes a guard happen-before actions after the next successful
 * {@code lock}, {@code lock(Duration)} or {@code tryLock} of the same mutex, in whatever task.
 *
 * @param <T> the type of the protected value
 */
public final class Mutex<T> {
    /*
     * Implementation overview
     *
     * Algorithm (Tokio's Mutex): a Semaphore with one permit. lock() acquires the permit (the
     *   semaphore's FIFO queue gives the fairness), a Guard owns it, Guard.close() releases it. The
     *   guard's closed flag is set under its monitor, so closing twice (or from two tasks) releases once.
     * Memory ordering: value is a plain field. A guard's writes precede its release of the permit (a
     *   CAS on the semaphore's count); the next owner's acquire reads that count (fast path) or is
     *   claimed through Parker by whoever assigned it the permit after reading it, so the write
     *   happens-before the next owner's reads.
     * Progress: uncontended lock and unlock are lock-free CASes; contended paths take the
     *   semaphore's monitor briefly and park on a Parker (never a carrier).
     * Cancellation: entirely the semaphore's: a waiter that gives up returns the permit it was
     *   assigned, so the mutex never stays locked on behalf of a task that is gone.
     */
    private final Semaphore semaphore = new Semaphore(1);
    /** Guarded by the permit: read and written only by the current guard's holder. */
    private T value;

    /**
     * Creates an unlocked mutex holding {@code value}.
     *
     * {@snippet :
     * var m = new Mutex<>(new ArrayList<String>());
     * }
     *
     * @param value the initial value (may be null)
     */
    public Mutex(T value) {
        this.value = value;
    }

    /**
     * Exclusive access to a {@link Mutex}'s value; closing it unlocks [Tokio: {@code MutexGuard}].
     *
     * <p>A guard is valid from the {@code lock} that returned it until its first {@code close()};
     * afterwards {@link #value()} and {@link #value(Object)} throw {@link IllegalStateException}
     * and further {@code close()} calls do nothing.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (Mutex.Guard<List<String>> g = names.lock()) {
     *     g.value().add("ada");
     * } // unlocked here
     * }
     *
     * <h2>Cancellation</h2>
     * Holding a guard is not parking: an abort does not take the guard away. Closing it in a
     * {@code finally} (try-with-resources) is what releases the lock when the task unwinds.
     *
     * <h2>Memory consistency effects</h2>
     * As for {@link Mutex}: actions before {@code close()} happen-before the next lock's actions.
     *
     * @param <T> the type of the protected value
     */
    public static final class Guard<T> extends CloseOnce implements AutoCloseable {
        private final Mutex<T> mutex;
        Guard(Mutex<T> mutex) {
            this.mutex = mutex;
        }

        /**
         * {@return the protected value}
         *
         * {@snippet :
         * int n = g.value();
         * }
         *
         * @throws IllegalStateException if this guard is closed
         */
        public T value() {
            check();
            return mutex.value;
        }

        /**
         * Replaces the protected value.
         *
         * {@snippet :
         * g.value(g.value() + 1);
         * }
         *
         * @param value the new value (may be null)
         * @throws IllegalStateException if this guard is closed
         */
        public void value(T value) {
            check();
            mutex.value = value;
        }

        /**
         * {@return the mutex this guard locks}
         *
         * {@snippet :
         * assert g.mutex() == m;
         * }
         */
        public Mutex<T> mutex() {
            return mutex;
        }

        /**
         * {@return true once this guard has been closed}
         *
         * {@snippet :
         * if (!g.isClosed()) g.close();
         * }
         */
        public boolean isClosed() {
            return closed();
        }

        /**
         * Unlocks the mutex; the next waiter, if any, gets it. Idempotent: only the first call
         * unlocks.
         *
         * {@snippet :
         * g.close();
         * g.close(); // no effect
         * }
         */
        @Override
        public void close() {
            if (markClosed()) { // one release per guard, even if closed twice
                mutex.semaphore.release(1);
            }
        }

        private void check() {
            if (closed()) {
                throw new IllegalStateException("mutex guard already closed");
            }
        }

        @Override
        public String toString() {
            return "Mutex.Guard[" + (closed() ? "closed" : "held") + "]";
        }
    }

    /**
     * Parks until the lock is free, then takes it.
     *
     * {@snippet :
     * try (var g = m.lock()) {
     *     g.value().add(item);
     * }
     * }
     *
     * @return the guard; close it to unlock
     * @throws io.weft.task.CancelledException if the calling task is aborted (or its thread
     *     interrupted) before or while parked; the interrupt status is kept
     */
    public Guard<T> lock() {
        semaphore.acquireRaw(1, 0, "Mutex.lock");
        return new Guard<>(this);
    }

    /**
     * Parks at most {@code timeout} for the lock.
     *
     * {@snippet :
     * try (var g = m.lock(Duration.ofMillis(100))) {
     *     use(g.value());
     * } catch (ElapsedException e) {
     *     System.out.println("busy");
     * }
     * }
     *
     * @param timeout the longest wait (zero: only if the lock can be had at once)
     * @return the guard; close it to unlock
     * @throws ElapsedException if the lock was not obtained in time
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public Guard<T> lock(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (!semaphore.acquireRaw(1, Waits.deadline(timeout), "Mutex.lock")) {
            throw new ElapsedException("mutex not acquired within " + timeout);
        }
        return new Guard<>(this);
    }

    /**
     * Takes the lock if it is free and nobody waits for it; never parks.
     *
     * {@snippet :
     * var g = m.tryLock();
     * if (g == null) return "busy";
     * try (g) { return g.value(); }
     * }
     *
     * @return the guard, or null if the lock is held or others are queued for it
     */
    public Guard<T> tryLock() {
        return semaphore.tryAcquireMany(1) != null ? new Guard<>(this) : null;
    }

    /**
     * {@return true if some guard holds the lock now (a snapshot, for monitoring)}
     *
     * {@snippet :
     * if (m.isLocked()) System.out.println("contended");
     * }
     */
    public boolean isLocked() {
        return semaphore.availablePermits() == 0;
    }

    /**
     * A {@code Select} arm that takes the lock if it wins: {@code out[0]} receives the guard.
     *
     * @param out where the guard goes when the arm completes
     * @return the arm
     */
    SelectArm arm(Guard<T>[] out) {
        Semaphore.Permit[] permit = new Semaphore.Permit[1];
        SelectArm inner = semaphore.arm(1, permit);
        return new SelectArm() {
            @Override
            public boolean poll(Waiter claimed) {
                if (!inner.poll(claimed)) {
                    return false;
                }
                permit[0].forget(); // the guard owns the permit from here on
                out[0] = new Guard<>(Mutex.this);
                return true;
            }

            @Override
            public void register(Waiter w) {
                inner.register(w);
            }

            @Override
            public void deregister(Waiter w) {
                inner.deregister(w);
            }

            @Override
            public void forward(Waiter w) {
                inner.forward(w);
            }
        };
    }

    @Override
    public String toString() {
        return "Mutex[" + (isLocked() ? "locked" : "unlocked") + "]";
    }
}
