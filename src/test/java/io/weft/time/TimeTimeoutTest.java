package io.weft.time;

import static io.weft.time.TimeTests.joinCancelled;
import static io.weft.time.TimeTests.ms;
import static io.weft.time.TimeTests.paused;
import static io.weft.time.TimeTests.real;
import static io.weft.time.TimeTests.realSince;
import static io.weft.time.TimeTests.since;
import static io.weft.time.TimeTests.yieldUntilTimers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.weft.runtime.Handle;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.sync.Oneshot;
import io.weft.sync.Semaphore;
import io.weft.task.CancelledException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Time#timeout} [Tokio: tests/time_timeout.rs]: the value when in time; {@link ElapsedException}
 * and the work interrupted (its finally runs, it does not finish) when late; no interrupt left on the
 * caller; an outer abort is a cancellation, not an elapsed timeout; exceptions passed through or
 * wrapped.
 */
@Timeout(30)
class TimeTimeoutTest {

    private static <T> T onPausedTime(RuntimeFlavor flavor, Callable<T> body) {
        try (Runtime rt = paused(flavor)) {
            return rt.blockOn(body);
        }
    }

    private static <T> T onPausedTime(Callable<T> body) {
        return onPausedTime(RuntimeFlavor.CURRENT_THREAD, body);
    }

    private static long timers() {
        return Handle.current().metrics().timersActive();
    }

    // ---- in time ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void returnsTheValueWhenTheWorkIsInTime(RuntimeFlavor flavor) {
        onPausedTime(flavor, () -> {
            Instant start = Time.now();
            int v = Time.timeout(Duration.ofSeconds(1), () -> {
                Time.sleep(ms(10));
                return 42;
            });
            assertThat(v).isEqualTo(42);
            assertThat(since(start)).isEqualTo(ms(10));
            assertThat(timers()).as("the timeout's timer is removed").isZero();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            Object none = Time.timeout(Duration.ofSeconds(1), () -> null);
            assertThat(none).isNull();
            // the runtime's clock then moves only by the timers still wanted
            Time.sleep(ms(5));
            assertThat(since(start)).isEqualTo(ms(15));
            return null;
        });
    }

    @Test
    void futureAndTimeoutInFuture() {
        // Tokio: future_and_timeout_in_future / future_and_deadline_in_future.
        onPausedTime(() -> {
            Instant start = Time.now();
            var ch = Oneshot.<String>channel();
            JoinHandle<Void> sender = Task.spawn(() -> {
                Time.sleep(ms(90));
                ch.sender().send("done");
            });
            String got = Time.timeout(ms(100), ch.receiver()::recv);
            assertThat(got).isEqualTo("done");
            assertThat(since(start)).isEqualTo(ms(90));
            sender.join();
            assertThat(timers()).isZero();
            return null;
        });
    }

    @Test
    void veryLargeTimeout() {
        // Tokio: very_large_timeout. The deadline saturates instead of overflowing.
        onPausedTime(() -> {
            Instant start = Time.now();
            var ch = Oneshot.<String>channel();
            Task.spawn(() -> {
                Time.sleep(Duration.ofDays(365));
                ch.sender().send("a year later");
            });
            String got = Time.timeout(Duration.ofSeconds(Long.MAX_VALUE), ch.receiver()::recv);
            assertThat(got).isEqualTo("a year later");
            assertThat(since(start)).isEqualTo(Duration.ofDays(365));
            return null;
        });
    }

    @Test
    void aBodyThatCompletesWinsEvenPastItsDeadline() {
        // Tokio: simultaneous_deadline_future_completion, completed_future_past_deadline.
        onPausedTime(() -> {
            int v42 = Time.timeout(Duration.ZERO, () -> 42);
            assertThat(v42).isEqualTo(42);
            assertThat(Thread.currentThread().isInterrupted()).as("interrupt of the zero timeout cleared").isFalse();
            // The deadline passes while the body runs without parking (advance fires it): the body still wins.
            Instant start = Time.now();
            String v = Time.timeout(ms(10), () -> {
                Time.advance(ms(20));
                return "done";
            });
            assertThat(v).isEqualTo("done");
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            Time.sleep(ms(1)); // no interrupt left behind to cancel this
            assertThat(since(start)).isEqualTo(ms(21));
            return null;
        });
    }

    @Test
    void aBusyBodyThatOverrunsOnRealTimeStillWins() {
        try (Runtime rt = real(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                long t0 = System.nanoTime();
                String v = Time.timeout(ms(20), () -> {
                    WeftTesting.spin(100_000); // 100 ms of CPU, no park point
                    return "done";
                });
                assertThat(v).isEqualTo("done");
                assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(100));
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                Time.sleep(ms(1));
                return null;
            });
        }
    }

    // ---- elapsed ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void elapsesInterruptingTheWork(RuntimeFlavor flavor) {
        // (Where the paused clock stands afterwards is checked by theClockStopsAtTheDeadlineOfAnElapsedTimeout.)
        onPausedTime(flavor, () -> {
            AtomicBoolean finished = new AtomicBoolean();
            AtomicBoolean finallyRan = new AtomicBoolean();
            AtomicReference<Throwable> bodySaw = new AtomicReference<>();
            Throwable t = catchThrowable(() -> Time.timeout(ms(100), () -> {
                try {
                    Time.sleep(Duration.ofHours(1));
                    finished.set(true);
                    return "too late";
                } catch (Throwable e) {
                    bodySaw.set(e);
                    throw e;
                } finally {
                    finallyRan.set(true);
                }
            }));
            assertThat(t).isInstanceOf(ElapsedException.class);
            assertThat(t.getCause()).isSameAs(bodySaw.get());
            assertThat(bodySaw.get()).isInstanceOf(CancelledException.class);
            assertThat(finallyRan).isTrue();
            assertThat(finished).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).as("the caller's interrupt flag").isFalse();
            assertThat(timers()).as("the interrupted sleep's timer is removed").isZero();
            // the task goes on as normal
            Instant before = Time.now();
            Time.sleep(ms(10));
            assertThat(since(before)).isEqualTo(ms(10));
            return null;
        });
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void theClockStopsAtTheDeadlineOfAnElapsedTimeout(RuntimeFlavor flavor) {
        for (int i = 0; i < 100; i++) {
            int run = i;
            onPausedTime(flavor, () -> {
                Instant start = Time.now();
                Task.spawn(() -> Time.sleep(Duration.ofHours(1))); // an unrelated timer to jump to
                assertThatThrownBy(() -> Time.timeout(ms(100), () -> {
                    Time.sleep(Duration.ofHours(2));
                    return null;
                })).isInstanceOf(ElapsedException.class);
                assertThat(since(start)).as("run %d", run).isEqualTo(ms(100));
                Time.sleep(ms(10));
                assertThat(since(start)).as("run %d", run).isEqualTo(ms(110));
                return null;
            });
        }
    }

    @Test
    void deadlineNowElapses() {
        // Tokio: deadline_now_elapses. The body's first park point sees the deadline.
        onPausedTime(() -> {
            Instant start = Time.now();
            var ch = Oneshot.<String>channel();
            assertThatThrownBy(() -> Time.timeout(Duration.ZERO, ch.receiver()::recv)).isInstanceOf(ElapsedException.class);
            assertThat(Time.now()).isEqualTo(start);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            return null;
        });
    }

    @Test
    void deadlineFutureElapses() {
        // Tokio: deadline_future_elapses.
        onPausedTime(() -> {
            Instant start = Time.now();
            var ch = Oneshot.<String>channel();
            assertThatThrownBy(() -> Time.timeout(ms(300), ch.receiver()::recv)).isInstanceOf(ElapsedException.class);
            assertThat(since(start)).isEqualTo(ms(300));
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            ch.sender().send("later"); // the receiver is intact: a timed-out recv loses nothing
            assertThat(ch.receiver().recv()).isEqualTo("later");
            return null;
        });
    }

    @Test
    void aJdkBlockingBodyIsInterruptedToo() {
        // Thread.sleep is not a Weft timer; its InterruptedException is what the deadline causes.
        onPausedTime(() -> {
            Throwable t = catchThrowable(() -> Time.timeout(ms(50), () -> {
                Thread.sleep(Duration.ofHours(1));
                return null;
            }));
            assertThat(t).isInstanceOf(ElapsedException.class).hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            return null;
        });
    }

    @Tag("contract")
    @Test
    void realTimeTimeoutElapsesNotEarlyAndNotMuchLate() {
        try (Runtime rt = real(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> Time.timeout(ms(50), () -> {
                    Time.sleep(Duration.ofSeconds(10));
                    return null;
                })).isInstanceOf(ElapsedException.class);
                assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(50)).isLessThan(Duration.ofSeconds(5));
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                return null;
            });
        }
    }

    @Test
    void aBodyThatKeepsYieldingIsStillTimedOut() {
        // Tokio: timeout_is_not_exhausted_by_future. Real time: a yielding task keeps paused time still.
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                assertThatThrownBy(() -> Time.timeout(ms(5), () -> {
                    while (true) {
                        Task.yieldNow();
                    }
                })).isInstanceOf(ElapsedException.class);
                assertThatThrownBy(() -> Time.timeout(ms(5), () -> {
                    while (true) {
                        Time.sleep(Duration.ZERO);
                    }
                })).isInstanceOf(ElapsedException.class);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                return null;
            });
        }
    }

    @Test
    void nestedTimeouts() {
        // On real time: on paused time the outer deadline can be jumped to right after the inner one
        // elapses (see theClockStopsAtTheDeadlineOfAnElapsedTimeout).
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                // inner first: the outer body goes on
                long t0 = System.nanoTime();
                String v = Time.timeout(Duration.ofSeconds(10), () -> {
                    assertThatThrownBy(() -> Time.timeout(ms(50), () -> {
                        Time.sleep(Duration.ofHours(1));
                        return null;
                    })).isInstanceOf(ElapsedException.class);
                    assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(50));
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    Time.sleep(ms(20));
                    return "outer ok";
                });
                assertThat(v).isEqualTo("outer ok");
                assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(70)).isLessThan(Duration.ofSeconds(10));

                // outer first: the inner one does not claim it
                long t1 = System.nanoTime();
                AtomicReference<Throwable> innerSaw = new AtomicReference<>();
                assertThatThrownBy(() -> Time.timeout(ms(50), () -> {
                    try {
                        return Time.timeout(Duration.ofSeconds(10), () -> {
                            Time.sleep(Duration.ofHours(1));
                            return null;
                        });
                    } catch (Throwable e) {
                        innerSaw.set(e);
                        throw e;
                    }
                })).isInstanceOf(ElapsedException.class);
                assertThat(innerSaw.get()).isInstanceOf(CancelledException.class).isNotInstanceOf(ElapsedException.class);
                assertThat(realSince(t1)).isGreaterThanOrEqualTo(ms(50)).isLessThan(Duration.ofSeconds(10));
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                assertThat(timers()).isZero();
                return null;
            });
        }
    }

    @Test
    void nestedTimeoutsOnPausedTimeAreExact() {
        // Regression test: the task woken by the inner deadline used to block on the timeout entry's monitor,
        // and the idle-looking runtime auto-advanced to the outer deadline, which then elapsed too.
        for (int run = 0; run < 50; run++) {
            int r = run;
            onPausedTime(() -> {
                Instant start = Time.now();
                String v = Time.timeout(Duration.ofSeconds(1), () -> {
                    assertThatThrownBy(() -> Time.timeout(ms(100), () -> {
                        Time.sleep(Duration.ofHours(1));
                        return null;
                    })).isInstanceOf(ElapsedException.class);
                    assertThat(since(start)).as("run %d", r).isEqualTo(ms(100));
                    Time.sleep(ms(50));
                    return "outer ok";
                });
                assertThat(v).isEqualTo("outer ok");
                assertThat(since(start)).as("run %d", r).isEqualTo(ms(150));
                assertThat(timers()).isZero();
                return null;
            });
        }
    }

    @Test
    void aTimedOutJoinLeavesTheJoinedTaskRunning() {
        onPausedTime(() -> {
            Instant start = Time.now();
            var ch = Oneshot.<String>channel();
            JoinHandle<String> h = Task.spawn(() -> "finished after " + ch.receiver().recv());
            assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), h::join)).isInstanceOf(ElapsedException.class);
            assertThat(since(start)).isEqualTo(Duration.ofSeconds(1));
            assertThat(h.isFinished()).isFalse();
            ch.sender().send("go");
            assertThat(h.join()).isEqualTo("finished after go");
            return null;
        });
    }

    // ---- cancellation of the caller ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anOuterAbortDuringATimeoutIsACancellationNotAnElapse(RuntimeFlavor flavor) {
        onPausedTime(flavor, () -> {
            Instant start = Time.now();
            AtomicReference<Throwable> seen = new AtomicReference<>();
            AtomicBoolean interruptKept = new AtomicBoolean();
            JoinHandle<Object> h = Task.spawn(() -> {
                try {
                    return Time.timeout(Duration.ofHours(1), () -> {
                        Time.sleep(Duration.ofHours(2));
                        return null;
                    });
                } catch (Throwable e) {
                    seen.set(e);
                    interruptKept.set(Thread.currentThread().isInterrupted());
                    throw e;
                }
            });
            yieldUntilTimers(2); // the timeout's timer and the sleep's; stay runnable so the clock stays put
            h.abort();
            joinCancelled(h);
            assertThat(seen.get()).isInstanceOf(CancelledException.class).isNotInstanceOf(ElapsedException.class);
            assertThat(interruptKept).as("an aborted task keeps its interrupt status").isTrue();
            assertThat(timers()).isZero();
            assertThat(Time.now()).isEqualTo(start);
            return null;
        });
    }

    @Test
    void anAbortAfterTheDeadlineFiredStillWins() {
        // The deadline fires (advance), then the task is aborted before the body reaches a park point:
        // the task is cancelled, it does not see ElapsedException.
        onPausedTime(() -> {
            AtomicReference<JoinHandle<?>> self = new AtomicReference<>();
            AtomicReference<Throwable> seen = new AtomicReference<>();
            JoinHandle<Object> h = Task.spawn(() -> {
                try {
                    return Time.timeout(ms(10), () -> {
                        Time.advance(ms(20));
                        self.get().abort();
                        Time.sleep(Duration.ofSeconds(1));
                        return "not reached";
                    });
                } catch (Throwable e) {
                    seen.set(e);
                    throw e;
                }
            });
            self.set(h);
            joinCancelled(h);
            assertThat(seen.get()).isInstanceOf(CancelledException.class);
            return null;
        });
    }

    @Tag("contract")
    @Test
    void anAlreadyCancelledCallerIsNotRun() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                AtomicBoolean ran = new AtomicBoolean();
                Thread.currentThread().interrupt();
                try {
                    assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), () -> ran.getAndSet(true)))
                        .isInstanceOf(CancelledException.class);
                    assertThat(Thread.currentThread().isInterrupted()).isTrue();
                } finally {
                    Thread.interrupted();
                }
                assertThat(ran).isFalse();
                return null;
            });
        }
    }

    // ---- exceptions and arguments ----

    @Tag("contract")
    @Test
    void exceptionsArePassedThroughOrWrapped() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                IOException io = new IOException("checked");
                assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), () -> {
                    throw io;
                })).isInstanceOf(CompletionException.class).hasCause(io);
                IllegalStateException ise = new IllegalStateException("unchecked");
                assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), () -> {
                    throw ise;
                })).isSameAs(ise);
                AssertionError err = new AssertionError("error");
                assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), () -> {
                    throw err;
                })).isSameAs(err);
                CancelledException ce = new CancelledException("thrown by the body, not by an abort");
                assertThatThrownBy(() -> Time.timeout(Duration.ofSeconds(1), () -> {
                    throw ce;
                })).isSameAs(ce);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                assertThat(timers()).isZero();
                return null;
            });
        }
    }

    @Tag("contract")
    @Test
    void invalidArgumentsAreRejected() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                AtomicBoolean ran = new AtomicBoolean();
                assertThatThrownBy(() -> Time.timeout(ms(-1), () -> ran.getAndSet(true)))
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> Time.timeout(null, () -> ran.getAndSet(true)))
                    .isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> Time.timeout(ms(1), null)).isInstanceOf(NullPointerException.class);
                assertThat(ran).isFalse();
                return null;
            });
        }
    }

    @Tag("contract")
    @Test
    void zeroTimeoutLeavesTimersActiveUnchanged() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> Time.timeout(Duration.ZERO, () -> 1));
            assertThat(rt.metrics().timersActive()).isZero();
            rt.blockOn(() -> catchThrowable(() -> Time.timeout(Duration.ZERO, () -> {
                Time.sleep(ms(1));
                return 2;
            })));
            assertThat(rt.metrics().timersActive()).isZero();
        }
    }

    // ---- outside a runtime ----

    @Tag("contract")
    @Test
    void timeoutOnAPlatformThreadOutsideAnyRuntime() {
        assertThat(Thread.currentThread().isVirtual()).isFalse();
        int seven = Time.timeout(Duration.ofSeconds(1), () -> 7);
        assertThat(seven).isEqualTo(7);
        long t0 = System.nanoTime();
        AtomicBoolean finallyRan = new AtomicBoolean();
        assertThatThrownBy(() -> Time.timeout(ms(50), () -> {
            try {
                Time.sleep(Duration.ofHours(1));
                return null;
            } finally {
                finallyRan.set(true);
            }
        })).isInstanceOf(ElapsedException.class);
        assertThat(finallyRan).isTrue();
        assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(50)).isLessThan(Duration.ofSeconds(5));
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Tag("contract")
    @Test
    @Timeout(10)
    void aLoopOfReadyWeftCallsIsTimedOut() {
        // Tokio: timeout_is_not_exhausted_by_future (a loop of always-ready awaits; coop makes it yield).
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Semaphore s = new Semaphore(1);
                long t0 = System.nanoTime();
                Throwable t = catchThrowable(() -> Time.timeout(ms(5), () -> {
                    int i = 0;
                    while (System.nanoTime() - t0 < 2_000_000_000L) {
                        s.acquire().close();
                        i++;
                    }
                    return i;
                }));
                assertThat(t).isInstanceOf(ElapsedException.class);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
                return null;
            });
        }
    }
}
