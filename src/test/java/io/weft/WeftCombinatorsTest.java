package io.weft;

import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.awaitWaiters;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.sync.Notify;
import io.weft.sync.Oneshot;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Weft.joinAll / tryJoinAll / race [Tokio: tests/macros_join.rs, macros_try_join.rs, select! racing]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WeftCombinatorsTest {

    /** What each child did: how it ended, recorded from inside it. */
    static final class Log {
        final ConcurrentHashMap<String, String> ended = new ConcurrentHashMap<>();

        /** A child that parks on {@code n} forever, recording how it ends. */
        Callable<String> parker(String name, Notify n) {
            return () -> {
                try {
                    n.notified();
                    ended.put(name, "notified");
                    return name;
                } catch (CancelledException e) {
                    ended.put(name, "cancelled");
                    throw e;
                } catch (Throwable t) {
                    ended.put(name, "failed " + t);
                    throw t;
                }
            };
        }

        /** A child that sleeps, then returns its name. */
        Callable<String> after(String name, long millis) {
            return () -> {
                try {
                    Thread.sleep(millis);
                    ended.put(name, "returned");
                    return name;
                } catch (InterruptedException e) {
                    ended.put(name, "interrupted");
                    throw e;
                }
            };
        }

        /** A child that sleeps, then fails. */
        Callable<String> failing(String name, long millis) {
            return () -> {
                Thread.sleep(millis);
                ended.put(name, "threw");
                throw new IllegalStateException(name);
            };
        }
    }

    // ---------------------------------------------------------------- joinAll

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void joinAllReturnsEveryValueInArgumentOrder(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Log log = new Log();
            List<String> r = rt.blockOn(() -> Weft.joinAll(log.after("slow", 60), log.after("fast", 1), log.after("mid", 20)));
            assertThat(r).containsExactly("slow", "fast", "mid");
            assertThat(log.ended).containsOnlyKeys("slow", "fast", "mid");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void joinAllRunsTheCallablesConcurrently(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            // Each waits for the other's value: only finishes if both run at once.
            var ab = Oneshot.<String>channel();
            var ba = Oneshot.<String>channel();
            List<String> r = rt.blockOn(() -> Weft.joinAll(
                () -> {
                    ab.sender().send("from a");
                    return ba.receiver().recv();
                },
                () -> {
                    ba.sender().send("from b");
                    return ab.receiver().recv();
                }));
            assertThat(r).containsExactly("from b", "from a");
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void joinAllWaitsForAllThenThrowsTheFirstFailureInArgumentOrder() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> Weft.joinAll(
                        log.after("ok", 80), log.failing("second", 40), log.failing("third", 1)))
                    .isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("second");
                    });
                // joinAll does not abort on failure: every task ran to its end before it threw.
                assertThat(log.ended).containsEntry("ok", "returned").containsEntry("second", "threw")
                    .containsEntry("third", "threw");
                return null;
            });
        }
    }

    @Test
    void manyTasks() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            List<Integer> r = rt.blockOn(() -> {
                @SuppressWarnings("unchecked")
                Callable<Integer>[] cs = new Callable[200];
                for (int i = 0; i < cs.length; i++) {
                    int v = i;
                    cs[i] = () -> {
                        Task.yieldNow();
                        return v;
                    };
                }
                return Weft.joinAll(cs);
            });
            assertThat(r).hasSize(200);
            for (int i = 0; i < 200; i++) {
                assertThat(r.get(i)).isEqualTo(i);
            }
        }
    }

    @Test
    void outsideARuntimeTheyRefuse() {
        assertThatThrownBy(() -> Weft.joinAll(() -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Weft.tryJoinAll(() -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Weft.race(() -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Weft.race()).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- tryJoinAll

    @Test
    @Tag(WeftTesting.CONTRACT)
    void tryJoinAllReturnsEveryValueWhenAllSucceed() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            assertThat(rt.blockOn(() -> Weft.tryJoinAll(log.after("a", 30), log.after("b", 1))))
                .containsExactly("a", "b");
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void tryJoinAllFirstFailureAbortsTheOthersWhichHaveEndedAsCancelled(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Log log = new Log();
            Notify never = new Notify();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> Weft.tryJoinAll(
                        log.parker("p1", never), log.failing("bad", 30), log.parker("p2", never)))
                    .isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).hasMessage("bad");
                    });
                // Structured: when tryJoinAll throws, the siblings have been aborted and have ended.
                assertThat(log.ended).containsEntry("p1", "cancelled").containsEntry("p2", "cancelled");
                awaitWaiters(never, 0);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- race

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void raceFirstSuccessWinsAndTheLosersAreAbortedAndEnded(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Log log = new Log();
            Notify never = new Notify();
            rt.blockOn(() -> {
                String r = Weft.race(log.parker("loser1", never), log.after("winner", 10), log.parker("loser2", never));
                assertThat(r).isEqualTo("winner");
                assertThat(log.ended).containsEntry("loser1", "cancelled").containsEntry("loser2", "cancelled");
                awaitWaiters(never, 0);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void raceIgnoresFailuresWhileASuccessIsStillPossible() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            assertThat(rt.blockOn(() -> Weft.race(log.failing("quick failure", 1), log.after("slow success", 50))))
                .isEqualTo("slow success");
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void raceWhereAllFailThrowsTheLastFailureWithTheOthersSuppressed() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            rt.blockOn(() -> {
                // Latches, not sleeps, order the failures: f1, then f2, then f3 (a loaded machine can
                // delay a 1 ms sleeper past a 60 ms one).
                var f1Done = new java.util.concurrent.CountDownLatch(1);
                var f2Done = new java.util.concurrent.CountDownLatch(1);
                java.util.concurrent.Callable<String> f1 = () -> {
                    try {
                        throw new IllegalStateException("f1");
                    } finally {
                        f1Done.countDown();
                    }
                };
                java.util.concurrent.Callable<String> f2 = () -> {
                    f1Done.await();
                    Thread.sleep(20); // f1's failure is recorded by the race before f2's
                    try {
                        throw new IllegalStateException("f2");
                    } finally {
                        f2Done.countDown();
                    }
                };
                java.util.concurrent.Callable<String> f3 = () -> {
                    f2Done.await();
                    Thread.sleep(20);
                    throw new IllegalStateException("f3");
                };
                assertThatThrownBy(() -> Weft.race(f1, f2, f3))
                    .isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).hasMessage("f3");
                        assertThat(e.getSuppressed()).hasSize(2);
                        assertThat(List.of(e.getSuppressed())).allSatisfy(s -> assertThat(s).isInstanceOf(JoinException.class))
                            .extracting(s -> s.getCause().getMessage()).containsExactlyInAnyOrder("f1", "f2");
                    });
                return null;
            });
        }
    }

    @Test
    void raceOfOne() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            assertThat(rt.blockOn(() -> Weft.race(() -> "only"))).isEqualTo("only");
        }
    }

    // ---------------------------------------------------------------- abort of the caller

    enum Combinator {
        JOIN_ALL(cs -> Weft.joinAll(cs)),
        TRY_JOIN_ALL(cs -> Weft.tryJoinAll(cs)),
        RACE(cs -> Weft.race(cs));

        final Function<Callable<String>[], Object> run;

        Combinator(Function<Callable<String>[], Object> run) {
            this.run = run;
        }
    }

    @ParameterizedTest
    @EnumSource(Combinator.class)
    @Tag(WeftTesting.CONTRACT)
    void abortingTheCallerAbortsTheChildren(Combinator c) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            Notify never = new Notify();
            AtomicInteger callerSaw = new AtomicInteger();
            rt.blockOn(() -> {
                JoinHandle<Object> caller = Task.spawn(() -> {
                    @SuppressWarnings("unchecked")
                    Callable<String>[] cs = new Callable[] {log.parker("c1", never), log.parker("c2", never),
                        log.parker("c3", never)};
                    try {
                        return c.run.apply(cs);
                    } catch (CancelledException e) {
                        callerSaw.incrementAndGet();
                        throw e;
                    }
                });
                awaitWaiters(never, 3);
                abortAndAssertCancelled(caller);
                assertThat(callerSaw.get()).as("the caller saw CancelledException").isEqualTo(1);
                // Structured: by the time the caller has ended, its children have been aborted and ended.
                assertThat(log.ended).containsEntry("c1", "cancelled").containsEntry("c2", "cancelled")
                    .containsEntry("c3", "cancelled");
                awaitWaiters(never, 0);
                return null;
            });
        }
    }

    @Test
    void nestedCombinators() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            Log log = new Log();
            Notify never = new Notify();
            List<Object> r = rt.blockOn(() -> Weft.joinAll(
                () -> Weft.race(log.parker("inner loser", never), log.after("inner winner", 5)),
                () -> Weft.tryJoinAll(log.after("x", 1), log.after("y", 2))));
            assertThat(r).containsExactly("inner winner", List.of("x", "y"));
            assertThat(log.ended).containsEntry("inner loser", "cancelled");
        }
    }
}
