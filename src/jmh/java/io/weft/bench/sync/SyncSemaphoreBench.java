package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Semaphore;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Ports of Tokio's {@code benches/sync_semaphore.rs}: Weft's {@link Semaphore} against
 * {@link java.util.concurrent.Semaphore}.
 *
 * <p>Weft's semaphore is FIFO (Tokio's is): a permit released while tasks wait goes to the oldest
 * waiter and a newcomer cannot take it first. The JDK's nearest equivalent is therefore the fair
 * {@code Semaphore(n, true)} ({@code jdk}); the default, barging one is measured too
 * ({@code jdk-unfair}), since it is what most code uses.
 */
@BenchSection(
    title = "Sync: semaphore",
    chart = "sync-semaphore",
    source = "benches/sync_semaphore.rs",
    summary = "Weft's FIFO `Semaphore` on a Weft runtime (2 workers) against `java.util.concurrent.Semaphore` on "
        + "JDK virtual threads (default scheduler, parallelism 2), fair (`jdk`, the same FIFO guarantee) and "
        + "non-fair (`jdk-unfair`, the default, which lets a newcomer barge past waiters).",
    labels = {"weft=Weft", "jdk=JDK fair", "jdk-unfair=JDK non-fair"},
    baselines = {"jdk", "jdk-unfair"})
public class SyncSemaphoreBench extends VersusJdkBench {
    static final int UNCONTENDED_ACQUIRES = 10_000;
    static final int CONTENDED_TASKS = 16;
    static final int CONTENDED_ROUNDS = 500;
    static final int CONTENDED_PERMITS = 2;
    static final int TOKIO_TASKS = 6;
    static final int TOKIO_BATCHES = 100;

    /** {@code weft}, {@code jdk} (fair) or {@code jdk-unfair}. */
    @Param({WEFT, JDK, "jdk-unfair"})
    public String impl;

    @Override
    protected String impl() {
        return impl;
    }

    private java.util.concurrent.Semaphore jdkSemaphore(int permits) {
        return new java.util.concurrent.Semaphore(permits, JDK.equals(impl));
    }

    // ---------------------------------------------------------------------------------------------

    /** {@code uncontended}: one task acquires and releases a semaphore of 10, 10 000 times. */
    @Benchmark
    @PerOp(count = UNCONTENDED_ACQUIRES, unit = "acquire", order = 1,
        what = "one task acquires and releases a semaphore of 10 permits, 10 000 times",
        note = "Tokio's `uncontended` does 6 per `block_on`.")
    public long uncontended() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        if (weft) {
            final Semaphore s = new Semaphore(10);
            drive(done, "uncontended", () -> {
                long n = 0;
                for (int i = 0; i < UNCONTENDED_ACQUIRES; i++) {
                    try (Semaphore.Permit p = s.acquire()) {
                        n += 1; // not p.count(): it is synchronized, and the JDK side has no such call
                    }
                }
                sink[0] = n;
            });
        } else {
            final java.util.concurrent.Semaphore s = jdkSemaphore(10);
            drive(done, "uncontended", () -> {
                long n = 0;
                for (int i = 0; i < UNCONTENDED_ACQUIRES; i++) {
                    s.acquire();
                    try {
                        n += 1;
                    } finally {
                        s.release();
                    }
                }
                sink[0] = n;
            });
        }
        return sink[0];
    }

    /**
     * Contended: 16 tasks share 2 permits; each, 500 times, acquires, yields while holding the permit
     * (standing in for an await inside the critical section), and releases. Most acquires park.
     */
    @Benchmark
    @PerOp(count = CONTENDED_TASKS * CONTENDED_ROUNDS, unit = "acquire", order = 2,
        what = "16 tasks × 500 rounds on a semaphore of 2 permits; each holds its permit across one yield, so "
            + "most acquires wait",
        note = "The yield is `Task.yieldNow()` on Weft and `Thread.yield()` on JDK virtual threads.")
    public long contended() {
        final Countdown done = new Countdown(CONTENDED_TASKS + 1);
        final long[] sink = new long[CONTENDED_TASKS];
        if (weft) {
            final Semaphore s = new Semaphore(CONTENDED_PERMITS);
            drive(done, "contended", () -> {
                for (int t = 0; t < CONTENDED_TASKS; t++) {
                    final int slot = t;
                    exec.spawnLocal(done.task(() -> {
                        long n = 0;
                        for (int i = 0; i < CONTENDED_ROUNDS; i++) {
                            try (Semaphore.Permit p = s.acquire()) {
                                Task.yieldNow();
                                n += 1;
                            }
                        }
                        sink[slot] = n;
                    }));
                }
            });
        } else {
            final java.util.concurrent.Semaphore s = jdkSemaphore(CONTENDED_PERMITS);
            drive(done, "contended", () -> {
                for (int t = 0; t < CONTENDED_TASKS; t++) {
                    final int slot = t;
                    exec.spawnLocal(done.task(() -> {
                        long n = 0;
                        for (int i = 0; i < CONTENDED_ROUNDS; i++) {
                            s.acquire();
                            try {
                                Thread.yield();
                                n += 1;
                            } finally {
                                s.release();
                            }
                        }
                        sink[slot] = n;
                    }));
                }
            });
        }
        long sum = 0;
        for (long v : sink) {
            sum += v;
        }
        return sum;
    }

    /**
     * {@code contended_concurrent_multi}: 6 tasks, spawned together, each acquire once from a semaphore
     * of 5 and finish; 100 such rounds per batch.
     */
    @Benchmark
    @PerOp(count = TOKIO_TASKS * TOKIO_BATCHES, unit = "task", order = 3,
        what = "100 rounds of: spawn 6 tasks that each acquire and release one permit of 5, join them all",
        note = "Mostly spawn and join (Weft: `Task.spawn` and `JoinHandle.join`; JDK: `Thread.ofVirtual().start` "
            + "and `Thread.join`); Tokio's shape, one round per `block_on`.")
    public long contendedConcurrentMulti() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        if (weft) {
            final Semaphore s = new Semaphore(5);
            drive(done, "contended_concurrent_multi", () -> {
                final Runnable task = () -> s.acquire().close();
                final JoinHandle<?>[] handles = new JoinHandle<?>[TOKIO_TASKS];
                long n = 0;
                for (int b = 0; b < TOKIO_BATCHES; b++) {
                    for (int t = 0; t < TOKIO_TASKS; t++) {
                        handles[t] = Task.spawn(task);
                    }
                    for (JoinHandle<?> h : handles) {
                        h.join();
                        n++;
                    }
                }
                sink[0] = n;
            });
        } else {
            final java.util.concurrent.Semaphore s = jdkSemaphore(5);
            drive(done, "contended_concurrent_multi", () -> {
                final Runnable task = () -> {
                    s.acquireUninterruptibly();
                    s.release();
                };
                final Thread[] threads = new Thread[TOKIO_TASKS];
                long n = 0;
                for (int b = 0; b < TOKIO_BATCHES; b++) {
                    for (int t = 0; t < TOKIO_TASKS; t++) {
                        threads[t] = Thread.ofVirtual().start(task);
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
}
