package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A counting semaphore with FIFO fairness [Tokio: {@code sync::Semaphore}].
 *
 * <p>{@link #acquire()} and {@link #acquireMany(int)} park until the permits are available and return
 * a {@link Permit} that gives them back when closed (use try-with-resources). Waiters are served
 * strictly in arrival order: a large request at the head is not overtaken by small ones behind it.
 * {@link #close()} fails every waiter and every later acquire with {@link ClosedException}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var limit = new Semaphore(10);        // at most 10 requests in flight
 * for (var req : requests) {
 *     Task.spawn(() -> {
 *         try (var permit = limit.acquire()) {
 *             return send(req);
 *         }
 *     });
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code acquire} throws {@link io.weft.task.CancelledException}.
 * Permits already assigned to it (all of them, or part of a large request) go back to the semaphore
 * and on to the next waiter: nothing is lost.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before releasing a permit happen-before the return of the {@code acquire} that obtains it.
 */
public final class Semaphore {
    /*
     * Implementation overview
     *
     * Algorithm (after Tokio's batch_semaphore): permits is an AtomicLong; CLOSED marks a closed
     *   semaphore. acquire(n): if nobody waits, CAS permits -> permits - n. Otherwise queue a waiter
     *   (need = n, got = 0) under the monitor and assign(). assign() moves permits from the atomic
     *   count to the head waiter until it is satisfied, claims it, and goes on to the next; it stops
     *   at a head it cannot satisfy, so nobody overtakes it. release(n) adds to the count and, if
     *   anybody waits, runs assign() under the monitor.
     * Fairness: the lock-free fast path is taken only while waiterCount == 0. A releaser writes the
     *   count then reads waiterCount; a waiter writes waiterCount then (in assign) reads the count.
     *   Both are volatile, so at least one of them sees the other: no permit is stranded while
     *   somebody waits.
     * Cancellation: a waiter that gives up returns the permits it was assigned (got), whether or not
     *   it had been claimed.
     */
    private static final long CLOSED = Long.MIN_VALUE / 2;
    /** Permits a semaphore can hold, as Tokio's MAX_PERMITS. */
    public static final int MAX_PERMITS = Integer.MAX_VALUE >> 3;

    private final AtomicLong permits;
    private final WaitList waiters = new WaitList();
    private volatile int waiterCount;

    /**
     * Creates a semaphore.
     *
     * {@snippet :
     * var sem = new Semaphore(3);
     * }
     *
     * @param permits initial permits, from 0 to {@link #MAX_PERMITS}
     */
    public Semaphore(int permits) {
        if (permits < 0 || permits > MAX_PERMITS) {
            throw new IllegalArgumentException("permits must be in [0, " + MAX_PERMITS + "]: " + permits);
        }
        this.permits = new AtomicLong(permits);
    }

    /**
     * Permits held from a {@link Semaphore}; {@link #close()} returns them.
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (Semaphore.Permit p = sem.acquireMany(2)) {
     *     work();
     * } // both permits go back here
     * }
     */
    public static final class Permit implements AutoCloseable {
        private final Semaphore semaphore;
        private int count;

        Permit(Semaphore semaphore, int count) {
            this.semaphore = semaphore;
            this.count = count;
        }

        /** {@return how many permits this holds} */
        public synchronized int count() {
            return count;
        }

        /**
         * Keeps the permits out of the semaphore for good [Tokio: {@code forget}].
         *
         * {@snippet :
         * sem.acquire().forget(); // the semaphore now has one permit less
         * }
         */
        public synchronized void forget() {
            count = 0;
        }

        /**
         * Returns the permits to the semaphore. Idempotent.
         *
         * {@snippet :
         * permit.close();
         * }
         */
        @Override
        public void close() {
            int n;
            synchronized (this) {
                n = count;
                count = 0;
            }
            if (n > 0) {
                semaphore.release(n);
            }
        }
    }

    /**
     * Parks until one permit is available and takes it.
     *
     * {@snippet :
     * try (var p = sem.acquire()) { work(); }
     * }
     *
     * @return the permit
     * @throws ClosedException if the semaphore is closed
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public Permit acquire() {
        return acquireMany(1);
    }

    /**
     * Parks until {@code n} permits are available and takes them together.
     *
     * {@snippet :
     * try (var p = sem.acquireMany(4)) { bigJob(); }
     * }
     *
     * @param n how many, at least 1
     * @return the permits
     * @throws ClosedException if the semaphore is closed
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public Permit acquireMany(int n) {
        checkCount(n);
        acquireRaw(n, 0, "Semaphore.acquire");
        return new Permit(this, n);
    }

    /**
     * Parks at most {@code timeout} for one permit.
     *
     * {@snippet :
     * try (var p = sem.acquire(Duration.ofMillis(50))) { work(); }
     * }
     *
     * @param timeout the longest wait
     * @return the permit
     * @throws ElapsedException if the time ran out
     * @throws ClosedException if the semaphore is closed
     */
    public Permit acquire(Duration timeout) {
        if (!acquireRaw(1, Waits.deadline(timeout), "Semaphore.acquire")) {
            throw new ElapsedException("no permit within " + timeout);
        }
        return new Permit(this, 1);
    }

    /**
     * Takes one permit if available now; never parks.
     *
     * {@snippet :
     * Semaphore.Permit p = sem.tryAcquire();
     * if (p == null) return "busy";
     * }
     *
     * @return the permit, or null if none is available (or others are waiting)
     * @throws ClosedException if the semaphore is closed
     */
    public Permit tryAcquire() {
        return tryAcquireMany(1);
    }

    /**
     * Takes {@code n} permits if available now; never parks.
     *
     * {@snippet :
     * var p = sem.tryAcquireMany(2);
     * }
     *
     * @param n how many, at least 1
     * @return the permits, or null if not available (or others are waiting)
     * @throws ClosedException if the semaphore is closed
     */
    public Permit tryAcquireMany(int n) {
        checkCount(n);
        return tryTake(n) ? new Permit(this, n) : null;
    }

    private static void checkCount(int n) {
        if (n < 1 || n > MAX_PERMITS) {
            throw new IllegalArgumentException("permit count must be in [1, " + MAX_PERMITS + "]: " + n);
        }
    }

    /** Lock-free attempt, allowed only while nobody waits (fairness). */
    private boolean tryTake(int n) {
        for (;;) {
            long p = permits.get();
            if (p < 0) {
                throw new ClosedException("semaphore closed");
            }
            if (p < n || waiterCount != 0) {
                return false;
            }
            if (permits.compareAndSet(p, p - n)) {
                return true;
            }
        }
    }

    /**
     * Acquires {@code n} permits without making a Permit (for internal users such as bounded channels).
     *
     * @param n permits
     * @param deadline nanoTime deadline or 0
     * @param where for messages
     * @return false on timeout
     */
    boolean acquireRaw(int n, long deadline, String where) {
        Waits.checkCancelled(where);
        if (tryTake(n)) {
            Coop.proceed();
            return true;
        }
        Waiter w = new Waiter(new Parker());
        w.need = n;
        synchronized (this) {
            if (permits.get() < 0) {
                throw new ClosedException("semaphore closed");
            }
            waiters.addLast(w);
            waiterCount++;
            assign();
        }
        if (w.parker.await(deadline) == w) {
            return granted(w, n, where);
        }
        if (w.parker.cancel() != null) {
            // Claimed as we gave up: we hold n permits (or were closed).
            if (Waits.interrupted()) {
                if (w.value == null) {
                    release(w.got);
                }
                throw Waits.cancelled(where);
            }
            return granted(w, n, where);
        }
        int give;
        synchronized (this) {
            if (waiters.remove(w)) {
                waiterCount--;
            }
            give = w.got;
            w.got = 0;
        }
        if (give > 0) {
            release(give);
        }
        if (Waits.interrupted()) {
            throw Waits.cancelled(where);
        }
        return false;
    }

    private boolean granted(Waiter w, int n, String where) {
        if (w.value != null) {
            throw new ClosedException("semaphore closed while waiting in " + where);
        }
        return true;
    }

    /** Gives available permits to waiters in FIFO order; under the monitor. */
    private void assign() {
        Waiter w;
        while ((w = waiters.peekFirst()) != null) {
            long p = permits.get();
            if (p <= 0) {
                return;
            }
            int want = w.need - w.got;
            int take = (int) Math.min(p, want);
            if (!permits.compareAndSet(p, p - take)) {
                continue;
            }
            w.got += take;
            if (w.got < w.need) {
                return; // the head still waits for more: nobody overtakes it
            }
            waiters.remove(w);
            waiterCount--;
            if (!w.claim()) {
                // It gave up concurrently (timeout, abort, a Select arm that lost): take its permits
                // back at once, so they are never in limbo, and offer them to the next waiter.
                permits.addAndGet(w.got);
                w.got = 0;
            }
        }
    }

    void release(int n) {
        if (n <= 0) {
            return;
        }
        for (;;) {
            long p = permits.get();
            if (p < 0) {
                return; // closed: permits no longer matter
            }
            if (p + n > MAX_PERMITS) {
                throw new IllegalStateException("semaphore would exceed " + MAX_PERMITS + " permits");
            }
            if (permits.compareAndSet(p, p + n)) {
                break;
            }
        }
        if (waiterCount != 0) {
            synchronized (this) {
                assign();
            }
        }
    }

    /**
     * Adds permits (they may exceed the initial count).
     *
     * {@snippet :
     * sem.addPermits(5);
     * }
     *
     * @param n how many, at least 0
     */
    public void addPermits(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative permits: " + n);
        }
        release(n);
    }

    /**
     * {@return the permits available now (0 once closed)}
     *
     * {@snippet :
     * int free = sem.availablePermits();
     * }
     */
    public int availablePermits() {
        long p = permits.get();
        return p < 0 ? 0 : (int) p;
    }

    /**
     * Closes the semaphore: every waiter and every later acquire throws {@link ClosedException}.
     * Permits already held stay valid; returning them is harmless.
     *
     * {@snippet :
     * sem.close();
     * }
     */
    public void close() {
        synchronized (this) {
            permits.set(CLOSED);
            Waiter w;
            while ((w = waiters.pollFirst()) != null) {
                waiterCount--;
                w.value = Boolean.TRUE;
                w.claim();
            }
        }
    }

    /**
     * {@return true once closed}
     *
     * {@snippet :
     * if (sem.isClosed()) return;
     * }
     */
    public boolean isClosed() {
        return permits.get() < 0;
    }

    SelectArm arm(int n, Permit[] out) {
        return new SelectArm() {
            @Override
            public boolean poll(Waiter claimed) {
                if (claimed != null) {
                    if (claimed.value != null) {
                        throw new ClosedException("semaphore closed");
                    }
                    out[0] = new Permit(Semaphore.this, n);
                    return true;
                }
                if (tryTake(n)) {
                    out[0] = new Permit(Semaphore.this, n);
                    return true;
                }
                return false;
            }

            @Override
            public void register(Waiter w) {
                w.need = n;
                synchronized (Semaphore.this) {
                    if (permits.get() < 0) {
                        w.value = Boolean.TRUE;
                        w.claim();
                        return;
                    }
                    waiters.addLast(w);
                    waiterCount++;
                    assign();
                }
            }

            @Override
            public void deregister(Waiter w) {
                int give;
                synchronized (Semaphore.this) {
                    if (waiters.remove(w)) {
                        waiterCount--;
                    } else if (w.parker.fired() == w) {
                        return; // this arm's claim woke the select: forward() settles it if the arm loses
                    }
                    give = w.got;
                    w.got = 0;
                }
                release(give);
            }

            @Override
            public void forward(Waiter w) {
                if (w.value == null) {
                    release(w.got);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "Semaphore[permits=" + availablePermits() + (isClosed() ? ", closed" : "") + ", waiters=" + waiterCount + "]";
    }
}
