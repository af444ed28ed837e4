package io.weft.runtime;

import static io.weft.testing.WeftTesting.assertNoThreadsEventually;
import static io.weft.testing.WeftTesting.builder;
import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.uniquePrefix;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Graceful and abrupt shutdown [Tokio: tests/rt_common.rs shutdown_*, rt_handle.rs]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(60)
class ShutdownTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownReturnsTrueWhenEveryTaskEndsInTime(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        List<JoinHandle<Integer>> hs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int k = i;
            hs.add(rt.spawn(() -> {
                Thread.sleep(50);
                return k;
            }));
        }
        long t0 = System.nanoTime();
        assertThat(rt.shutdown(Duration.ofSeconds(10))).isTrue();
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(rt.isShutdown()).isTrue();
        assertThat(rt.isTerminated()).isTrue();
        int sum = 0;
        for (JoinHandle<Integer> h : hs) {
            assertThat(h.isDone()).isTrue();
            sum += h.join();
        }
        assertThat(sum).isEqualTo(190);
        assertThat(rt.toString()).contains("terminated");
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownReturnsFalseAndAbortsWhatDoesNotEndInTime(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor));
        CountDownLatch started = new CountDownLatch(2);
        JoinHandle<Integer> stuck = rt.spawn(() -> {
            started.countDown();
            Thread.sleep(3_600_000);
            return 1;
        });
        JoinHandle<Integer> quick = rt.spawn(() -> {
            started.countDown();
            return 2;
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        assertThat(rt.shutdown(Duration.ofMillis(100))).isFalse();
        long took = System.nanoTime() - t0;
        assertThat(took).isBetween(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.SECONDS.toNanos(5));
        assertThat(rt.isTerminated()).isTrue();
        assertThat(quick.join()).isEqualTo(2);
        assertThatThrownBy(stuck::join).isInstanceOfSatisfying(JoinException.class,
            e -> assertThat(e.isCancelled()).isTrue());
        assertThat(rt.metrics().aliveTasks()).isZero();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void whileDrainingTasksMaySpawnHelpersButOutsidersAreRefused(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor));
        CountDownLatch release = new CountDownLatch(1);
        JoinHandle<String> worker = rt.spawn(() -> {
            release.await();
            // The runtime is draining now: a helper spawned from inside still runs.
            return Task.spawn(() -> "helper").join() + "+" + Task.spawnBlocking(() -> "blocking").join();
        });
        AtomicReference<Boolean> clean = new AtomicReference<>();
        Thread shutter = Thread.ofPlatform().start(() -> clean.set(rt.shutdown(Duration.ofSeconds(10))));
        eventually(Duration.ofSeconds(5), rt::isShutdown, () -> "shutdown began");
        JoinHandle<Integer> outsider = rt.spawn(() -> 1);
        assertThat(outsider.isCancelled()).as("spawn from outside while draining").isTrue();
        assertThatThrownBy(outsider::join).isInstanceOfSatisfying(JoinException.class,
            e -> assertThat(e.isCancelled()).isTrue());
        release.countDown();
        shutter.join(10_000);
        assertThat(worker.join()).isEqualTo("helper+blocking");
        assertThat(clean.get()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void everythingSpawnedAfterShutdownIsCancelled(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        rt.close();
        AtomicBoolean ran = new AtomicBoolean();
        JoinHandle<Integer> h = rt.spawn(() -> {
            ran.set(true);
            return 1;
        });
        assertThat(h.isDone()).isTrue();
        assertThat(h.isCancelled()).isTrue();
        assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class,
            e -> assertThat(e.isCancelled()).isTrue());
        assertThat(rt.spawn(() -> ran.set(true)).isCancelled()).isTrue();
        assertThat(rt.handle().spawn(() -> 1).isCancelled()).isTrue();
        assertThat(rt.handle().spawnNamed("late", () -> 1).isCancelled()).isTrue();
        assertThat(rt.spawnBlocking(() -> {
            ran.set(true);
            return 1;
        }).isCancelled()).isTrue();
        assertThatThrownBy(() -> rt.blockOn(() -> {
            ran.set(true);
            return 1;
        })).isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
        assertThat(ran).isFalse();
        assertThat(rt.handle().isShutdown()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeIsIdempotentAndShutdownNowTerminates(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        rt.spawn(() -> 1).join();
        rt.close();
        long t0 = System.nanoTime();
        rt.close();
        rt.shutdownNow();
        assertThat(rt.shutdown(Duration.ofSeconds(1))).isTrue();
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(1));
        assertThat(rt.awaitTermination(Duration.ZERO)).isTrue();

        Runtime rt2 = WeftTesting.build(builder(flavor));
        JoinHandle<Object> sleeper = rt2.spawn(() -> {
            Thread.sleep(3_600_000);
            return null;
        });
        rt2.shutdownNow();
        assertThat(rt2.isShutdown()).isTrue();
        assertThat(rt2.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(rt2.isTerminated()).isTrue();
        assertThatThrownBy(sleeper::join).isInstanceOfSatisfying(JoinException.class,
            e -> assertThat(e.isCancelled()).isTrue());
        rt2.shutdownNow();
        rt2.close();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeWaitsForRunningTasks(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        JoinHandle<String> h = rt.spawn(() -> {
            Thread.sleep(100);
            return "finished";
        });
        rt.close();
        assertThat(h.isDone()).isTrue();
        assertThat(h.join()).isEqualTo("finished");
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownFromInsideATaskIsRefusedButShutdownNowWorks(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor));
        try {
            assertThatThrownBy(() -> rt.blockOn(() -> rt.shutdown(Duration.ofSeconds(1))))
                .isInstanceOf(IllegalStateException.class);
            assertThat(rt.isShutdown()).isFalse();
            AtomicReference<Throwable> afterwards = new AtomicReference<>();
            JoinHandle<Object> self = rt.spawn(() -> {
                rt.shutdownNow();
                try {
                    Task.yieldNow();
                } catch (CancelledException e) {
                    afterwards.set(e);
                    throw e;
                }
                return null;
            });
            assertThatThrownBy(() -> self.join(Duration.ofSeconds(10))).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(afterwards.get()).isInstanceOf(CancelledException.class);
            assertThat(rt.awaitTermination(Duration.ofSeconds(10))).isTrue();
        } finally {
            rt.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aBlockOnCallerSeesTheCancellationWhenTheRuntimeShutsDown(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor));
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                rt.blockOn(() -> {
                    started.countDown();
                    Thread.sleep(3_600_000);
                    return null;
                });
            } catch (Throwable t) {
                seen.set(t);
            }
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        rt.shutdownNow();
        caller.join(10_000);
        assertThat(caller.isAlive()).isFalse();
        assertThat(seen.get()).isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
        assertThat(rt.awaitTermination(Duration.ofSeconds(10))).isTrue();
    }

    /**
     * 10k tasks mid-flight (yielding, sleeping, parking, computing, blocking); the runtime shuts down
     * under them. No completed result is lost, nothing fails, and no thread of the runtime survives.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownUnderLoadLosesNoResultAndLeaksNoThread(RuntimeFlavor flavor) throws Exception {
        for (boolean abrupt : new boolean[] {false, true}) {
            long seed = System.nanoTime();
            String prefix = uniquePrefix("load");
            Runtime rt = WeftTesting.build(builder(flavor).threadName(prefix).maxBlockingThreads(4));
            int n = 10_000;
            AtomicIntegerArray completed = new AtomicIntegerArray(n);
            List<JoinHandle<Integer>> hs = new ArrayList<>(n);
            List<Thread> blockingThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<JoinHandle<Integer>> children = new java.util.concurrent.CopyOnWriteArrayList<>();
            AtomicInteger started = new AtomicInteger();
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int i = 0; i < n; i++) {
                int k = i;
                int kind = rnd.nextInt(6);
                if (kind == 5 && i % 50 == 0) {
                    hs.add(rt.spawnBlocking(() -> {
                        blockingThreads.add(Thread.currentThread());
                        Thread.sleep(1 + k % 3);
                        completed.set(k, 1);
                        return k;
                    }));
                    continue;
                }
                hs.add(rt.spawn(() -> {
                    started.incrementAndGet();
                    switch (kind) {
                        case 0 -> {
                            for (int j = 0; j < 200; j++) {
                                Task.yieldNow();
                            }
                        }
                        case 1 -> Thread.sleep(1 + k % 20);
                        case 2 -> LockSupport.parkNanos(1_000_000);
                        // Fire and forget: a parent that joins a child cancelled by the shutdown ends
                        // failed, not cancelled (see aParentThatJoinsAChildCancelledByShutdownEndsCancelled).
                        case 3 -> children.add(Task.spawn(() -> k));
                        default -> WeftTesting.spin(5);
                    }
                    Task.checkCancelled();
                    completed.set(k, 1);
                    return k;
                }));
            }
            eventually(Duration.ofSeconds(10), () -> started.get() > 1_000, () -> "tasks started: " + started);
            if (abrupt) {
                rt.shutdownNow();
                assertThat(rt.awaitTermination(Duration.ofSeconds(20))).isTrue();
            } else {
                rt.shutdown(Duration.ofMillis(20));
            }
            assertThat(rt.isTerminated()).isTrue();
            int values = 0;
            int cancelled = 0;
            for (int i = 0; i < n; i++) {
                JoinHandle<Integer> h = hs.get(i);
                String ctx = "task " + i + " (seed " + seed + ", abrupt " + abrupt + ")";
                assertThat(h.isDone()).as(ctx + " is done").isTrue();
                try {
                    assertThat(h.join()).as(ctx).isEqualTo(i);
                    values++;
                } catch (JoinException e) {
                    assertThat(e.isCancelled()).as(ctx + " ended cancelled, not failed: " + e.getCause()).isTrue();
                    assertThat(completed.get(i)).as(ctx + " completed but its result was lost").isZero();
                    cancelled++;
                }
            }
            assertThat(values + cancelled).isEqualTo(n);
            for (JoinHandle<Integer> child : children) {
                assertThat(child.isDone()).as("child task is done (seed %d)", seed).isTrue();
                try {
                    child.join();
                } catch (JoinException e) {
                    assertThat(e.isCancelled()).as("child ended cancelled, not failed (seed %d)", seed).isTrue();
                }
            }
            assertThat(rt.metrics().aliveTasks()).isZero();
            assertNoThreadsEventually(prefix, Duration.ofSeconds(5));
            for (Thread t : blockingThreads) {
                eventually(Duration.ofSeconds(5), () -> !t.isAlive(), () -> t + " still alive");
            }
        }
    }

    /**
     * A task that joins a child when the runtime aborts everything must end cancelled (it is being
     * aborted too), as in Tokio, where shutdown drops every task. Weft aborts tasks one by one, so a
     * parent can see its child's cancellation (or have a spawn refused) before its own abort flag
     * is set: its body then throws the child's JoinException and the parent ends FAILED.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aParentThatJoinsAChildCancelledByShutdownEndsCancelled(RuntimeFlavor flavor) throws Exception {
        for (int round = 0; round < 20; round++) {
            Runtime rt = WeftTesting.build(builder(flavor));
            int pairs = 500;
            CountDownLatch parked = new CountDownLatch(pairs);
            List<JoinHandle<Integer>> parents = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                parents.add(rt.spawn(() -> {
                    JoinHandle<Integer> child = Task.spawn(() -> {
                        Thread.sleep(3_600_000);
                        return 0;
                    });
                    parked.countDown();
                    return child.join() + (Task.spawn(() -> 1).join());
                }));
            }
            assertThat(parked.await(10, TimeUnit.SECONDS)).isTrue();
            rt.shutdownNow();
            assertThat(rt.awaitTermination(Duration.ofSeconds(20))).isTrue();
            for (JoinHandle<Integer> p : parents) {
                assertThatThrownBy(p::join).isInstanceOfSatisfying(JoinException.class,
                    e -> assertThat(e.isCancelled()).as("parent cancelled, not failed with %s", e.getCause()).isTrue());
            }
        }
    }

    /**
     * The JDK's own threads may hand Weft a continuation after the carriers stopped: here the timer
     * wake-up of a task that keeps sleeping through its abort. execute() must not throw into the JDK
     * timer thread, and the task must still complete (on the late executor).
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aTimerWakeUpAfterTheCarriersStoppedStillCompletesTheTask(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor));
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<String> finishedOn = new AtomicReference<>();
        JoinHandle<String> stubborn = rt.spawn(() -> {
            started.countDown();
            // Well past the 1 s unwind grace, so the carriers are gone when the last timer fires.
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_200);
            while (System.nanoTime() - end < 0) {
                try {
                    Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
                } catch (InterruptedException e) {
                    // ignore the abort: keep sleeping past the unwind grace
                }
            }
            finishedOn.set(Thread.currentThread().toString());
            return "woke after shutdown";
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        assertThat(rt.shutdown(Duration.ZERO)).isFalse();
        assertThat(rt.isTerminated()).isTrue();
        assertThat(stubborn.isDone()).as("still sleeping when the carriers stopped").isFalse();
        // The timer fires after the carriers are gone; the task completes anyway.
        assertThat(stubborn.join(Duration.ofSeconds(10))).isEqualTo("woke after shutdown");
        assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1_000));
        if (weftScheduler()) {
            assertThat(finishedOn.get()).contains("@weft-late-");
        }
        // The JDK timer threads are unharmed: timed parks still work in a fresh runtime and on plain threads.
        try (Runtime fresh = WeftTesting.build(builder(flavor))) {
            assertThat(fresh.blockOn(() -> {
                Thread.sleep(5);
                return Task.spawn(() -> {
                    LockSupport.parkNanos(1_000_000);
                    return "ok";
                }).join();
            })).isEqualTo("ok");
        }
        Thread vt = Thread.ofVirtual().start(() -> LockSupport.parkNanos(1_000_000));
        vt.join(5_000);
        assertThat(vt.isAlive()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownRuntimePolicyShutsDownOnTheFirstFailure(RuntimeFlavor flavor) throws Exception {
        Runtime rt = WeftTesting.build(builder(flavor).unhandledException(UnhandledExceptionPolicy.SHUTDOWN_RUNTIME));
        try {
            CountDownLatch started = new CountDownLatch(1);
            JoinHandle<Object> bystander = rt.spawn(() -> {
                started.countDown();
                Thread.sleep(3_600_000);
                return null;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            // An aborted task is not a failure: the runtime stays up.
            JoinHandle<Object> aborted = rt.spawn(() -> {
                Thread.sleep(3_600_000);
                return null;
            });
            aborted.abort();
            assertThatThrownBy(aborted::join).isInstanceOf(JoinException.class);
            Thread.sleep(20);
            assertThat(rt.isShutdown()).isFalse();

            IllegalStateException boom = new IllegalStateException("unhandled");
            JoinHandle<Object> failing = rt.spawn(() -> { throw boom; });
            assertThatThrownBy(failing::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.getCause()).isSameAs(boom);
            });
            eventually(Duration.ofSeconds(5), rt::isShutdown, () -> "runtime shut down");
            assertThatThrownBy(() -> bystander.join(Duration.ofSeconds(10)))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            assertThat(rt.awaitTermination(Duration.ofSeconds(10))).isTrue();
        } finally {
            rt.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownRuntimePolicyAlsoWatchesBlockingTasks(RuntimeFlavor flavor) {
        Runtime rt = WeftTesting.build(builder(flavor).unhandledException(UnhandledExceptionPolicy.SHUTDOWN_RUNTIME));
        try {
            JoinHandle<Object> failing = rt.spawnBlocking(() -> { throw new IllegalStateException("blocking failed"); });
            assertThatThrownBy(failing::join).isInstanceOf(JoinException.class);
            assertThat(rt.awaitTermination(Duration.ofSeconds(10))).isTrue();
        } finally {
            rt.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void ignorePolicyKeepsTheRuntimeUp(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.build(builder(flavor).unhandledException(UnhandledExceptionPolicy.IGNORE))) {
            for (int i = 0; i < 10; i++) {
                assertThatThrownBy(rt.spawn(() -> { throw new IllegalStateException(); })::join)
                    .isInstanceOf(JoinException.class);
            }
            Thread.sleep(20);
            assertThat(rt.isShutdown()).isFalse();
            assertThat(rt.spawn(() -> 1).join()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownValidatesItsArgument(RuntimeFlavor flavor) {
        try (Runtime rt = WeftTesting.build(builder(flavor))) {
            assertThatThrownBy(() -> rt.shutdown(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> rt.shutdown(null)).isInstanceOf(NullPointerException.class);
            assertThat(rt.isShutdown()).isFalse();
        }
    }
}
