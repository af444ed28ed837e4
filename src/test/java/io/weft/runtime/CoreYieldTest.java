package io.weft.runtime;

import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.internal.runtime.RuntimeAccess;
import io.weft.internal.scheduler.WeftScheduler;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A carrier that never parks gives its core to the OS scheduler now and then (every 200 µs of
 * running by default, {@code weft.osYieldMicros}), so other threads that want that core do not wait
 * for the kernel's preemption; a carrier that parks often has no reason to.
 */
class CoreYieldTest {
    @Test
    void aCarrierThatRunsWithoutParkingYieldsItsCoreNowAndThen() throws Exception {
        assumeTrue(weftScheduler(), "Weft's own carriers");
        try (Runtime rt = WeftTesting.build(Runtime.builder().workerThreads(1))) {
            WeftScheduler sched = RuntimeAccess.coreOf(rt).scheduler();
            long before = sched.workerCoreYieldCount(0);
            long values = rt.blockOn(() -> {
                // Tasks that yield in a loop keep the carrier busy for 200 ms without a park.
                List<JoinHandle<Long>> hs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    hs.add(Task.spawn(() -> {
                        long n = 0;
                        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                        while (System.nanoTime() < end) {
                            Task.yieldNow();
                            n++;
                        }
                        return n;
                    }));
                }
                long sum = 0;
                for (JoinHandle<Long> h : hs) {
                    sum += h.join();
                }
                return sum;
            });
            assertThat(values).as("yields made by the tasks").isPositive();
            // 200 ms at one yield per 200 µs is about 1,000; a loaded machine preempts the carrier
            // (the clock runs on while it waits), so ask for a tenth.
            assertThat(sched.workerCoreYieldCount(0) - before).as("core yields in 200 ms of running").isGreaterThan(100);
        }
    }

    @Test
    void aCarrierThatParksBetweenShortTasksDoesNotYieldItsCore() throws Exception {
        assumeTrue(weftScheduler(), "Weft's own carriers");
        try (Runtime rt = WeftTesting.build(Runtime.builder().workerThreads(1))) {
            WeftScheduler sched = RuntimeAccess.coreOf(rt).scheduler();
            long before = sched.workerCoreYieldCount(0);
            for (int i = 0; i < 200; i++) {
                int n = i;
                assertThat(rt.spawn(() -> n + 1).join()).isEqualTo(n + 1);
                Thread.sleep(0, 200_000); // the carrier parks between tasks
            }
            assertThat(sched.workerCoreYieldCount(0) - before).as("core yields of a carrier that parks").isLessThan(10);
        }
    }
}
