package io.weft.time;

import static io.weft.time.TimeTests.ms;
import static io.weft.time.TimeTests.paused;
import static io.weft.time.TimeTests.real;
import static io.weft.time.TimeTests.realSince;
import static io.weft.time.TimeTests.since;
import static io.weft.time.TimeTests.withoutAutoAdvance;
import static io.weft.time.TimeTests.yieldUntil;
import static io.weft.time.TimeTests.yieldUntilTimers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.sync.Oneshot;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Test time [Tokio: tests/time_pause.rs, test-util]: {@link Time#pause}, {@link Time#advance},
 * {@link Time#resume}, {@code startPaused(true)}, and auto-advance, which must jump only when every task
 * is parked on time: never while a task computes, yields, or a blocking task runs. Both runtime
 * flavours; the contract-tagged ones also on the JDK default scheduler, where idleness comes from the
 * JDK's VirtualThreadSchedulerMXBean.
 */
@Timeout(30)
class TimePauseTest {

    // ---- misuse ----

    @Tag("contract")
    @Test
    void pauseResumeAndAdvanceNeedARuntime() throws Exception {
        assertThatThrownBy(Time::pause).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(Time::resume).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Time.advance(ms(1))).isInstanceOf(IllegalStateException.class);
        // a virtual thread that is not a Weft task is outside any runtime too
        AtomicReference<Throwable> onVirtual = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                Time.pause();
            } catch (Throwable t) {
                onVirtual.set(t);
            }
        }).join();
        assertThat(onVirtual.get()).isInstanceOf(IllegalStateException.class);
        // the JVM-wide clock outside runtimes keeps going
        Instant a = Time.now();
        WeftTesting.sleep(ms(20));
        assertThat(Duration.between(a, Time.now())).isGreaterThanOrEqualTo(ms(20));
    }

    @Tag("contract")
    @Test
    void advanceNeedsAPausedClockAndAPositiveDuration() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                assertThatThrownBy(() -> Time.advance(ms(1))).isInstanceOf(IllegalStateException.class);
                Time.pause();
                assertThatThrownBy(() -> Time.advance(ms(-1))).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> Time.advance(null)).isInstanceOf(NullPointerException.class);
                Time.resume();
                assertThatThrownBy(() -> Time.advance(ms(1))).isInstanceOf(IllegalStateException.class);
                return null;
            });
        }
    }

    // ---- the paused clock ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void nowIsFrozenWhilePausedAndAdvanceMovesItExactly(RuntimeFlavor flavor) {
        try (Runtime rt = real(flavor)) {
            rt.blockOn(() -> {
                Time.pause();
                Instant t0 = Time.now();
                WeftTesting.spin(20_000); // 20 ms of CPU
                assertThat(Time.now()).isEqualTo(t0);
                WeftTesting.sleep(ms(20)); // 20 ms parked (not on the runtime's timers)
                assertThat(Time.now()).isEqualTo(t0);
                Time.pause(); // idempotent
                assertThat(Time.now()).isEqualTo(t0);

                Time.advance(ms(1234));
                assertThat(Time.now()).isEqualTo(t0.plusMillis(1234));
                Time.advance(Duration.ZERO);
                assertThat(Time.now()).isEqualTo(t0.plusMillis(1234));
                Time.advance(Duration.ofNanos(1));
                assertThat(Time.now()).isEqualTo(t0.plusMillis(1234).plusNanos(1));
                Time.advance(Duration.ofDays(400));
                assertThat(since(t0)).isEqualTo(Duration.ofDays(400).plusMillis(1234).plusNanos(1));
                return null;
            });
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void resumeContinuesFromTheFrozenInstant(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                Time.sleep(Duration.ofHours(1)); // auto-advance
                Instant frozen = Time.now();
                assertThat(Duration.between(start, frozen)).isEqualTo(Duration.ofHours(1));
                Time.resume();
                Time.resume(); // idempotent
                long t0 = System.nanoTime();
                Instant r0 = Time.now();
                assertThat(r0).isAfterOrEqualTo(frozen).isBefore(frozen.plusSeconds(10));
                Time.sleep(ms(30)); // real time again
                assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(30));
                assertThat(Duration.between(frozen, Time.now())).isGreaterThanOrEqualTo(ms(30))
                    .isLessThan(Duration.ofSeconds(10));
                // pausing again freezes at the current instant
                Time.pause();
                Instant p = Time.now();
                WeftTesting.sleep(ms(20));
                assertThat(Time.now()).isEqualTo(p);
                return null;
            });
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void timersPendingAtResumeFireOnRealTimeFromTheFrozenInstant(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                JoinHandle<Duration> h = Task.spawn(() -> {
                    Time.sleep(ms(50));
                    return since(start);
                });
                yieldUntilTimers(1);
                long t0 = System.nanoTime();
                Time.resume();
                assertThat(h.join()).isGreaterThanOrEqualTo(ms(50)).isLessThan(Duration.ofSeconds(10));
                assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(50)).isLessThan(Duration.ofSeconds(10));
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void pausingWithPendingTimersAutoAdvancesToThem(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = real(flavor)) {
            long t0 = System.nanoTime();
            JoinHandle<Duration> main = rt.spawn(() -> {
                JoinHandle<Void> h = Task.spawn(() -> Time.sleep(Duration.ofHours(1)));
                yieldUntilTimers(1);
                WeftTesting.sleep(ms(50)); // the driver parks until the timer's real deadline
                Instant paused = Time.now();
                Time.pause();
                h.join();
                return since(paused);
            });
            // the sleep was registered just before 'paused', and fires on the next millisecond
            assertThat(main.get(5, TimeUnit.SECONDS)).isGreaterThan(Duration.ofMinutes(59))
                .isLessThanOrEqualTo(Duration.ofHours(1).plusMillis(1));
            assertThat(realSince(t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void aStartPausedClockStartsAtTheWallClock() {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            Instant before = Instant.now();
            Instant clock = rt.blockOn(Time::now);
            assertThat(Duration.between(clock, before).abs()).isLessThan(Duration.ofSeconds(10));
            WeftTesting.sleep(ms(30));
            assertThat(rt.blockOn(Time::now)).isEqualTo(clock);
        }
    }

    @Test
    void pausingOneRuntimeLeavesOthersAndTheJvmClockAlone() {
        try (Runtime pausedRt = paused(RuntimeFlavor.CURRENT_THREAD);
             Runtime realRt = real(RuntimeFlavor.CURRENT_THREAD)) {
            Instant p0 = pausedRt.blockOn(Time::now);
            Instant r0 = realRt.blockOn(Time::now);
            Instant g0 = Time.now();
            long t0 = System.nanoTime();
            Time.sleep(ms(30)); // outside any runtime: real time
            assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(30));
            assertThat(pausedRt.blockOn(Time::now)).isEqualTo(p0);
            assertThat(Duration.between(r0, realRt.blockOn(Time::now))).isGreaterThanOrEqualTo(ms(30));
            assertThat(Duration.between(g0, Time.now())).isGreaterThanOrEqualTo(ms(30));
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void blockingTasksSeeTheRuntimesPausedClock(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Time.advance(Duration.ofHours(5));
                Instant inTask = Time.now();
                assertThat(Task.spawnBlocking(Time::now).join()).isEqualTo(inTask);
                return null;
            });
        }
    }

    // ---- advance ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void advanceFiresWhatBecameDueAndRunsIt(RuntimeFlavor flavor) {
        // Tokio: time_pause.rs manner. startPaused: the clock starts on a millisecond, as timers do.
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> withoutAutoAdvance(() -> {
                Instant start = Time.now();
                List<String> events = new CopyOnWriteArrayList<>();
                JoinHandle<Void> h = Task.spawn(() -> {
                    Time.sleep(Duration.ofSeconds(10));
                    events.add("woke at " + since(start));
                });
                yieldUntilTimers(1); // stay runnable: no auto-advance
                Time.advance(Duration.ofSeconds(5));
                assertThat(h.isFinished()).isFalse();
                assertThat(events).isEmpty();
                Time.advance(Duration.ofSeconds(5));
                h.join();
                assertThat(events).containsExactly("woke at PT10S");
                assertThat(since(start)).isEqualTo(Duration.ofSeconds(10));
                return null;
            }));
        }
    }

    @Tag("contract")
    @Test
    void afterPauseAtAnyInstantTimersStillNeverFireEarly() {
        // Time.pause() freezes the clock between two milliseconds; a deadline between ticks waits for
        // the next one, so advancing by exactly the sleep may not be enough (Tokio alike).
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> withoutAutoAdvance(() -> {
                Time.pause();
                Instant start = Time.now();
                AtomicReference<Instant> wokeAt = new AtomicReference<>();
                JoinHandle<Void> h = Task.spawn(() -> {
                    Time.sleep(Duration.ofSeconds(10));
                    wokeAt.set(Time.now());
                });
                yieldUntilTimers(1);
                Time.advance(Duration.ofMillis(9999));
                assertThat(h.isFinished()).isFalse();
                Time.advance(Duration.ofMillis(2));
                h.join();
                assertThat(wokeAt.get()).isAfterOrEqualTo(start.plusSeconds(10));
                assertThat(since(start)).isEqualTo(Duration.ofMillis(10_001));
                return null;
            }));
        }
    }

    @Test
    void advanceRunsTheWokenTasksBeforeItReturnsOnACurrentThreadRuntime() {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> withoutAutoAdvance(() -> {
                List<String> events = new CopyOnWriteArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    int id = i;
                    Task.spawn(() -> {
                        Time.sleep(ms(id));
                        events.add("t" + id);
                    });
                }
                yieldUntilTimers(3);
                Time.advance(ms(2));
                events.add("advanced");
                yieldUntil(() -> events.size() == 3, Duration.ofSeconds(10), "t1, t2 and advanced: " + events);
                assertThat(events).containsExactly("t1", "t2", "advanced");
                Time.advance(ms(1));
                yieldUntil(() -> events.size() == 4, Duration.ofSeconds(10), "t3: " + events);
                assertThat(events).containsExactly("t1", "t2", "advanced", "t3");
                return null;
            }));
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void advanceAloneMovesTheClockWhileOtherTimersArePending(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Task.spawn(() -> Time.sleep(Duration.ofHours(1)));
                yieldUntilTimers(1);
                Instant start = Time.now();
                for (int i = 1; i <= 20_000; i++) {
                    Time.advance(Duration.ofNanos(1000));
                    assertThat(since(start)).as("after %d advances of 1 us", i).isEqualTo(Duration.ofNanos(1000L * i));
                }
                return null;
            });
        }
    }

    @Test
    void advanceByMoreThanTheWheelSpanMovesTheClockByAllOfIt() {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                Time.advance(Duration.ofDays(1000));
                assertThat(since(start)).isEqualTo(Duration.ofDays(1000));
                return null;
            });
        }
    }

    @Test
    void advanceByAnAbsurdDurationDoesNotOverflow() {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                Time.advance(Duration.ofSeconds(Long.MAX_VALUE));
                assertThat(Time.now()).isAfter(start);
                Time.sleep(ms(5)); // the clock still works
                return null;
            });
        }
    }

    @Test
    void subMillisecondAdvancesAreExactAndFireTimersOnlyWhenDue() {
        // Tokio: test_time_advance_sub_ms, test_time_advance_3ms_and_change, advance_once_with_timer,
        // advance_multi_with_timer, regression_3710_with_submillis_advance.
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> withoutAutoAdvance(() -> {
                Instant origin = Time.now(); // startPaused: the driver's time 0, on a timer tick
                for (long micros : new long[] {51_592, 1, 3_141_592, 3_123_456}) {
                    Instant before = Time.now();
                    Time.advance(Duration.ofNanos(micros * 1000));
                    assertThat(since(before)).isEqualTo(Duration.ofNanos(micros * 1000));
                }
                alignToTick(origin);

                JoinHandle<Void> once = Task.spawn(() -> Time.sleep(ms(1)));
                yieldUntilTimers(1); // stay runnable from here on: only advance moves the clock
                Time.advance(Duration.ofNanos(250_000));
                assertThat(once.isFinished()).isFalse();
                Time.advance(Duration.ofNanos(1_500_000));
                yieldUntil(once::isFinished, Duration.ofSeconds(10), "the 1 ms sleep after 1.75 ms");

                alignToTick(origin);
                JoinHandle<Void> multi = Task.spawn(() -> Time.sleep(ms(1)));
                yieldUntilTimers(1);
                for (int i = 0; i < 3; i++) {
                    Time.advance(Duration.ofNanos(250_000));
                    Task.yieldNow();
                    assertThat(multi.isFinished()).as("after %d x 250 us", i + 1).isFalse();
                }
                Time.advance(Duration.ofNanos(250_000));
                yieldUntil(multi::isFinished, Duration.ofSeconds(10), "the 1 ms sleep after 4 x 250 us");

                Instant start = Time.now();
                JoinHandle<Void> minute = Task.spawn(() -> Time.sleepUntil(start.plusSeconds(60)));
                yieldUntilTimers(1);
                Time.advance(Duration.ofNanos(51_592_000));
                Task.yieldNow();
                assertThat(minute.isFinished()).isFalse();
                minute.abort();
                return null;
            }));
        }
    }

    /** Advances the paused clock to the next millisecond tick of the timer wheel (whose 0 is {@code origin}). */
    private static void alignToTick(Instant origin) {
        long off = since(origin).toNanos() % 1_000_000;
        if (off != 0) {
            Time.advance(Duration.ofNanos(1_000_000 - off));
        }
        assertThat(since(origin).toNanos() % 1_000_000).isZero();
    }

    @Test
    void pausedTimeIsDeterministic() {
        // Tokio: paused_time_is_deterministic.
        assertThat(pausedStressRun()).isEqualTo(pausedStressRun());
    }

    private static List<Duration> pausedStressRun() {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            return rt.blockOn(() -> {
                java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
                List<Duration> times = new java.util.ArrayList<>();
                Instant start = Time.now();
                for (int i = 0; i < 10_000; i++) {
                    Time.sleep(Duration.ofNanos(rnd.nextLong(1_000_000_000L)));
                    times.add(since(start));
                }
                return times;
            });
        }
    }

    @Test
    void pauseFromASpawnedTask() {
        // Tokio: pause_time_in_task.
        try (Runtime rt = real(RuntimeFlavor.MULTI_THREAD)) {
            rt.spawn(Time::pause).join();
            Instant a = rt.blockOn(Time::now);
            WeftTesting.sleep(ms(20));
            assertThat(rt.blockOn(Time::now)).isEqualTo(a);
        }
    }

    // ---- auto-advance ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anHourOfTimersRunsInMilliseconds(RuntimeFlavor flavor) {
        long wall = System.nanoTime();
        try (Runtime rt = paused(flavor)) {
            Duration[] result = rt.blockOn(() -> {
                Instant start = Time.now();
                JoinHandle<Duration> background = Task.spawn(() -> {
                    Time.sleep(Duration.ofMinutes(30));
                    return since(start);
                });
                Interval every = Time.interval(Duration.ofSeconds(1));
                for (int n = 0; n <= 3600; n++) {
                    Instant t = every.tick();
                    if (!t.equals(start.plusSeconds(n))) {
                        throw new AssertionError("tick " + n + " at " + Duration.between(start, t));
                    }
                }
                return new Duration[] {since(start), background.join()};
            });
            assertThat(result[0]).as("the clock after 3601 ticks").isEqualTo(Duration.ofHours(1));
            assertThat(result[1]).as("the background sleeper woke at").isEqualTo(Duration.ofMinutes(30));
        }
        assertThat(realSince(wall)).as("wall time").isLessThan(Duration.ofSeconds(10));
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void autoAdvanceWaitsForATaskThatComputes(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            List<String> events = new CopyOnWriteArrayList<>();
            long wall = System.nanoTime();
            rt.blockOn(() -> {
                Instant start = Time.now();
                JoinHandle<Void> sleeper = Task.spawn(() -> {
                    Time.sleep(ms(10));
                    events.add("sleeper woke at " + since(start).toMillis());
                });
                yieldUntilTimers(1);
                JoinHandle<Void> busy = Task.spawn(() -> {
                    WeftTesting.spin(200_000); // 200 ms of CPU without a park point
                    events.add("busy done at " + since(start).toMillis());
                });
                busy.join();
                sleeper.join();
                return null;
            });
            assertThat(events).containsExactly("busy done at 0", "sleeper woke at 10");
            assertThat(realSince(wall)).isGreaterThanOrEqualTo(ms(200));
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void autoAdvanceWaitsForABlockingTask(RuntimeFlavor flavor) {
        // The blocking task is joined first and the pool is seen idle before anything parks again, so a
        // carrier parks after it ended (for the case where none does, see
        // autoAdvanceResumesWhenTheLastBlockingTaskEnds).
        try (Runtime rt = paused(flavor)) {
            List<String> events = new CopyOnWriteArrayList<>();
            long wall = System.nanoTime();
            rt.blockOn(() -> {
                Instant start = Time.now();
                AtomicBoolean started = new AtomicBoolean();
                JoinHandle<Void> blocking = Task.spawnBlocking(() -> {
                    started.set(true);
                    Thread.sleep(200); // real time, on a blocking thread
                    events.add("blocking done");
                    return null;
                });
                yieldUntil(started::get, Duration.ofSeconds(10), "the blocking task started");
                JoinHandle<Void> sleeper = Task.spawn(() -> {
                    Time.sleep(ms(10));
                    events.add("sleeper woke at " + since(start).toMillis());
                });
                blocking.join();
                var m = io.weft.runtime.Handle.current().metrics();
                yieldUntil(() -> m.idleBlockingThreads() == m.blockingThreads(), Duration.ofSeconds(10),
                    "the blocking thread is idle");
                sleeper.join();
                return null;
            });
            assertThat(events).containsExactly("blocking done", "sleeper woke at 10");
            assertThat(realSince(wall)).isGreaterThanOrEqualTo(ms(200));
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void autoAdvanceResumesWhenTheLastBlockingTaskEnds(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = paused(flavor)) {
            CountDownLatch blockingStarted = new CountDownLatch(1);
            JoinHandle<Void> blocking = rt.spawnBlocking(() -> {
                blockingStarted.countDown();
                Thread.sleep(200);
                return null;
            });
            assertThat(blockingStarted.await(10, TimeUnit.SECONDS)).isTrue();
            JoinHandle<Duration> sleeper = rt.spawn(() -> {
                Instant start = Time.now();
                Time.sleep(ms(10));
                return since(start);
            });
            blocking.get(10, TimeUnit.SECONDS);
            assertThat(sleeper.get(5, TimeUnit.SECONDS)).as("the sleeper woke after the blocking task ended")
                .isEqualTo(ms(10));
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void autoAdvanceWaitsForATaskThatKeepsYielding(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            List<String> events = new CopyOnWriteArrayList<>();
            rt.blockOn(() -> {
                Instant start = Time.now();
                JoinHandle<Void> sleeper = Task.spawn(() -> {
                    Time.sleep(ms(10));
                    events.add("sleeper woke at " + since(start).toMillis());
                });
                yieldUntilTimers(1);
                JoinHandle<Void> yielder = Task.spawn(() -> {
                    long t0 = System.nanoTime();
                    while (System.nanoTime() - t0 < 100_000_000L) {
                        Task.yieldNow();
                    }
                    events.add("yielder done at " + since(start).toMillis());
                });
                yielder.join();
                sleeper.join();
                return null;
            });
            assertThat(events).containsExactly("yielder done at 0", "sleeper woke at 10");
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void autoAdvanceWhenEveryTaskWaitsEvenIfNotAllOnTime(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                var ch = Oneshot.<Duration>channel();
                JoinHandle<Duration> receiver = Task.spawn(() -> ch.receiver().recv());
                Task.spawn(() -> {
                    Time.sleep(Duration.ofSeconds(1));
                    ch.sender().send(since(start));
                });
                assertThat(receiver.join()).isEqualTo(Duration.ofSeconds(1));
                assertThat(since(start)).isEqualTo(Duration.ofSeconds(1));
                return null;
            });
        }
    }

    @Test
    void noTimersMeansNoJump() {
        try (Runtime rt = paused(RuntimeFlavor.MULTI_THREAD)) {
            Instant start = rt.blockOn(Time::now);
            var ch = Oneshot.<String>channel();
            JoinHandle<String> waiter = rt.spawn(() -> ch.receiver().recv());
            WeftTesting.sleep(ms(50)); // the runtime idles with no timer: nothing to advance to
            assertThat(rt.blockOn(Time::now)).isEqualTo(start);
            ch.sender().send("x");
            assertThat(waiter.join()).isEqualTo("x");
        }
    }
}
