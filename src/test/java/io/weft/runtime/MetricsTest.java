package io.weft.runtime;

import static io.weft.testing.WeftTesting.builder;
import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static io.weft.testing.WeftTesting.spin;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link RuntimeMetrics} [Tokio: tests/rt_metrics.rs]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class MetricsTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnedTasksCountsEverySpawn(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            RuntimeMetrics m = rt.metrics();
            assertThat(m.spawnedTasks()).isZero();
            assertThat(m.aliveTasks()).isZero();
            for (int i = 0; i < 10; i++) {
                rt.spawn(() -> 1).join();
            }
            assertThat(m.spawnedTasks()).isEqualTo(10);
            rt.blockOn(() -> {
                for (int i = 0; i < 5; i++) {
                    Task.spawn(() -> 1).join();
                }
                return Task.spawnBlocking(() -> 1).join();
            });
            assertThat(m.spawnedTasks()).as("10 + blockOn + 5 + 1 blocking").isEqualTo(17);
            assertThat(rt.handle().metrics()).isSameAs(m);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aliveTasksCountsParkedTasksAndReturnsToZero(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch parked = new CountDownLatch(25);
            List<JoinHandle<Object>> hs = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                hs.add(rt.spawn(() -> {
                    parked.countDown();
                    release.await();
                    return null;
                }));
            }
            parked.await();
            assertThat(rt.metrics().aliveTasks()).isEqualTo(25);
            release.countDown();
            for (JoinHandle<Object> h : hs) {
                h.join();
            }
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0, rt.metrics()::toString);
            assertThat(rt.metrics().spawnedTasks()).isEqualTo(25);
            assertThat(rt.metrics().toString()).contains("alive=0", "spawned=25");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void metricsStayReadableAfterShutdown(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        rt.spawn(() -> 1).join();
        rt.close();
        RuntimeMetrics m = rt.metrics();
        assertThat(m.spawnedTasks()).isEqualTo(1);
        assertThat(m.aliveTasks()).isZero();
        assertThat(m.blockingThreads()).isZero();
        assertThat(m.globalQueueDepth()).isZero();
        assertThat(m.toString()).startsWith("RuntimeMetrics[");
        if (weftScheduler()) {
            long polls = 0;
            for (int i = 0; i < m.workerCount(); i++) {
                polls += m.workerPollCount(i);
            }
            assertThat(polls).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void workerMetricsOnWeftsScheduler(RuntimeFlavor flavor) {
        assumeTrue(weftScheduler(), "per-worker metrics exist only on Weft's carriers");
        try (Runtime rt = runtime(flavor)) {
            RuntimeMetrics m = rt.metrics();
            int workers = flavor == RuntimeFlavor.MULTI_THREAD ? 2 : 1;
            assertThat(m.workerCount()).isEqualTo(workers);
            long remoteBefore = m.remoteScheduleCount();
            for (int i = 0; i < 50; i++) {
                rt.spawn(() -> 1).join();
            }
            assertThat(m.remoteScheduleCount() - remoteBefore).as("spawns from outside go through the inject queue")
                .isGreaterThanOrEqualTo(50);
            rt.blockOn(() -> {
                List<JoinHandle<Integer>> hs = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    hs.add(Task.spawn(() -> {
                        Task.yieldNow();
                        return 1;
                    }));
                }
                for (JoinHandle<Integer> h : hs) {
                    h.join();
                }
                return null;
            });
            long polls = 0;
            for (int i = 0; i < workers; i++) {
                polls += m.workerPollCount(i);
                assertThat(m.workerLocalQueueDepth(i)).isNotNegative();
                assertThat(m.workerOverflowCount(i)).isNotNegative();
                assertThat(m.workerCurrentPollDuration(i).isNegative()).isFalse();
            }
            // 50 + 1 + 500 tasks, each polled at least once, the 500 at least twice (they yield).
            assertThat(polls).isGreaterThanOrEqualTo(50 + 1 + 1000);
            eventually(Duration.ofSeconds(5), () -> {
                long parks = 0;
                for (int i = 0; i < workers; i++) {
                    parks += m.workerParkCount(i);
                }
                return parks > 0;
            }, m::toString);
            Duration busy0 = m.workerBusyDuration(0);
            assertThat(busy0).isPositive();
            rt.spawn(() -> spin(2_000)).join();
            assertThat(m.workerBusyDuration(0)).isGreaterThanOrEqualTo(busy0);
            assertThatThrownBy(() -> m.workerPollCount(workers)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.workerStealCount(-1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(m.toString()).contains("w0{polls=");
        }
    }

    @Test
    void twoWorkersStealFromEachOtherUnderLoad() {
        assumeTrue(weftScheduler(), "per-worker metrics exist only on Weft's carriers");
        try (Runtime rt = WeftTesting.build(Runtime.builder().workerThreads(2))) {
            RuntimeMetrics m = rt.metrics();
            for (int round = 0; round < 10 && m.workerStealCount(0) + m.workerStealCount(1) == 0; round++) {
                // One task spawns many from inside: they land in its carrier's queue; the idle one steals.
                rt.blockOn(() -> {
                    List<JoinHandle<Void>> hs = new ArrayList<>();
                    for (int i = 0; i < 2_000; i++) {
                        hs.add(Task.spawn(() -> spin(20)));
                    }
                    for (JoinHandle<Void> h : hs) {
                        h.join();
                    }
                    return null;
                });
            }
            assertThat(m.workerStealCount(0) + m.workerStealCount(1)).as(m.toString()).isPositive();
            assertThat(m.workerPollCount(0)).isPositive();
            assertThat(m.workerPollCount(1)).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void fallbackHasNoWorkers(RuntimeFlavor flavor) {
        assumeTrue(!weftScheduler(), "JDK default scheduler only");
        try (Runtime rt = runtime(flavor)) {
            RuntimeMetrics m = rt.metrics();
            rt.spawn(() -> 1).join();
            assertThat(m.workerCount()).isZero();
            assertThat(m.globalQueueDepth()).isZero();
            assertThat(m.remoteScheduleCount()).isZero();
            assertThatThrownBy(() -> m.workerParkCount(0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(m.spawnedTasks()).isEqualTo(1);
        }
    }
}
