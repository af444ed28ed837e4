package io.weft.runtime;

import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.liveThreads;
import static io.weft.testing.WeftTesting.spin;
import static io.weft.testing.WeftTesting.uniquePrefix;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The multi-thread flavour on Weft's scheduler [Tokio: tests/rt_threaded.rs]. */
@Timeout(30)
class RtThreadedTest {

    @BeforeEach
    void weftOnly() {
        assumeTrue(weftScheduler(), "checks Weft's carriers");
    }

    @Test
    void twoWorkersRunTasksInParallel() {
        try (Runtime rt = Runtime.builder().workerThreads(2).build()) {
            // Each task spins until it has seen the other running: only possible on two carriers at once.
            AtomicBoolean aUp = new AtomicBoolean();
            AtomicBoolean bUp = new AtomicBoolean();
            JoinHandle<Boolean> a = rt.spawn(() -> spinUntil(aUp, bUp));
            JoinHandle<Boolean> b = rt.spawn(() -> spinUntil(bUp, aUp));
            assertThat(a.join()).as("a saw b running").isTrue();
            assertThat(b.join()).as("b saw a running").isTrue();
        }
    }

    private static boolean spinUntil(AtomicBoolean mine, AtomicBoolean other) {
        mine.set(true);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!other.get()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    @Test
    void carriersAreNamedAndStartStopHooksRunOncePerCarrier() {
        String prefix = uniquePrefix("hooks");
        Set<String> started = ConcurrentHashMap.newKeySet();
        List<String> stopped = new CopyOnWriteArrayList<>();
        Runtime rt = Runtime.builder().workerThreads(3).threadName(prefix)
            .onThreadStart(() -> started.add(Thread.currentThread().getName()))
            .onThreadStop(() -> stopped.add(Thread.currentThread().getName()))
            .build();
        eventually(Duration.ofSeconds(5), () -> started.size() == 3, () -> "started " + started);
        assertThat(started).containsExactlyInAnyOrder(prefix + "0", prefix + "1", prefix + "2");
        Set<String> carriersUsed = ConcurrentHashMap.newKeySet();
        rt.blockOn(() -> {
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                hs.add(Task.spawn(() -> {
                    carriersUsed.add(WeftTesting.carrierName());
                    spin(100);
                }));
            }
            for (JoinHandle<Void> h : hs) {
                h.join();
            }
            return null;
        });
        assertThat(carriersUsed).allMatch(n -> n.startsWith(prefix));
        // A blocking-pool thread runs the hooks too.
        String blockingName = rt.spawnBlocking(() -> Thread.currentThread().getName()).join();
        rt.close();
        assertThat(started).contains(blockingName);
        assertThat(stopped).containsExactlyInAnyOrder(prefix + "0", prefix + "1", prefix + "2", blockingName);
        WeftTesting.assertNoThreadsEventually(prefix, Duration.ofSeconds(5));
    }

    @Test
    void parkAndUnparkHooksRunOnCarriers() {
        AtomicInteger parks = new AtomicInteger();
        AtomicInteger unparks = new AtomicInteger();
        Set<String> where = ConcurrentHashMap.newKeySet();
        String prefix = uniquePrefix("park");
        try (Runtime rt = Runtime.builder().workerThreads(2).threadName(prefix)
                .onThreadPark(() -> { parks.incrementAndGet(); where.add(Thread.currentThread().getName()); })
                .onThreadUnpark(unparks::incrementAndGet)
                .build()) {
            for (int i = 0; i < 20; i++) {
                rt.spawn(() -> 1).join();
                WeftTesting.sleep(Duration.ofMillis(2));
            }
            eventually(Duration.ofSeconds(5), () -> parks.get() > 0 && unparks.get() > 0,
                () -> "parks " + parks + ", unparks " + unparks);
            assertThat(where).allMatch(n -> n.startsWith(prefix));
            long parkMetric = 0;
            for (int i = 0; i < rt.metrics().workerCount(); i++) {
                parkMetric += rt.metrics().workerParkCount(i);
            }
            assertThat(parkMetric).isPositive();
        }
    }

    @Test
    void aCarrierBusyWithALongPollDoesNotStopTheOthers() {
        try (Runtime rt = Runtime.builder().workerThreads(2).build()) {
            AtomicBoolean release = new AtomicBoolean();
            JoinHandle<Void> hog = rt.spawn(() -> {
                while (!release.get()) {
                    Thread.onSpinWait(); // never parks: holds its carrier
                }
            });
            try {
                // Work from outside still completes on the other carrier.
                for (int i = 0; i < 200; i++) {
                    int k = i;
                    assertThat(rt.spawn(() -> k).join(Duration.ofSeconds(5))).isEqualTo(k);
                }
                eventually(Duration.ofSeconds(5), () -> {
                    for (int i = 0; i < rt.metrics().workerCount(); i++) {
                        if (rt.metrics().workerCurrentPollDuration(i).toMillis() >= 20) {
                            return true;
                        }
                    }
                    return false;
                }, () -> "workerCurrentPollDuration shows the hogged carrier: " + rt.metrics());
            } finally {
                release.set(true);
            }
            hog.join();
        }
    }

    @Test
    void spawnedTasksSpreadOverBothCarriers() {
        try (Runtime rt = Runtime.builder().workerThreads(2).build()) {
            Set<String> carriers = ConcurrentHashMap.newKeySet();
            for (int round = 0; round < 20 && carriers.size() < 2; round++) {
                rt.blockOn(() -> {
                    List<JoinHandle<Void>> hs = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        hs.add(Task.spawn(() -> {
                            spin(50);
                            carriers.add(WeftTesting.carrierName());
                        }));
                    }
                    for (JoinHandle<Void> h : hs) {
                        h.join();
                    }
                    return null;
                });
            }
            assertThat(carriers).hasSize(2);
        }
    }

    @Test
    void tinyLocalQueuesOverflowIntoTheGlobalQueueWithoutLosingTasks() {
        try (Runtime rt = Runtime.builder().workerThreads(2).localQueueCapacity(4).globalQueueInterval(3)
                .eventInterval(2).build()) {
            long sum = rt.blockOn(() -> {
                List<JoinHandle<Integer>> hs = new ArrayList<>();
                for (int i = 0; i < 5_000; i++) {
                    int k = i;
                    hs.add(Task.spawn(() -> {
                        if (k % 2 == 0) {
                            Task.yieldNow();
                        }
                        return k;
                    }));
                }
                long s = 0;
                for (JoinHandle<Integer> h : hs) {
                    s += h.join();
                }
                return s;
            });
            assertThat(sum).isEqualTo(4999L * 5000 / 2);
            long overflows = 0;
            for (int i = 0; i < rt.metrics().workerCount(); i++) {
                overflows += rt.metrics().workerOverflowCount(i);
            }
            assertThat(overflows).as("a 4-slot local queue overflowed").isPositive();
        }
    }

    @Test
    void carriersStopAfterClose() {
        String prefix = uniquePrefix("stop");
        Runtime rt = Runtime.builder().workerThreads(2).threadName(prefix).build();
        assertThat(liveThreads(prefix)).hasSizeGreaterThanOrEqualTo(2);
        rt.blockOn(() -> 1);
        rt.close();
        assertThat(rt.isTerminated()).isTrue();
        WeftTesting.assertNoThreadsEventually(prefix, Duration.ofSeconds(5));
    }
}
