package io.weft.task;

import static io.weft.testing.WeftTesting.builder;
import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code spawnBlocking}: the pool of platform threads beside the carriers [Tokio: tests/rt_common.rs, spawn_blocking]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class SpawnBlockingTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void runsOnNamedPlatformThreads(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Thread t = rt.spawnBlocking(Thread::currentThread).join();
            assertThat(t.isVirtual()).isFalse();
            assertThat(t.getName()).startsWith("weft-blocking-");
            assertThat(t.isDaemon()).isTrue();
            assertThat(rt.handle().spawnBlocking(() -> Thread.currentThread().getName()).join())
                .startsWith("weft-blocking-");
            // From inside a task, and a task spawned from a blocking thread runs on the runtime.
            assertThat(rt.blockOn(() -> Task.spawnBlocking(() -> Thread.currentThread().isVirtual()).join())).isFalse();
            assertThat(rt.spawnBlocking(() -> Task.spawn(() -> Thread.currentThread().isVirtual()).join()).join())
                .isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void failuresAreHeldByTheHandle(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            IllegalStateException ise = new IllegalStateException("disk on fire");
            JoinHandle<Object> h = rt.spawnBlocking(() -> { throw ise; });
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.getCause()).isSameAs(ise);
            });
            // The pool thread survived.
            assertThat(rt.spawnBlocking(() -> 1).join()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void theThreadCapIsRespected(RuntimeFlavor flavor) {
        try (Runtime rt = WeftTesting.build(builder(flavor).maxBlockingThreads(2))) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger maxRunning = new AtomicInteger();
            AtomicInteger maxQueued = new AtomicInteger();
            AtomicInteger maxThreads = new AtomicInteger();
            Set<String> threads = ConcurrentHashMap.newKeySet();
            List<JoinHandle<Integer>> hs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int k = i;
                hs.add(rt.spawnBlocking(() -> {
                    int now = running.incrementAndGet();
                    maxRunning.accumulateAndGet(now, Math::max);
                    maxQueued.accumulateAndGet(rt.metrics().blockingQueueDepth(), Math::max);
                    maxThreads.accumulateAndGet(rt.metrics().blockingThreads(), Math::max);
                    threads.add(Thread.currentThread().getName());
                    Thread.sleep(30);
                    running.decrementAndGet();
                    return k;
                }));
            }
            int sum = 0;
            for (JoinHandle<Integer> h : hs) {
                sum += h.join();
            }
            assertThat(sum).isEqualTo(45);
            assertThat(maxRunning.get()).as("never more than 2 at once").isEqualTo(2);
            assertThat(maxThreads.get()).isLessThanOrEqualTo(2);
            assertThat(threads).hasSizeLessThanOrEqualTo(2);
            assertThat(maxQueued.get()).as("the rest waited in the queue").isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void idleThreadsAreReusedThenExitAfterTheKeepAlive(RuntimeFlavor flavor) {
        try (Runtime rt = WeftTesting.build(builder(flavor).threadKeepAlive(Duration.ofMillis(800)))) {
            String first = rt.spawnBlocking(() -> Thread.currentThread().getName()).join();
            eventually(Duration.ofSeconds(2), () -> rt.metrics().idleBlockingThreads() == 1, rt.metrics()::toString);
            assertThat(rt.spawnBlocking(() -> Thread.currentThread().getName()).join()).isEqualTo(first);
            assertThat(rt.metrics().blockingThreads()).isEqualTo(1);
            eventually(Duration.ofSeconds(5), () -> rt.metrics().blockingThreads() == 0, rt.metrics()::toString);
            assertThat(rt.metrics().idleBlockingThreads()).isZero();
            WeftTesting.assertNoThreadsEventually(first, Duration.ofSeconds(5));
            // A new thread starts on demand.
            assertThat(rt.spawnBlocking(() -> 2).join()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortInterruptsARunningBlockingTaskAndTheThreadIsCleanAfterwards(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.build(builder(flavor).maxBlockingThreads(1))) {
            CountDownLatch started = new CountDownLatch(1);
            JoinHandle<Object> h = rt.spawnBlocking(() -> {
                started.countDown();
                Thread.sleep(3_600_000);
                return null;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            h.abort();
            assertThatThrownBy(() -> h.join(Duration.ofSeconds(5))).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            // The same (only) pool thread runs the next task, without the previous task's interrupt.
            assertThat(rt.spawnBlocking(() -> Thread.currentThread().isInterrupted()).join()).isFalse();
            assertThat(rt.spawnBlocking(() -> {
                Thread.sleep(5);
                return "slept";
            }).join()).isEqualTo("slept");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortingAQueuedBlockingTaskMeansItNeverRuns(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.build(builder(flavor).maxBlockingThreads(1))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(1);
            JoinHandle<Integer> first = rt.spawnBlocking(() -> {
                started.countDown();
                release.await();
                return 1;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            AtomicBoolean ran = new AtomicBoolean();
            JoinHandle<Integer> queued = rt.spawnBlocking(() -> {
                ran.set(true);
                return 2;
            });
            assertThat(rt.metrics().blockingQueueDepth()).isEqualTo(1);
            queued.abort();
            release.countDown();
            assertThat(first.join()).isEqualTo(1);
            assertThatThrownBy(() -> queued.join(Duration.ofSeconds(5))).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(ran).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockingTasksThatNeverStartAreCancelledAtShutdown(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor).maxBlockingThreads(1).shutdownTimeout(Duration.ZERO));
        CountDownLatch started = new CountDownLatch(1);
        JoinHandle<Integer> running = rt.spawnBlocking(() -> {
            started.countDown();
            Thread.sleep(3_600_000);
            return 1;
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        AtomicInteger ran = new AtomicInteger();
        List<JoinHandle<Integer>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            queued.add(rt.spawnBlocking(() -> ran.incrementAndGet()));
        }
        assertThat(rt.shutdown(Duration.ofMillis(50))).isFalse();
        assertThat(rt.isTerminated()).isTrue();
        assertThatThrownBy(running::join).isInstanceOfSatisfying(JoinException.class,
            e -> assertThat(e.isCancelled()).isTrue());
        for (JoinHandle<Integer> h : queued) {
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
        }
        assertThat(ran.get()).isZero();
        assertThat(rt.metrics().blockingThreads()).isZero();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownWaitsForTheBlockingThreadsStopHooks(RuntimeFlavor flavor) {
        AtomicInteger hooksDone = new AtomicInteger();
        Runtime rt = WeftTesting.build(builder(flavor).maxBlockingThreads(3).onThreadStop(() -> {
            if (Thread.currentThread().getName().startsWith("weft-blocking-")) {
                WeftTesting.sleep(Duration.ofMillis(150));
                hooksDone.incrementAndGet();
            }
        }));
        CountDownLatch all = new CountDownLatch(3);
        List<JoinHandle<Object>> hs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hs.add(rt.spawnBlocking(() -> {
                all.countDown();
                all.await();
                return null;
            }));
        }
        for (JoinHandle<Object> h : hs) {
            h.join();
        }
        rt.close();
        assertThat(rt.isTerminated()).isTrue();
        assertThat(hooksDone.get()).as("every blocking thread's stop hook ran before close() returned").isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockingTasksCountInTheTaskMetrics(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            long before = rt.metrics().spawnedTasks();
            List<JoinHandle<Object>> hs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                hs.add(rt.spawnBlocking(() -> {
                    release.await();
                    return null;
                }));
            }
            assertThat(rt.metrics().spawnedTasks() - before).isEqualTo(3);
            assertThat(rt.metrics().aliveTasks()).isEqualTo(3);
            release.countDown();
            for (JoinHandle<Object> h : hs) {
                h.join();
            }
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0, rt.metrics()::toString);
        }
    }
}
