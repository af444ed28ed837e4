package io.weft.runtime;

import static io.weft.testing.WeftTesting.spin;
import static io.weft.testing.WeftTesting.uniquePrefix;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The current-thread flavour on Weft's scheduler: one carrier, so order is deterministic and no two
 * tasks ever run in parallel [Tokio: tests/rt_common.rs, current_thread].
 */
@Timeout(30)
class RtCurrentThreadTest {

    @BeforeEach
    void weftOnly() {
        assumeTrue(weftScheduler(), "ordering is Weft's scheduler's; the JDK default one runs tasks in parallel");
    }

    private static List<String> runYielders(Runtime rt) {
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        rt.blockOn(() -> {
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (String n : List.of("A", "B", "C")) {
                hs.add(Task.spawn(() -> {
                    order.add(n + "1");
                    Task.yieldNow();
                    order.add(n + "2");
                }));
            }
            for (JoinHandle<Void> h : hs) {
                h.join();
            }
            return null;
        });
        return order;
    }

    @Test
    void yieldGoesBehindQueuedTasksWithoutLifoSlot() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread().disableLifoSlot())) {
            // Spawned A, B, C queue in order; each yield puts the task behind the other two.
            assertThat(runYielders(rt)).containsExactly("A1", "B1", "C1", "A2", "B2", "C2");
        }
    }

    @Test
    void yieldGoesBehindQueuedTasksWithLifoSlot() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread())) {
            // As Tokio: the last task spawned sits in the LIFO slot and runs first (C), the earlier
            // ones wait in the queue (A, B). C's yield puts it behind A and B, not back in the slot.
            assertThat(runYielders(rt)).containsExactly("C1", "A1", "B1", "C2", "A2", "B2");
        }
    }

    @Test
    void repeatedYieldsRoundRobin() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread().disableLifoSlot())) {
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            rt.blockOn(() -> {
                List<JoinHandle<Void>> hs = new ArrayList<>();
                for (String n : List.of("a", "b")) {
                    hs.add(Task.spawn(() -> {
                        for (int i = 0; i < 4; i++) {
                            order.add(n + i);
                            Task.yieldNow();
                        }
                    }));
                }
                for (JoinHandle<Void> h : hs) {
                    h.join();
                }
                return null;
            });
            assertThat(order).containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3");
        }
    }

    @Test
    void threadYieldInATaskAlsoGoesBehindQueuedWork() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread().disableLifoSlot())) {
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            rt.blockOn(() -> {
                JoinHandle<Void> a = Task.spawn(() -> {
                    order.add("a-before");
                    Thread.yield(); // plain JDK yield, not Task.yieldNow
                    order.add("a-after");
                });
                JoinHandle<Void> b = Task.spawn(() -> { order.add("b"); });
                JoinHandle<Void> c = Task.spawn(() -> { order.add("c"); });
                a.join();
                b.join();
                c.join();
                return null;
            });
            assertThat(order).containsExactly("a-before", "b", "c", "a-after");
        }
    }

    /**
     * Work from outside the runtime runs in the order it was submitted, although the carrier takes it
     * from the inject queue in batches and checks that queue first every global-queue interval: a later
     * batch goes behind the earlier one in the local queue, never ahead of it. (The timer's wake-ups
     * come this way, so equal or ordered deadlines rely on it; see TimeSleepTest.)
     */
    @Test
    void remoteSpawnsRunInSubmissionOrder() {
        for (int round = 0; round < 20; round++) {
            try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread())) {
                List<Integer> order = Collections.synchronizedList(new ArrayList<>());
                List<JoinHandle<Void>> hs = new ArrayList<>();
                for (int i = 0; i < 2_000; i++) {
                    int id = i;
                    hs.add(rt.spawn(() -> {
                        order.add(id);
                        spin(20); // slower than the submitter, so batches pile up in the local queue
                    }));
                }
                for (JoinHandle<Void> h : hs) {
                    h.join();
                }
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < 2_000; i++) {
                    expected.add(i);
                }
                assertThat(order).as("round %d", round).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    void noTwoTasksRunAtOnce() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread())) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger maxRunning = new AtomicInteger();
            rt.blockOn(() -> {
                List<JoinHandle<Void>> hs = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    hs.add(Task.spawn(() -> {
                        for (int j = 0; j < 3; j++) {
                            int now = running.incrementAndGet();
                            maxRunning.accumulateAndGet(now, Math::max);
                            spin(200);
                            running.decrementAndGet();
                            Task.yieldNow();
                        }
                    }));
                }
                for (JoinHandle<Void> h : hs) {
                    h.join();
                }
                return null;
            });
            assertThat(maxRunning.get()).isEqualTo(1);
        }
    }

    @Test
    void aTaskThatDoesNotParkHoldsTheOnlyCarrier() {
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread())) {
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            rt.blockOn(() -> {
                JoinHandle<Void> other = Task.spawn(() -> { order.add("other"); });
                order.add("spin-start");
                spin(20_000);
                order.add("spin-end");
                other.join();
                return null;
            });
            assertThat(order).containsExactly("spin-start", "spin-end", "other");
        }
    }

    @Test
    void workerThreadsIsIgnoredAndTheCarrierIsNamed() {
        String prefix = uniquePrefix("ct");
        try (Runtime rt = WeftTesting.build(Runtime.builderCurrentThread().workerThreads(8).threadName(prefix))) {
            assertThat(rt.metrics().workerCount()).isEqualTo(1);
            assertThat(rt.blockOn(WeftTesting::carrierName)).isEqualTo(prefix + "0");
            assertThat(rt.flavor()).isEqualTo(RuntimeFlavor.CURRENT_THREAD);
        }
    }
}
