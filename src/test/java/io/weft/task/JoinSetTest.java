package io.weft.task;

import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link JoinSet}: results in completion order [Tokio: tests/task_join_set.rs]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class JoinSetTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinNextReturnsResultsInCompletionOrder(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            List<Integer> order = rt.blockOn(() -> {
                CountDownLatch[] gates = {new CountDownLatch(1), new CountDownLatch(1), new CountDownLatch(1)};
                List<Integer> got = new ArrayList<>();
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    for (int i = 0; i < 3; i++) {
                        int k = i;
                        set.spawn(() -> {
                            gates[k].await();
                            return k;
                        });
                    }
                    assertThat(set.size()).isEqualTo(3);
                    for (int k : new int[] {2, 0, 1}) {
                        gates[k].countDown();
                        got.add(set.joinNext());
                    }
                    assertThat(set.isEmpty()).isTrue();
                    assertThat(set.joinNext()).isNull();
                }
                return got;
            });
            assertThat(order).containsExactly(2, 0, 1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anEmptySetJoinsNull(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor); JoinSet<String> set = new JoinSet<>()) {
            assertThat(set.joinNext()).isNull();
            assertThat(set.joinNextWithId()).isNull();
            assertThat(set.joinAll()).isEmpty();
            assertThat(set.size()).isZero();
            assertThat(set.isEmpty()).isTrue();
            assertThat(rt.blockOn(set::joinNext)).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void sizeCountsTasksUntilJoinedAndIdsMatchTheAbortHandles(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    Set<TaskId> ids = new HashSet<>();
                    for (int i = 0; i < 5; i++) {
                        int k = i;
                        ids.add(set.spawn(() -> k).id());
                    }
                    assertThat(ids).hasSize(5);
                    Thread.sleep(20); // all finished, none joined yet
                    assertThat(set.size()).isEqualTo(5);
                    Set<TaskId> joined = new HashSet<>();
                    int sum = 0;
                    for (int i = 0; i < 5; i++) {
                        JoinSet.Joined<Integer> j = set.joinNextWithId();
                        joined.add(j.id());
                        sum += j.value();
                        assertThat(set.size()).isEqualTo(4 - i);
                    }
                    assertThat(joined).isEqualTo(ids);
                    assertThat(sum).isEqualTo(10);
                    assertThat(set.joinNextWithId()).isNull();
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aFailedTaskLeavesTheSetWithItsException(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                IllegalStateException boom = new IllegalStateException("boom");
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    TaskId failing = set.spawn(() -> { throw boom; }).id();
                    assertThatThrownBy(set::joinNext).isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).isSameAs(boom);
                        assertThat(e.id()).isEqualTo(failing);
                    });
                    assertThat(set.isEmpty()).isTrue();
                    set.spawn(() -> 1);
                    assertThat(set.joinNext()).isEqualTo(1);
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinAllReturnsEveryValueAndOnFailureAbortsTheRest(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    for (int i = 0; i < 100; i++) {
                        int k = i;
                        set.spawn(() -> {
                            if (k % 7 == 0) {
                                Task.yieldNow();
                            }
                            return k;
                        });
                    }
                    List<Integer> all = set.joinAll();
                    assertThat(all).hasSize(100).containsExactlyInAnyOrderElementsOf(
                        java.util.stream.IntStream.range(0, 100).boxed().toList());
                    assertThat(set.isEmpty()).isTrue();
                }
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    CountDownLatch never = new CountDownLatch(1);
                    CountDownLatch started = new CountDownLatch(3);
                    AtomicInteger interrupted = new AtomicInteger();
                    for (int i = 0; i < 3; i++) {
                        set.spawn(() -> {
                            started.countDown();
                            try {
                                never.await();
                            } catch (InterruptedException e) {
                                interrupted.incrementAndGet();
                                throw e;
                            }
                            return 0;
                        });
                    }
                    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
                    set.spawn(() -> { throw new IllegalArgumentException("bad"); });
                    assertThatThrownBy(set::joinAll).isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
                    });
                    // The others were aborted and stay in the set until joined, as cancelled.
                    assertThat(set.size()).isEqualTo(3);
                    for (int i = 0; i < 3; i++) {
                        assertThatThrownBy(set::joinNext).isInstanceOfSatisfying(JoinException.class,
                            e -> assertThat(e.isCancelled()).isTrue());
                    }
                    assertThat(interrupted.get()).isEqualTo(3);
                    assertThat(set.joinNext()).isNull();
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortAllCancelsRunningTasksButKeepsFinishedValues(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (JoinSet<String> set = new JoinSet<>()) {
                    set.spawn(() -> "done");
                    Thread.sleep(20);
                    for (int i = 0; i < 4; i++) {
                        set.spawn(() -> {
                            Thread.sleep(3_600_000);
                            return "never";
                        });
                    }
                    Task.yieldNow();
                    set.abortAll();
                    int cancelled = 0;
                    List<String> values = new ArrayList<>();
                    while (!set.isEmpty()) {
                        try {
                            values.add(set.joinNext());
                        } catch (JoinException e) {
                            assertThat(e.isCancelled()).isTrue();
                            cancelled++;
                        }
                    }
                    assertThat(values).containsExactly("done");
                    assertThat(cancelled).isEqualTo(4);
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anAbortHandleFromSpawnAbortsJustThatTask(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    CountDownLatch release = new CountDownLatch(1);
                    AbortHandle victim = set.spawn(() -> {
                        Thread.sleep(3_600_000);
                        return -1;
                    });
                    set.spawn(() -> {
                        release.await();
                        return 1;
                    });
                    victim.abort();
                    assertThatThrownBy(set::joinNext).isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isCancelled()).isTrue();
                        assertThat(e.id()).isEqualTo(victim.id());
                    });
                    assertThat(victim.isFinished()).isTrue();
                    release.countDown();
                    assertThat(set.joinNext()).isEqualTo(1);
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeAbortsWhatIsLeft(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            int n = 5;
            CountDownLatch started = new CountDownLatch(n);
            CountDownLatch interrupted = new CountDownLatch(n);
            JoinSet<Integer> set = new JoinSet<>();
            rt.blockOn(() -> {
                for (int i = 0; i < n; i++) {
                    set.spawn(() -> {
                        started.countDown();
                        try {
                            Thread.sleep(3_600_000);
                        } catch (InterruptedException e) {
                            interrupted.countDown();
                            throw e;
                        }
                        return 0;
                    });
                }
                return null;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            set.close();
            assertThat(set.isEmpty()).isTrue();
            assertThat(set.joinNext()).isNull();
            assertThat(interrupted.await(5, TimeUnit.SECONDS)).as("every task was aborted").isTrue();
            set.close(); // idempotent
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aSetReusedAfterCloseJoinsOnlyItsNewTasks(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            JoinSet<Integer> set = new JoinSet<>();
            CountDownLatch unwound = new CountDownLatch(1);
            CountDownLatch started = new CountDownLatch(1);
            rt.blockOn(() -> set.spawn(() -> {
                started.countDown();
                try {
                    Thread.sleep(3_600_000);
                } finally {
                    unwound.countDown();
                }
                return -1;
            }));
            // A task aborted before it first runs never runs at all (as in Tokio), so wait until it sleeps.
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            set.close(); // aborts it; it completes (as cancelled) a moment later
            assertThat(unwound.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(20);
            assertThat(rt.blockOn(() -> {
                set.spawn(() -> 7);
                return set.joinNext();
            })).as("the new task's value, not the closed one's cancellation").isEqualTo(7);
            assertThat(set.joinNext()).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnOnFromOutsideAndJoinFromAPlatformThread(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor); JoinSet<Integer> set = new JoinSet<>()) {
            for (int i = 1; i <= 10; i++) {
                int k = i;
                set.spawnOn(rt.handle(), () -> {
                    assertThat(Task.currentId()).isPresent();
                    return k;
                });
            }
            int sum = 0;
            Integer v;
            while ((v = set.joinNext()) != null) {
                sum += v;
            }
            assertThat(sum).isEqualTo(55);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnOnAShutDownRuntimeAddsACancelledTask(RuntimeFlavor flavor) {
        Runtime rt = runtime(flavor);
        rt.close();
        try (JoinSet<Integer> set = new JoinSet<>()) {
            // As Runtime.spawn: a runtime that is shut down hands back a cancelled task, it does not throw.
            AbortHandle h = set.spawnOn(rt.handle(), () -> 1);
            assertThat(h.isFinished()).isTrue();
            assertThat(set.size()).isEqualTo(1);
            assertThatThrownBy(set::joinNext).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isCancelled()).isTrue();
                assertThat(e.id()).isEqualTo(h.id());
            });
            assertThat(set.joinNext()).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void spawnOnDoesNotParkTheCaller(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor); JoinSet<Integer> set = new JoinSet<>()) {
            // The only carrier of a current-thread runtime is busy: spawnOn must still return at once.
            CountDownLatch busy = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean release = new java.util.concurrent.atomic.AtomicBoolean();
            JoinHandle<Void> hog = rt.spawn(() -> {
                busy.countDown();
                while (!release.get()) {
                    Thread.onSpinWait();
                }
            });
            assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
            try {
                long t0 = System.nanoTime();
                set.spawnOn(rt.handle(), () -> 3);
                assertThat(System.nanoTime() - t0).as("spawnOn returned without waiting for a carrier")
                    .isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
            } finally {
                release.set(true);
            }
            hog.join();
            assertThat(set.joinNext()).isEqualTo(3);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinNextInAnInterruptedThreadTakesNothing(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor); JoinSet<Integer> set = new JoinSet<>()) {
            set.spawnOn(rt.handle(), () -> 5);
            Thread.sleep(20);
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(set::joinNext).isInstanceOf(CancelledException.class);
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt status kept").isTrue();
            } finally {
                Thread.interrupted();
            }
            assertThat(set.size()).isEqualTo(1);
            assertThat(set.joinNext()).isEqualTo(5);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void manyTasks(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            long sum = rt.blockOn(() -> {
                try (JoinSet<Integer> set = new JoinSet<>()) {
                    for (int i = 0; i < 5_000; i++) {
                        int k = i;
                        set.spawn(() -> {
                            if (k % 3 == 0) {
                                Task.yieldNow();
                            }
                            return k;
                        });
                    }
                    long s = 0;
                    Integer v;
                    int n = 0;
                    while ((v = set.joinNext()) != null) {
                        s += v;
                        n++;
                    }
                    assertThat(n).isEqualTo(5_000);
                    return s;
                }
            });
            assertThat(sum).isEqualTo(4999L * 5000 / 2);
            WeftTesting.eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0,
                rt.metrics()::toString);
        }
    }
}
