package io.weft.task;

import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link TaskScope}: structured forks that never outlive their scope. */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class TaskScopeTest {

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void forksRunAndJoinWaitsForAllOfThem(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            String page = rt.blockOn(() -> {
                try (TaskScope scope = Task.scope()) {
                    JoinHandle<String> user = scope.fork(() -> {
                        Thread.sleep(20);
                        return "user";
                    });
                    JoinHandle<String> order = scope.fork(() -> {
                        Task.yieldNow();
                        return "order";
                    });
                    scope.join();
                    assertThat(user.isFinished()).isTrue();
                    assertThat(order.isFinished()).isTrue();
                    return user.join() + "+" + order.join();
                }
            });
            assertThat(page).isEqualTo("user+order");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinWithoutForksReturnsAtOnce(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (TaskScope scope = Task.scope()) {
                    scope.join();
                    scope.join();
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void theFirstFailureAbortsTheSiblingsAndIsRethrown(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            AtomicBoolean siblingInterrupted = new AtomicBoolean();
            AtomicReference<JoinHandle<Integer>> sibling = new AtomicReference<>();
            AtomicReference<TaskId> failedId = new AtomicReference<>();
            IOException cause = new IOException("fetch failed");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> rt.blockOn(() -> {
                try (TaskScope scope = Task.scope()) {
                    CountDownLatch siblingStarted = new CountDownLatch(1);
                    sibling.set(scope.fork(() -> {
                        siblingStarted.countDown();
                        try {
                            Thread.sleep(3_600_000);
                        } catch (InterruptedException e) {
                            siblingInterrupted.set(true);
                            throw e;
                        }
                        return 1;
                    }));
                    siblingStarted.await();
                    JoinHandle<Integer> failing = scope.fork(() -> { throw cause; });
                    failedId.set(failing.id());
                    scope.join();
                    return null;
                }
            })).isInstanceOfSatisfying(JoinException.class, e -> {
                assertThat(e.isFailed()).isTrue();
                assertThat(e.getCause()).isSameAs(cause);
                assertThat(e.id()).isEqualTo(failedId.get());
            });
            assertThat(System.nanoTime() - t0).as("did not wait for the sleeping sibling")
                .isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(siblingInterrupted).isTrue();
            assertThat(sibling.get().isCancelled()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aCancelledForkIsNotAFailure(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (TaskScope scope = Task.scope()) {
                    JoinHandle<Integer> cancelled = scope.fork(() -> {
                        Thread.sleep(3_600_000);
                        return 0;
                    });
                    JoinHandle<Integer> ok = scope.fork(() -> 2);
                    cancelled.abort();
                    scope.join(); // does not throw
                    assertThat(ok.join()).isEqualTo(2);
                    assertThatThrownBy(cancelled::join).isInstanceOfSatisfying(JoinException.class,
                        e -> assertThat(e.isCancelled()).isTrue());
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeAbortsAndWaitsUntilEveryForkHasEnded(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            AtomicBoolean cleanupDone = new AtomicBoolean();
            AtomicInteger aborted = new AtomicInteger();
            List<JoinHandle<Integer>> forks = new ArrayList<>();
            rt.blockOn(() -> {
                CountDownLatch started = new CountDownLatch(3);
                try (TaskScope scope = Task.scope()) {
                    forks.add(scope.fork(() -> {
                        started.countDown();
                        try {
                            Thread.sleep(3_600_000);
                        } catch (InterruptedException e) {
                            // Slow cleanup after the abort: close() must wait for it.
                            Thread.sleep(150);
                            cleanupDone.set(true);
                        }
                        return 0;
                    }));
                    for (int i = 0; i < 2; i++) {
                        forks.add(scope.fork(() -> {
                            started.countDown();
                            try {
                                new CountDownLatch(1).await();
                            } catch (InterruptedException e) {
                                aborted.incrementAndGet();
                                throw e;
                            }
                            return 1;
                        }));
                    }
                    started.await();
                    // no join: leaving the block closes the scope
                }
                assertThat(cleanupDone).as("close() waited for the slow fork to unwind").isTrue();
                return null;
            });
            assertThat(aborted.get()).isEqualTo(2);
            for (JoinHandle<Integer> f : forks) {
                assertThat(f.isFinished()).isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void forkAfterCloseThrowsAndCloseIsIdempotent(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                TaskScope scope = Task.scope();
                JoinHandle<Integer> h = scope.fork(() -> 1);
                scope.join();
                scope.close();
                scope.close();
                assertThatThrownBy(() -> scope.fork(() -> 2)).isInstanceOf(IllegalStateException.class);
                assertThat(h.join()).isEqualTo(1);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void forksForkedByForksAreJoinedToo(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            AtomicInteger done = new AtomicInteger();
            rt.blockOn(() -> {
                try (TaskScope scope = Task.scope()) {
                    for (int i = 0; i < 4; i++) {
                        scope.fork(() -> {
                            Thread.sleep(10);
                            for (int j = 0; j < 4; j++) {
                                scope.fork(() -> {
                                    Thread.sleep(20);
                                    return done.incrementAndGet();
                                });
                            }
                            return done.incrementAndGet();
                        });
                    }
                    scope.join();
                    assertThat(done.get()).as("join waited for the late forks").isEqualTo(20);
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortingTheOwnerAbortsTheForksBeforeTheOwnerEnds(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor)) {
            AtomicInteger forksEnded = new AtomicInteger();
            AtomicInteger forksEndedWhenOwnerEnded = new AtomicInteger(-1);
            CountDownLatch forksStarted = new CountDownLatch(3);
            JoinHandle<Object> owner = rt.spawn(() -> {
                try {
                    try (TaskScope scope = Task.scope()) {
                        for (int i = 0; i < 3; i++) {
                            scope.fork(() -> {
                                forksStarted.countDown();
                                try {
                                    Thread.sleep(3_600_000);
                                } finally {
                                    Thread.sleep(0); // still interrupted: may throw again
                                    forksEnded.incrementAndGet();
                                }
                                return null;
                            });
                        }
                        scope.join();
                    }
                    return null;
                } finally {
                    forksEndedWhenOwnerEnded.set(forksEnded.get());
                }
            });
            assertThat(forksStarted.await(5, TimeUnit.SECONDS)).isTrue();
            owner.abort();
            assertThatThrownBy(() -> owner.join(Duration.ofSeconds(10))).isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).isTrue());
            assertThat(forksEndedWhenOwnerEnded.get()).isEqualTo(3);
        }
    }
}
