package io.weft.task;

import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Aborting tasks: wherever a task is parked, abort ends it as cancelled [Tokio: tests/task_abort.rs]. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class AbortTest {

    /** A place a task can be parked in, and a body that parks there forever. */
    record ParkPoint(String name, Callable<Object> body) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> parkPoints() {
        CountDownLatch never = new CountDownLatch(1);
        Object monitor = new Object();
        ReentrantLock heldElsewhere = new ReentrantLock();
        Stream<ParkPoint> points = Stream.of(
            new ParkPoint("join", () -> {
                JoinHandle<Object> child = Task.spawn(() -> {
                    never.await();
                    return null;
                });
                try {
                    return child.join();
                } finally {
                    child.abort();
                }
            }),
            new ParkPoint("timed join", () -> {
                JoinHandle<Object> child = Task.spawn(() -> {
                    never.await();
                    return null;
                });
                try {
                    return child.join(Duration.ofHours(1));
                } finally {
                    child.abort();
                }
            }),
            new ParkPoint("yieldNow loop", () -> {
                while (true) {
                    Task.yieldNow();
                }
            }),
            new ParkPoint("Thread.sleep", () -> {
                Thread.sleep(3_600_000);
                return null;
            }),
            new ParkPoint("LockSupport.park", () -> {
                while (true) {
                    LockSupport.park();
                    Task.checkCancelled();
                }
            }),
            new ParkPoint("LockSupport.parkNanos", () -> {
                while (true) {
                    LockSupport.parkNanos(TimeUnit.HOURS.toNanos(1));
                    Task.checkCancelled();
                }
            }),
            new ParkPoint("Object.wait", () -> {
                synchronized (monitor) {
                    monitor.wait();
                }
                return null;
            }),
            new ParkPoint("CountDownLatch.await", () -> {
                never.await();
                return null;
            }),
            new ParkPoint("BlockingQueue.take", () -> new ArrayBlockingQueue<>(1).take()),
            new ParkPoint("Semaphore.acquire", () -> {
                new Semaphore(0).acquire();
                return null;
            }),
            new ParkPoint("Lock.lockInterruptibly", () -> {
                heldElsewhere.lockInterruptibly();
                return null;
            }),
            new ParkPoint("Future.get of another task", () -> {
                JoinHandle<Object> child = Task.spawn(() -> {
                    never.await();
                    return null;
                });
                try {
                    return child.get();
                } finally {
                    child.abort();
                }
            }),
            new ParkPoint("JoinSet.joinNext", () -> {
                try (JoinSet<Object> set = new JoinSet<>()) {
                    set.spawn(() -> {
                        never.await();
                        return null;
                    });
                    return set.joinNext();
                }
            }),
            new ParkPoint("TaskScope.join", () -> {
                try (TaskScope scope = Task.scope()) {
                    scope.fork(() -> {
                        never.await();
                        return null;
                    });
                    scope.join();
                    return null;
                }
            }),
            new ParkPoint("CPU loop with checkCancelled", () -> {
                while (true) {
                    Task.checkCancelled();
                    Thread.onSpinWait();
                }
            }));
        // Hold the lock on a platform thread for the whole run.
        Thread holder = Thread.ofPlatform().daemon().start(() -> {
            heldElsewhere.lock();
            LockSupport.park();
        });
        while (!heldElsewhere.isLocked()) {
            Thread.onSpinWait();
        }
        assertThat(holder.isAlive()).isTrue();
        return points.flatMap(p -> Stream.of(
            Arguments.of(RuntimeFlavor.MULTI_THREAD, p), Arguments.of(RuntimeFlavor.CURRENT_THREAD, p)));
    }

    @ParameterizedTest(name = "{0}: aborted in {1}")
    @MethodSource("parkPoints")
    void abortWhileParkedEndsTheTaskAsCancelled(RuntimeFlavor flavor, ParkPoint point) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> seen = new AtomicReference<>();
            AtomicBoolean interruptedAfter = new AtomicBoolean();
            JoinHandle<Object> h = rt.spawn(() -> {
                started.countDown();
                try {
                    return point.body().call();
                } catch (Throwable t) {
                    seen.set(t);
                    interruptedAfter.set(Thread.currentThread().isInterrupted());
                    throw t;
                }
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).as("%s on %s: task started; %s", point, flavor, rt.metrics())
                .isTrue();
            Thread.sleep(10); // let it reach the park point
            h.abort();
            assertThatThrownBy(() -> h.join(Duration.ofSeconds(10)))
                .isInstanceOfSatisfying(JoinException.class, e -> {
                    assertThat(e.isCancelled()).as("cancelled, not failed: %s", e.getCause()).isTrue();
                    assertThat(e.isFailed()).isFalse();
                    assertThat(e.id()).isEqualTo(h.id());
                });
            assertThat(h.isCancelled()).isTrue();
            assertThat(seen.get()).isInstanceOfAny(CancelledException.class, InterruptedException.class);
            if (seen.get() instanceof CancelledException) {
                assertThat(interruptedAfter).as("a CancelledException keeps the interrupt status").isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void theJoinedTaskIsUnaffectedWhenItsJoinerIsAborted(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch release = new CountDownLatch(1);
            JoinHandle<String> target = rt.spawn(() -> {
                release.await();
                return "target";
            });
            CountDownLatch joining = new CountDownLatch(1);
            AtomicReference<Throwable> joinerSaw = new AtomicReference<>();
            AtomicBoolean secondCallThrew = new AtomicBoolean();
            JoinHandle<String> joiner = rt.spawn(() -> {
                joining.countDown();
                try {
                    return target.join();
                } catch (CancelledException e) {
                    joinerSaw.set(e);
                    // Interrupt status kept: the next Weft call throws at once.
                    try {
                        Task.yieldNow();
                    } catch (CancelledException again) {
                        secondCallThrew.set(true);
                    }
                    throw e;
                }
            });
            assertThat(joining.await(5, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(10);
            joiner.abortHandle().abort();
            assertThatThrownBy(joiner::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(joinerSaw.get()).isInstanceOf(CancelledException.class);
            assertThat(secondCallThrew).isTrue();
            assertThat(target.isFinished()).isFalse();
            release.countDown();
            assertThat(target.join()).isEqualTo("target");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortingAFinishedTaskKeepsItsOutcome(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            JoinHandle<Integer> ok = rt.spawn(() -> 1);
            assertThat(ok.join()).isEqualTo(1);
            ok.abort();
            ok.abort();
            assertThat(ok.join()).isEqualTo(1);
            assertThat(ok.isCancelled()).isFalse();

            IllegalStateException ise = new IllegalStateException();
            JoinHandle<Integer> failed = rt.spawn(() -> { throw ise; });
            assertThatThrownBy(failed::join).isInstanceOf(JoinException.class);
            failed.abort();
            assertThatThrownBy(failed::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.getCause()).isSameAs(ise);
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void whatATaskThrowsWhileUnwindingIsTheCauseOfTheCancellation(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch started = new CountDownLatch(1);
            JoinHandle<Object> h = rt.spawn(() -> {
                started.countDown();
                try {
                    Thread.sleep(3_600_000);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("cleanup failed");
                }
                return null;
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            h.abort();
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isCancelled()).isTrue();
                assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("cleanup failed");
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortManyParkedTasksAtOnce(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            int n = 1_000;
            CountDownLatch started = new CountDownLatch(n);
            @SuppressWarnings("unchecked")
            JoinHandle<Object>[] hs = new JoinHandle[n];
            for (int i = 0; i < n; i++) {
                int k = i;
                hs[i] = rt.spawn(() -> {
                    started.countDown();
                    switch (k % 3) {
                        case 0 -> Thread.sleep(3_600_000);
                        case 1 -> {
                            while (true) {
                                if (weftScheduler()) {
                                    Task.yieldNow();
                                } else {
                                    // The JDK default scheduler lets yield-spinners starve tasks started
                                    // from outside (see RuntimeContractTest.yieldSpinnersDoNotStarve...).
                                    LockSupport.parkNanos(100_000);
                                    Task.checkCancelled();
                                }
                            }
                        }
                        default -> new CountDownLatch(1).await();
                    }
                    return null;
                });
            }
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            for (JoinHandle<Object> h : hs) {
                h.abort();
            }
            for (JoinHandle<Object> h : hs) {
                assertThatThrownBy(() -> h.join(Duration.ofSeconds(10))).isInstanceOfSatisfying(JoinException.class,
                    e -> assertThat(e.isCancelled()).isTrue());
            }
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0, rt.metrics()::toString);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void interruptingBlockOnAbortsTheTask(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch unwound = new CountDownLatch(1);
            AtomicReference<Throwable> callerSaw = new AtomicReference<>();
            Thread caller = Thread.ofPlatform().start(() -> {
                try {
                    rt.blockOn(() -> {
                        started.countDown();
                        try {
                            Thread.sleep(3_600_000);
                        } finally {
                            unwound.countDown();
                        }
                        return null;
                    });
                } catch (Throwable t) {
                    callerSaw.set(t);
                }
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            caller.interrupt();
            caller.join(5_000);
            assertThat(callerSaw.get()).isInstanceOf(CancelledException.class);
            assertThat(unwound.await(5, TimeUnit.SECONDS)).as("the task was aborted").isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortBeforeTheTaskRunsMeansItNeverRuns(RuntimeFlavor flavor) {
        assumeTrue(weftScheduler() && flavor == RuntimeFlavor.CURRENT_THREAD,
            "only one carrier guarantees the child cannot start before the abort");
        try (Runtime rt = runtime(flavor)) {
            AtomicBoolean ran = new AtomicBoolean();
            JoinHandle<Integer> child = rt.blockOn(() -> {
                JoinHandle<Integer> c = Task.spawn(() -> {
                    ran.set(true);
                    return 1;
                });
                c.abort(); // we hold the only carrier: c has not started
                return c;
            });
            assertThatThrownBy(child::join).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(ran).isFalse();
        }
    }
}
