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
        // Maintenance at every tick, so only the 200 µs rule spaces the yields.
        try (Runtime rt = WeftTesting.build(Runtime.builder().workerThreads(1).eventInterval(1))) {
            WeftScheduler sched = RuntimeAccess.coreOf(rt).scheduler();
            long before = sched.workerCoreYieldCount(0);
            long pollsBefore = sched.workerPollCount(0);
            int wanted = 40;
            rt.blockOn(() -> {
                // Tasks that yield in a loop keep the carrier busy without a park, until it has
                // given its core away `wanted` times (or 10 s pass, and the assertion below fails).
                List<JoinHandle<Long>> hs = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                for (int t = 0; t < 4; t++) {
                    hs.add(Task.spawn(() -> {
                        long n = 0;
                        while (sched.workerCoreYieldCount(0) - before < wanted && System.nanoTime() < deadline) {
                            Task.yieldNow();
                            n++;
                        }
                        return n;
                    }));
                }
                for (JoinHandle<Long> h : hs) {
                    assertThat(h.join()).as("yields made by a task").isPositive();
                }
                return null;
            });
            long yields = sched.workerCoreYieldCount(0) - before;
            long polls = sched.workerPollCount(0) - pollsBefore;
            assertThat(yields).as("core yields").isGreaterThanOrEqualTo(wanted);
            // One per 200 µs of running at most, and a task's turn here (one virtual-thread yield) is
            // a microsecond or a few: many turns per core yield. Wall time says nothing here, since
            // each core yield may hand the core to a busy JIT thread for a whole slice.
            assertThat(polls).as("tasks run per core yield (%d yields)", yields).isGreaterThanOrEqualTo(10 * yields);
        }
    }

    @Test
    void aCarrierThatParksBetweenShortTasksDoesNotYieldItsCore() throws Exception {
        assumeTrue(weftScheduler(), "Weft's own carriers");
        // Maintenance at every tick, so each stint between parks is checked: none is 200 µs long.
        try (Runtime rt = WeftTesting.build(Runtime.builder().workerThreads(1).eventInterval(1))) {
            WeftScheduler sched = RuntimeAccess.coreOf(rt).scheduler();
            long before = sched.workerCoreYieldCount(0);
            int rounds = 200;
            for (int i = 0; i < rounds; i++) {
                int n = i;
                assertThat(rt.spawn(() -> n + 1).join()).isEqualTo(n + 1);
                Thread.sleep(0, 300_000); // the carrier parks between tasks
            }
            // A carrier that counted from its last yield instead of its last park would yield in
            // nearly every round; a preempted one now and then may too.
            assertThat(sched.workerCoreYieldCount(0) - before).as("core yields of a carrier that parks, of %d rounds", rounds)
                .isLessThan(rounds / 10);
        }
    }
}
