package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.RwLock;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Ports of Tokio's {@code benches/sync_rwlock.rs}, plus readers and a writer contending: Weft's
 * {@link RwLock} against {@link ReentrantReadWriteLock}.
 *
 * <p>Weft's lock is FIFO (Tokio's design, on its FIFO semaphore): a waiting writer stops later readers.
 * The JDK's nearest equivalent is the fair {@code ReentrantReadWriteLock(true)} ({@code jdk}); the
 * default non-fair one is measured too ({@code jdk-unfair}).
 */
@BenchSection(
    title = "Sync: rwlock",
    chart = "sync-rwlock",
    source = "benches/sync_rwlock.rs",
    summary = "Weft's FIFO `RwLock` on a Weft runtime (2 workers) against `ReentrantReadWriteLock` on JDK "
        + "virtual threads (default scheduler, parallelism 2), fair (`jdk`, the same ordering) and non-fair "
        + "(`jdk-unfair`, the default).",
    labels = {"weft=Weft", "jdk=JDK fair", "jdk-unfair=JDK non-fair"},
    baselines = {"jdk", "jdk-unfair"})
public class SyncRwLockBench extends VersusJdkBench {
    static final int READS = 10_000;
    static final int TOKIO_READERS = 5;
    static final int TOKIO_ROUNDS = 100;
    static final int READERS = 4;
    static final int READS_EACH = 1_000;
    static final int WRITES = 250;

    /** {@code weft}, {@code jdk} (fair) or {@code jdk-unfair}. */
    @Param({WEFT, JDK, "jdk-unfair"})
    public String impl;

    @Override
    protected String impl() {
        return impl;
    }

    private ReentrantReadWriteLock jdkLock() {
        return new ReentrantReadWriteLock(JDK.equals(impl));
    }

    // ---------------------------------------------------------------------------------------------

    /** {@code read_uncontended}: one task takes and releases the read lock 10 000 times. */
    @Benchmark
    @PerOp(count = READS, unit = "read", order = 1,
        what = "one task takes and releases the read lock 10 000 times",
        note = "Tokio's `read_uncontended` does 6 per `block_on`.")
    public long readUncontended() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        if (weft) {
            final RwLock<Integer> lock = new RwLock<>(1);
            drive(done, "read_uncontended", () -> {
                long n = 0;
                for (int i = 0; i < READS; i++) {
                    try (RwLock.ReadGuard<Integer> g = lock.read()) {
                        n += g.value();
                    }
                }
                sink[0] = n;
            });
        } else {
            final ReentrantReadWriteLock lock = jdkLock();
            final int[] value = {1};
            drive(done, "read_uncontended", () -> {
                long n = 0;
                for (int i = 0; i < READS; i++) {
                    lock.readLock().lock();
                    try {
                        n += value[0];
                    } finally {
                        lock.readLock().unlock();
                    }
                }
                sink[0] = n;
            });
        }
        return sink[0];
    }

    /**
     * {@code read_concurrent_contended_multi}: with the write lock held, spawn 5 readers, release the
     * write lock, join the readers; 100 rounds.
     */
    @Benchmark
    @PerOp(count = TOKIO_READERS * TOKIO_ROUNDS, unit = "read", order = 2,
        what = "100 rounds of: take the write lock, spawn 5 reader tasks (they wait), release it, join them",
        note = "Mostly spawn and join (Weft: `Task.spawn`, `JoinHandle.join`; JDK: `Thread.ofVirtual().start`, "
            + "`Thread.join`).")
    public long readConcurrentContendedMulti() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        if (weft) {
            final RwLock<Integer> lock = new RwLock<>(1);
            drive(done, "read_concurrent_contended_multi", () -> {
                final Runnable reader = () -> lock.read().close();
                final JoinHandle<?>[] handles = new JoinHandle<?>[TOKIO_READERS];
                long n = 0;
                for (int r = 0; r < TOKIO_ROUNDS; r++) {
                    RwLock.WriteGuard<Integer> w = lock.write();
                    for (int t = 0; t < TOKIO_READERS; t++) {
                        handles[t] = Task.spawn(reader);
                    }
                    w.close();
                    for (JoinHandle<?> h : handles) {
                        h.join();
                        n++;
                    }
                }
                sink[0] = n;
            });
        } else {
            final ReentrantReadWriteLock lock = jdkLock();
            drive(done, "read_concurrent_contended_multi", () -> {
                final Runnable reader = () -> {
                    lock.readLock().lock();
                    lock.readLock().unlock();
                };
                final Thread[] threads = new Thread[TOKIO_READERS];
                long n = 0;
                for (int r = 0; r < TOKIO_ROUNDS; r++) {
                    lock.writeLock().lock();
                    try {
                        for (int t = 0; t < TOKIO_READERS; t++) {
                            threads[t] = Thread.ofVirtual().start(reader);
                        }
                    } finally {
                        lock.writeLock().unlock();
                    }
                    for (Thread th : threads) {
                        th.join();
                        n++;
                    }
                }
                sink[0] = n;
            });
        }
        return sink[0];
    }

    /**
     * Readers and a writer: 4 reader tasks × 1 000 reads and one writer task × 250 writes, each holding
     * the lock across one yield (an await inside the critical section); the writer yields between writes.
     */
    @Benchmark
    @PerOp(count = READERS * READS_EACH + WRITES, unit = "lock", order = 3,
        what = "4 reader tasks × 1 000 reads and 1 writer task × 250 writes, each holding the lock across one "
            + "yield; a waiting writer holds back later readers (all but `jdk-unfair`)",
        note = "The yield is `Task.yieldNow()` on Weft and `Thread.yield()` on JDK virtual threads.")
    public long readWriteContended() {
        final Countdown done = new Countdown(READERS + 2);
        final long[] sink = new long[READERS + 1];
        if (weft) {
            final RwLock<Integer> lock = new RwLock<>(0);
            drive(done, "read_write_contended", () -> {
                for (int t = 0; t < READERS; t++) {
                    final int slot = t;
                    exec.spawnLocal(done.task(() -> {
                        long n = 0;
                        for (int i = 0; i < READS_EACH; i++) {
                            try (RwLock.ReadGuard<Integer> g = lock.read()) {
                                Task.yieldNow();
                                n += g.value();
                            }
                        }
                        sink[slot] = n;
                    }));
                }
                exec.spawnLocal(done.task(() -> {
                    for (int i = 0; i < WRITES; i++) {
                        try (RwLock.WriteGuard<Integer> g = lock.write()) {
                            Task.yieldNow();
                            g.value(g.value() + 1);
                        }
                        Task.yieldNow();
                    }
                    sink[READERS] = WRITES;
                }));
            });
        } else {
            final ReentrantReadWriteLock lock = jdkLock();
            final int[] value = {0};
            drive(done, "read_write_contended", () -> {
                for (int t = 0; t < READERS; t++) {
                    final int slot = t;
                    exec.spawnLocal(done.task(() -> {
                        long n = 0;
                        for (int i = 0; i < READS_EACH; i++) {
                            lock.readLock().lock();
                            try {
                                Thread.yield();
                                n += value[0];
                            } finally {
                                lock.readLock().unlock();
                            }
                        }
                        sink[slot] = n;
                    }));
                }
                exec.spawnLocal(done.task(() -> {
                    for (int i = 0; i < WRITES; i++) {
                        lock.writeLock().lock();
                        try {
                            Thread.yield();
                            value[0]++;
                        } finally {
                            lock.writeLock().unlock();
                        }
                        Thread.yield();
                    }
                    sink[READERS] = WRITES;
                }));
            });
        }
        long sum = 0;
        for (long v : sink) {
            sum += v;
        }
        return sum;
    }
}
