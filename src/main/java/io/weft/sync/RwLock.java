package io.weft.sync;

import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.Objects;

/**
 * A reader-writer lock around a value: many readers or one writer, fair in FIFO order
 * [Tokio: {@code sync::RwLock}].
 *
 * <p>{@link #read()} returns a {@link ReadGuard}; any number of them may be held at once (up to
 * {@link #maxReaders()}). {@link #write()} returns a {@link WriteGuard}, held alone. Requests are
 * served in arrival order, and the lock is <em>writer-preferring</em> in the sense Tokio's is: once a
 * writer is queued, readers that arrive after it wait behind it, so a steady stream of readers cannot
 * starve a writer. {@link #tryRead()} and {@link #tryWrite()} never jump the queue either. Guards are
 * not tied to a thread; the lock is not reentrant (a task that holds a read guard and asks to write
 * parks forever).
 *
 * <h2>Example</h2>
 * {@snippet :
 * var config = new RwLock<>(Map.of("mode", "fast"));
 * try (var r = config.read()) {          // many readers at once
 *     System.out.println(r.value().get("mode"));
 * }
 * try (var w = config.write()) {         // one writer, alone
 *     w.value(Map.of("mode", "safe"));
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code read} or {@code write} throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status). Whatever part of the lock
 * had already been handed to it goes back and on to the next waiter: an aborted writer leaves no
 * reader blocked behind it, and an aborted reader leaves no writer waiting for it. Timed-out
 * {@link #read(Duration)} and {@link #write(Duration)} behave the same.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before a {@link WriteGuard} is closed (or downgraded) happen-before the actions after any
 * later successful {@code read} or {@code write}. Actions before a {@link ReadGuard} is closed
 * happen-before the actions after a later successful {@code write}.
 *
 * @param <T> the type of the protected value
 */
public final class RwLock<T> {
    /*
     * Implementation overview
     *
     * Algorithm (Tokio's RwLock): a Semaphore with maxReaders permits. read() takes 1, write()
     *   takes all maxReaders, so a writer excludes every reader and every other writer. The
     *   semaphore is FIFO and never lets a request overtake the head of its queue, which gives the
     *   writer preference: a writer at the head collects permits as readers leave, and the readers
     *   queued behind it wait. downgrade() releases maxReaders - 1 permits and keeps one as a read.
     *   Each guard's closed flag is set under its monitor, so it releases exactly once.
     * Memory ordering: value is a plain field written only under a write guard. A write guard's
     *   release of permits is a CAS on the semaphore's count that every later acquirer reads (or is
     *   claimed through Parker by a thread that read it), so writes happen-before later guards' reads.
     * Progress: uncontended read/write/unlock are lock-free CASes; contended paths take the
     *   semaphore's monitor briefly and park on a Parker.
     * Cancellation: the semaphore's: a waiter that gives up returns the permits it was assigned,
     *   including a writer's partial assignment.
     */
    private final Semaphore semaphore;
    private final int maxReaders;
    /** Written only under a write guard; read under read or write guards. */
    private T value;

    /**
     * Creates an unlocked lock holding {@code value}, allowing {@link Semaphore#MAX_PERMITS}
     * concurrent readers.
     *
     * {@snippet :
     * var lock = new RwLock<>(List.of());
     * }
     *
     * @param value the initial value (may be null)
     */
    public RwLock(T value) {
        this(value, Semaphore.MAX_PERMITS);
    }

    /**
     * Creates an unlocked lock allowing at most {@code maxReaders} concurrent readers
     * [Tokio: {@code with_max_readers}].
     *
     * {@snippet :
     * var lock = new RwLock<>(cache, 8);    // the ninth reader waits
     * }
     *
     * @param value the initial value (may be null)
     * @param maxReaders from 1 to {@link Semaphore#MAX_PERMITS}
     * @throws IllegalArgumentException if {@code maxReaders} is out of range
     */
    public RwLock(T value, int maxReaders) {
        if (maxReaders < 1 || maxReaders > Semaphore.MAX_PERMITS) {
            throw new IllegalArgumentException(
                "maxReaders must be in [1, " + Semaphore.MAX_PERMITS + "]: " + maxReaders);
        }
        this.maxReaders = maxReaders;
        this.semaphore = new Semaphore(maxReaders);
        this.value = value;
    }

    /**
     * Shared read access to an {@link RwLock}'s value; closing it unlocks [Tokio:
     * {@code RwLockReadGuard}].
     *
     * <p>Valid until its first {@code close()}; afterwards {@link #value()} throws
     * {@link IllegalStateException} and further closes do nothing.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (RwLock.ReadGuard<Config> r = lock.read()) {
     *     serve(r.value());
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * Holding a guard is not parking: close it in a {@code finally} (try-with-resources) so an
     * aborted task releases it while unwinding.
     *
     * <h2>Memory consistency effects</h2>
     * Actions before {@code close()} happen-before the actions after the next successful
     * {@code write}.
     *
     * @param <T> the type of the protected value
     */
    public static final class ReadGuard<T> extends CloseOnce implements AutoCloseable {
        private final RwLock<T> lock;
        ReadGuard(RwLock<T> lock) {
            this.lock = lock;
        }

        /**
         * {@return the protected value}
         *
         * {@snippet :
         * var cfg = r.value();
         * }
         *
         * @throws IllegalStateException if this guard is closed
         */
        public T value() {
            if (closed()) {
                throw new IllegalStateException("read guard already closed");
            }
            return lock.value;
        }

        /**
         * {@return true once this guard has been closed}
         *
         * {@snippet :
         * if (!r.isClosed()) r.close();
         * }
         */
        public boolean isClosed() {
            return closed();
        }

        /**
         * Releases this read access. Idempotent.
         *
         * {@snippet :
         * r.close();
         * }
         */
        @Override
        public void close() {
            if (markClosed()) { // one release per guard
                lock.semaphore.release(1);
            }
        }

        @Override
        public String toString() {
            return "RwLock.ReadGuard[" + (closed() ? "closed" : "held") + "]";
        }
    }

    /**
     * Exclusive write access to an {@link RwLock}'s value; closing it unlocks [Tokio:
     * {@code RwLockWriteGuard}].
     *
     * <p>Valid until its first {@code close()} or {@link #downgrade()}; afterwards
     * {@link #value()}, {@link #value(Object)} and {@code downgrade()} throw
     * {@link IllegalStateException} and further closes do nothing.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (RwLock.WriteGuard<List<String>> w = lock.write()) {
     *     w.value(append(w.value(), "ada"));
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * Holding a guard is not parking: close it in a {@code finally} (try-with-resources) so an
     * aborted task releases it while unwinding.
     *
     * <h2>Memory consistency effects</h2>
     * Actions before {@code close()} or {@code downgrade()} happen-before the actions after the next
     * successful {@code read} or {@code write}.
     *
     * @param <T> the type of the protected value
     */
    public static final class WriteGuard<T> extends CloseOnce implements AutoCloseable {
        private final RwLock<T> lock;
        WriteGuard(RwLock<T> lock) {
            this.lock = lock;
        }

        /**
         * {@return the protected value}
         *
         * {@snippet :
         * var list = w.value();
         * }
         *
         * @throws IllegalStateException if this guard is closed or downgraded
         */
        public T value() {
            check();
            return lock.value;
        }

        /**
         * Replaces the protected value.
         *
         * {@snippet :
         * w.value(newConfig);
         * }
         *
         * @param value the new value (may be null)
         * @throws IllegalStateException if this guard is closed or downgraded
         */
        public void value(T value) {
            check();
            lock.value = value;
        }

        /**
         * Turns this write access into read access without letting a writer in between
         * [Tokio: {@code downgrade}]. Readers queued behind may then enter too. This guard is
         * closed afterwards; close the returned one instead.
         *
         * {@snippet :
         * try (var w = lock.write()) {
         *     w.value(rebuild());
         *     try (var r = w.downgrade()) {
         *         publish(r.value());        // others can read now, nobody can write
         *     }
         * }
         * }
         *
         * @return a read guard on the same lock
         * @throws IllegalStateException if this guard is closed or already downgraded
         */
        public ReadGuard<T> downgrade() {
            if (!markClosed()) {
                throw new IllegalStateException("write guard already closed");
            }
            ReadGuard<T> r = new ReadGuard<>(lock);
            if (lock.maxReaders > 1) {
                lock.semaphore.release(lock.maxReaders - 1); // keep one permit: the read
            }
            return r;
        }

        /**
         * {@return true once this guard has been closed or downgraded}
         *
         * {@snippet :
         * if (!w.isClosed()) w.close();
         * }
         */
        public boolean isClosed() {
            return closed();
        }

        /**
         * Releases the write access; waiting readers or the next writer get in. Idempotent.
         *
         * {@snippet :
         * w.close();
         * }
         */
        @Override
        public void close() {
            if (markClosed()) { // one release per guard
                lock.semaphore.release(lock.maxReaders);
            }
        }

        private void check() {
            if (closed()) {
                throw new IllegalStateException("write guard already closed");
            }
        }

        @Override
        public String toString() {
            return "RwLock.WriteGuard[" + (closed() ? "closed" : "held") + "]";
        }
    }

    /**
     * Parks until read access is possible (no writer holds the lock or is queued ahead), then
     * takes it.
     *
     * {@snippet :
     * try (var r = lock.read()) {
     *     return r.value().size();
     * }
     * }
     *
     * @return the read guard; close it to unlock
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public ReadGuard<T> read() {
        semaphore.acquireRaw(1, 0, "RwLock.read");
        return new ReadGuard<>(this);
    }

    /**
     * Parks at most {@code timeout} for read access.
     *
     * {@snippet :
     * try (var r = lock.read(Duration.ofMillis(10))) {
     *     return r.value();
     * } catch (ElapsedException e) {
     *     return fallback;
     * }
     * }
     *
     * @param timeout the longest wait
     * @return the read guard
     * @throws ElapsedException if read access was not obtained in time
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public ReadGuard<T> read(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (!semaphore.acquireRaw(1, Waits.deadline(timeout), "RwLock.read")) {
            throw new ElapsedException("read lock not acquired within " + timeout);
        }
        return new ReadGuard<>(this);
    }

    /**
     * Takes read access if possible now; never parks.
     *
     * {@snippet :
     * var r = lock.tryRead();
     * if (r == null) return cachedCopy;
     * try (r) { return r.value(); }
     * }
     *
     * @return the read guard, or null if a writer holds the lock or anyone is queued
     */
    public ReadGuard<T> tryRead() {
        return semaphore.tryAcquireMany(1) != null ? new ReadGuard<>(this) : null;
    }

    /**
     * Parks until exclusive access is possible, then takes it. Readers that arrive while this
     * writer waits queue behind it.
     *
     * {@snippet :
     * try (var w = lock.write()) {
     *     w.value(update(w.value()));
     * }
     * }
     *
     * @return the write guard; close it to unlock
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public WriteGuard<T> write() {
        semaphore.acquireRaw(maxReaders, 0, "RwLock.write");
        return new WriteGuard<>(this);
    }

    /**
     * Parks at most {@code timeout} for exclusive access.
     *
     * {@snippet :
     * try (var w = lock.write(Duration.ofSeconds(1))) {
     *     w.value(next);
     * }
     * }
     *
     * @param timeout the longest wait
     * @return the write guard
     * @throws ElapsedException if write access was not obtained in time
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public WriteGuard<T> write(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (!semaphore.acquireRaw(maxReaders, Waits.deadline(timeout), "RwLock.write")) {
            throw new ElapsedException("write lock not acquired within " + timeout);
        }
        return new WriteGuard<>(this);
    }

    /**
     * Takes exclusive access if possible now; never parks.
     *
     * {@snippet :
     * var w = lock.tryWrite();
     * if (w != null) try (w) { w.value(fresh); }
     * }
     *
     * @return the write guard, or null if the lock is held (read or write) or anyone is queued
     */
    public WriteGuard<T> tryWrite() {
        return semaphore.tryAcquireMany(maxReaders) != null ? new WriteGuard<>(this) : null;
    }

    /**
     * {@return the most read guards that can be held at once}
     *
     * {@snippet :
     * int n = lock.maxReaders();
     * }
     */
    public int maxReaders() {
        return maxReaders;
    }

    /** {@return permits free now (maxReaders when unlocked); for tests and toString} */
    int availablePermits() {
        return semaphore.availablePermits();
    }

    /**
     * A {@code Select} arm that takes read access if it wins: {@code out[0]} receives the guard.
     *
     * @param out where the guard goes
     * @return the arm
     */
    SelectArm readArm(ReadGuard<T>[] out) {
        return arm(1, () -> out[0] = new ReadGuard<>(this));
    }

    /**
     * A {@code Select} arm that takes write access if it wins: {@code out[0]} receives the guard.
     *
     * @param out where the guard goes
     * @return the arm
     */
    SelectArm writeArm(WriteGuard<T>[] out) {
        return arm(maxReaders, () -> out[0] = new WriteGuard<>(this));
    }

    private SelectArm arm(int permits, Runnable made) {
        Semaphore.Permit[] permit = new Semaphore.Permit[1];
        SelectArm inner = semaphore.arm(permits, permit);
        return new SelectArm() {
            @Override
            public boolean poll(Waiter claimed) {
                if (!inner.poll(claimed)) {
                    return false;
                }
                permit[0].forget(); // the guard owns the permits from here on
                made.run();
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
        int free = semaphore.availablePermits();
        String state = free == maxReaders ? "unlocked" : free == 0 ? "locked" : (maxReaders - free) + " readers";
        return "RwLock[" + state + "]";
    }
}
