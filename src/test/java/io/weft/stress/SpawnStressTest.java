package io.weft.stress;

import static io.weft.testing.WeftTesting.builder;
import static io.weft.testing.WeftTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.JoinSet;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 100k-task runs with randomized yields, parks, sleeps and nested spawns, from inside and from
 * outside the runtime, several iterations each. Seeds are in every assertion message; rerun one with
 * {@code -Dweft.stress.seed=<seed>}. {@code stress-long} variants go bigger and are excluded by default.
 */
@Tag("stress")
@Timeout(180)
class SpawnStressTest {
    static final int TASKS = 100_000;
    static final int ITERATIONS = 3;

    static long seed() {
        return Long.getLong("weft.stress.seed", System.nanoTime());
    }

    /** A task body chosen by {@code r}: returns {@code k} after doing one of several kinds of waiting. */
    static int body(int k, int kind) throws Exception {
        switch (kind) {
            case 0, 1, 2, 3, 4 -> { }
            case 5, 6 -> Task.yieldNow();
            case 7 -> Thread.yield();
            case 8 -> LockSupport.parkNanos(10_000 + (k % 10) * 10_000L);
            case 9 -> Thread.sleep(k % 2);
            case 10 -> {
                return Task.spawn(() -> k).join();
            }
            default -> WeftTesting.spin(2);
        }
        return k;
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnFromInside(RuntimeFlavor flavor) {
        run(flavor, TASKS, ITERATIONS, false);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnFromOutside(RuntimeFlavor flavor) {
        run(flavor, TASKS, ITERATIONS, true);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag("stress-long")
    void spawnALotFromInsideAndOutside(RuntimeFlavor flavor) {
        run(flavor, 1_000_000, 5, false);
        run(flavor, 1_000_000, 5, true);
    }

    static void run(RuntimeFlavor flavor, int tasks, int iterations, boolean outside) {
        try (Runtime rt = WeftTesting.build(builder(flavor).shutdownTimeout(Duration.ofSeconds(10)))) {
            long spawnedBefore = 0;
            for (int it = 0; it < iterations; it++) {
                long seed = seed();
                String ctx = flavor + (outside ? " outside" : " inside") + " iteration " + it + " seed " + seed;
                long t0 = System.nanoTime();
                long sum = outside ? fromOutside(rt, tasks, seed) : rt.blockOn(() -> fromInside(tasks, seed));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(sum).as(ctx).isEqualTo((long) tasks * (tasks - 1) / 2);
                eventually(Duration.ofSeconds(10), () -> rt.metrics().aliveTasks() == 0,
                    () -> ctx + ": " + rt.metrics());
                long spawned = rt.metrics().spawnedTasks() - spawnedBefore;
                assertThat(spawned).as(ctx + ": spawned at least one task each").isGreaterThanOrEqualTo(tasks);
                spawnedBefore = rt.metrics().spawnedTasks();
                System.out.printf("%s: %d tasks in %d ms%n", ctx, tasks, ms);
            }
        }
    }

    static long fromInside(int tasks, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<JoinHandle<Integer>> hs = new ArrayList<>(tasks);
        for (int i = 0; i < tasks; i++) {
            int k = i;
            int kind = r.nextInt(12);
            hs.add(Task.spawn(() -> body(k, kind)));
            if ((i & 1023) == 0) {
                Task.yieldNow();
            }
        }
        long sum = 0;
        for (JoinHandle<Integer> h : hs) {
            sum += h.join();
        }
        return sum;
    }

    static long fromOutside(Runtime rt, int tasks, long seed) {
        int threads = 3;
        AtomicLong sum = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> spawners = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = tasks / threads * t;
            int to = t == threads - 1 ? tasks : tasks / threads * (t + 1);
            long s = seed + t;
            spawners.add(Thread.ofPlatform().name("stress-spawner-" + t).start(() -> {
                try {
                    SplittableRandom r = new SplittableRandom(s);
                    List<JoinHandle<Integer>> hs = new ArrayList<>(to - from);
                    for (int i = from; i < to; i++) {
                        int k = i;
                        int kind = r.nextInt(12);
                        hs.add(rt.handle().spawn(() -> body(k, kind)));
                    }
                    long local = 0;
                    for (JoinHandle<Integer> h : hs) {
                        local += h.join();
                    }
                    sum.addAndGet(local);
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        for (Thread t : spawners) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        assertThat(failure.get()).as("spawner failure, seed " + seed).isNull();
        return sum.get();
    }

    /** 20k parked tasks; a random half is aborted, the rest released: each ends exactly as it should. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortHalfOfManyParkedTasks(RuntimeFlavor flavor) throws Exception {
        for (int it = 0; it < ITERATIONS; it++) {
            long seed = seed();
            try (Runtime rt = WeftTesting.build(builder(flavor))) {
                int n = 20_000;
                CountDownLatch release = new CountDownLatch(1);
                CountDownLatch started = new CountDownLatch(n);
                SplittableRandom r = new SplittableRandom(seed);
                List<JoinHandle<Integer>> hs = new ArrayList<>(n);
                boolean[] abort = new boolean[n];
                for (int i = 0; i < n; i++) {
                    int k = i;
                    int kind = r.nextInt(3);
                    abort[i] = r.nextBoolean();
                    hs.add(rt.spawn(() -> {
                        started.countDown();
                        switch (kind) {
                            case 0 -> release.await();
                            case 1 -> {
                                while (release.getCount() > 0) {
                                    Task.yieldNow();
                                }
                            }
                            default -> {
                                while (release.getCount() > 0) {
                                    LockSupport.parkNanos(200_000);
                                    Task.checkCancelled();
                                }
                            }
                        }
                        return k;
                    }));
                }
                assertThat(started.await(30, TimeUnit.SECONDS)).as("all started, seed " + seed).isTrue();
                for (int i = 0; i < n; i++) {
                    if (abort[i]) {
                        hs.get(i).abort();
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (abort[i]) {
                        int k = i;
                        try {
                            hs.get(i).join(Duration.ofSeconds(30));
                            throw new AssertionError("task " + k + " was aborted but returned, seed " + seed);
                        } catch (JoinException e) {
                            assertThat(e.isCancelled()).as("task %d, seed %d", k, seed).isTrue();
                        }
                    }
                }
                release.countDown();
                for (int i = 0; i < n; i++) {
                    if (!abort[i]) {
                        assertThat(hs.get(i).join(Duration.ofSeconds(30))).as("seed " + seed).isEqualTo(i);
                    }
                }
            }
        }
    }

    /** JoinSets filled from inside, drained in completion order, repeatedly. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinSetChurn(RuntimeFlavor flavor) {
        long seed = seed();
        try (Runtime rt = WeftTesting.build(builder(flavor))) {
            long total = rt.blockOn(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                long s = 0;
                for (int round = 0; round < 20; round++) {
                    try (JoinSet<Integer> set = new JoinSet<>()) {
                        for (int i = 0; i < 2_000; i++) {
                            int k = i;
                            int kind = r.nextInt(12);
                            set.spawn(() -> body(k, kind));
                        }
                        Integer v;
                        int got = 0;
                        while ((v = set.joinNext()) != null) {
                            s += v;
                            got++;
                        }
                        assertThat(got).as("seed " + seed).isEqualTo(2_000);
                    }
                }
                return s;
            });
            assertThat(total).as("seed " + seed).isEqualTo(20L * 1999 * 2000 / 2);
        }
    }

    /** Runtimes created, loaded and shut down over and over: nothing accumulates. */
    @Test
    void manyRuntimesComeAndGo() {
        long seed = seed();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 30; i++) {
            RuntimeFlavor flavor = r.nextBoolean() ? RuntimeFlavor.MULTI_THREAD : RuntimeFlavor.CURRENT_THREAD;
            String prefix = WeftTesting.uniquePrefix("churn");
            Runtime rt = WeftTesting.build(builder(flavor).threadName(prefix));
            List<JoinHandle<Integer>> hs = new ArrayList<>();
            for (int k = 0; k < 1_000; k++) {
                int kk = k;
                int kind = r.nextInt(12);
                hs.add(rt.spawn(() -> body(kk, kind)));
            }
            if (r.nextBoolean()) {
                rt.shutdownNow();
                assertThat(rt.awaitTermination(Duration.ofSeconds(20))).as("seed " + seed).isTrue();
            } else {
                rt.close();
            }
            for (JoinHandle<Integer> h : hs) {
                assertThat(h.isDone()).as("seed " + seed).isTrue();
            }
            WeftTesting.assertNoThreadsEventually(prefix, Duration.ofSeconds(5));
        }
    }
}
