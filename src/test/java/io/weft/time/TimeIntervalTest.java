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

import io.weft.runtime.Handle;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.CancelledException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Interval} [Tokio: tests/time_interval.rs]: the first tick is immediate, later ones follow the
 * period on the runtime's clock; the three missed-tick behaviours give Tokio's exact tick instants when
 * a "busy" task lets paused time run past several periods; reset and resetImmediately.
 *
 * <p>Tokio's tests poll the interval without blocking ({@code check_interval_poll!}); here
 * {@link #ready} does the same with {@code Time.timeout(Duration.ZERO, interval::tick)}: a due tick
 * returns without parking, a tick not yet due elapses before it registers a timer, and (as
 * {@link Interval} documents) a tick cancelled while waiting is not consumed.
 */
@Timeout(30)
class TimeIntervalTest {

    /** Runs {@code body} on a current-thread runtime whose clock starts paused. */
    private static <T> T onPausedTime(Callable<T> body) {
        try (Runtime rt = paused(RuntimeFlavor.CURRENT_THREAD)) {
            return rt.blockOn(body);
        }
    }

    /**
     * Polls {@code i} without letting time pass, as Tokio's {@code check_interval_poll!}:
     * {@return the offsets from {@code start}, in ms, of the ticks that are ready now}
     */
    private static List<Long> ready(Interval i, Instant start) {
        List<Long> ticks = new ArrayList<>();
        Instant before = Time.now();
        for (int n = 0; n < 100; n++) {
            try {
                Instant t = Time.timeout(Duration.ZERO, i::tick);
                ticks.add(Duration.between(start, t).toMillis());
            } catch (ElapsedException e) {
                break;
            }
        }
        assertThat(Time.now()).as("polling does not move the clock").isEqualTo(before);
        assertThat(Thread.currentThread().isInterrupted()).as("no interrupt left behind").isFalse();
        // (timersActive() is not checked here: Time.timeout(ZERO, ..) drives it negative, see
        // TimeTimeoutTest.zeroTimeoutLeavesTimersActiveUnchanged)
        return ticks;
    }

    private static List<Long> none() {
        return List.of();
    }

    // ---- Tokio's time_interval.rs, tick for tick ----

    @Test
    void burst() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Time.advance(ms(1));
            Interval i = Time.intervalAt(start, ms(300));
            assertThat(i.missedTickBehavior()).isEqualTo(MissedTickBehavior.BURST);

            assertThat(ready(i, start)).containsExactly(0L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(300L);
            Time.advance(ms(650));
            assertThat(ready(i, start)).containsExactly(600L, 900L);
            Time.advance(ms(200));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(100));
            assertThat(ready(i, start)).containsExactly(1200L);
            Time.advance(ms(250));
            assertThat(ready(i, start)).containsExactly(1500L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1800L);
            return null;
        });
    }

    @Test
    void delay() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Time.advance(ms(1));
            Interval i = Time.intervalAt(start, ms(300)).missedTickBehavior(MissedTickBehavior.DELAY);

            assertThat(ready(i, start)).containsExactly(0L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(300L);
            Time.advance(ms(650));
            assertThat(ready(i, start)).containsExactly(600L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(201));
            assertThat(ready(i, start)).containsExactly(1251L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1551L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1851L);
            return null;
        });
    }

    @Test
    void skip() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Time.advance(ms(1));
            Interval i = Time.intervalAt(start, ms(300)).missedTickBehavior(MissedTickBehavior.SKIP);

            assertThat(ready(i, start)).containsExactly(0L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(300L);
            Time.advance(ms(650));
            assertThat(ready(i, start)).containsExactly(600L);
            Time.advance(ms(250));
            assertThat(ready(i, start)).containsExactly(1200L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1500L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1800L);
            return null;
        });
    }

    @Test
    void reset() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Time.advance(ms(1));
            Interval i = Time.intervalAt(start, ms(300));

            assertThat(ready(i, start)).containsExactly(0L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(300L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            i.reset(); // now 401: next tick at 701
            Time.advance(ms(250));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(50));
            assertThat(ready(i, start)).containsExactly(701L);
            Time.advance(ms(300));
            assertThat(ready(i, start)).containsExactly(1001L);
            return null;
        });
    }

    @Test
    void resetImmediately() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Time.advance(ms(1));
            Interval i = Time.intervalAt(start, ms(300));

            assertThat(ready(i, start)).containsExactly(0L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(300L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            i.resetImmediately(); // now 401: due at once, then every 300 ms from there
            assertThat(ready(i, start)).containsExactly(401L);
            Time.advance(ms(100));
            assertThat(ready(i, start)).isEqualTo(none());
            Time.advance(ms(200));
            assertThat(ready(i, start)).containsExactly(701L);
            return null;
        });
    }

    // ---- a busy task, blocking tick() ----

    /**
     * Ticks {@code i} once, then lets paused time run {@code busyMs} past it (the task is "busy"),
     * then ticks {@code ticks} more times; {@return "scheduled@observed" in ms from the start per tick}
     */
    private static List<String> busyTicks(MissedTickBehavior b, long periodMs, long busyMs, int ticks) {
        return onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.interval(ms(periodMs)).missedTickBehavior(b);
            List<String> got = new ArrayList<>();
            got.add(Duration.between(start, i.tick()).toMillis() + "@" + since(start).toMillis());
            Time.advance(ms(busyMs));
            for (int n = 0; n < ticks; n++) {
                Instant t = i.tick();
                got.add(Duration.between(start, t).toMillis() + "@" + since(start).toMillis());
            }
            return got;
        });
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void firstTickIsImmediateThenEveryPeriod(RuntimeFlavor flavor) {
        try (Runtime rt = paused(flavor)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                Interval i = Time.interval(ms(100));
                assertThat(i.period()).isEqualTo(ms(100));
                assertThat(i.tick()).isEqualTo(start);
                assertThat(Time.now()).isEqualTo(start);
                for (int n = 1; n <= 5; n++) {
                    assertThat(i.tick()).isEqualTo(start.plusMillis(100L * n));
                    assertThat(Time.now()).isEqualTo(start.plusMillis(100L * n));
                }
                return null;
            });
        }
    }

    @Test
    void intervalAtAFutureStartFirstTicksThere() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.intervalAt(start.plusSeconds(5), Duration.ofSeconds(1));
            assertThat(i.tick()).isEqualTo(start.plusSeconds(5));
            assertThat(since(start)).isEqualTo(Duration.ofSeconds(5));
            assertThat(i.tick()).isEqualTo(start.plusSeconds(6));
            return null;
        });
    }

    @Test
    void busyTaskWithBurstCatchesUpBackToBack() {
        // Missed 100, 200, 300 (seen at 350): they fire at once; the schedule is kept.
        assertThat(busyTicks(MissedTickBehavior.BURST, 100, 350, 5))
            .containsExactly("0@0", "100@350", "200@350", "300@350", "400@400", "500@500");
    }

    @Test
    void busyTaskWithDelayStartsANewScheduleFromTheLateTick() {
        // The late tick (100, seen at 350) fires; the next is one period after it was seen.
        assertThat(busyTicks(MissedTickBehavior.DELAY, 100, 350, 3))
            .containsExactly("0@0", "100@350", "450@450", "550@550");
    }

    @Test
    void busyTaskWithSkipDropsMissedTicksAndKeepsTheGrid() {
        // The late tick (100, seen at 350) fires; 200 and 300 are dropped; the next is 400, on the grid.
        assertThat(busyTicks(MissedTickBehavior.SKIP, 100, 350, 3))
            .containsExactly("0@0", "100@350", "400@400", "500@500");
        // Seen exactly on a later grid point (at 300): the next is one period on.
        assertThat(busyTicks(MissedTickBehavior.SKIP, 100, 300, 3))
            .containsExactly("0@0", "100@300", "400@400", "500@500");
    }

    @Test
    void aTickUpToFiveMillisecondsLateIsNotMissed() {
        // Tokio's threshold: a tick observed at most 5 ms late is on time, whatever the behaviour.
        for (MissedTickBehavior b : MissedTickBehavior.values()) {
            assertThat(busyTicks(b, 100, 105, 3)).as("%s, 5 ms late", b)
                .containsExactly("0@0", "100@105", "200@200", "300@300");
        }
        assertThat(busyTicks(MissedTickBehavior.DELAY, 100, 106, 3)).as("DELAY, 6 ms late")
            .containsExactly("0@0", "100@106", "206@206", "306@306");
        assertThat(busyTicks(MissedTickBehavior.SKIP, 100, 106, 3)).as("SKIP, 6 ms late")
            .containsExactly("0@0", "100@106", "200@200", "300@300");
        assertThat(busyTicks(MissedTickBehavior.BURST, 100, 106, 3)).as("BURST, 6 ms late")
            .containsExactly("0@0", "100@106", "200@200", "300@300");
    }

    @Test
    void behaviourCanChangeBetweenTicks() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.interval(ms(100));
            i.tick();
            Time.advance(ms(350));
            assertThat(i.tick()).isEqualTo(start.plusMillis(100)); // BURST: next 200
            i.missedTickBehavior(MissedTickBehavior.DELAY);
            assertThat(i.tick()).isEqualTo(start.plusMillis(200)); // 150 ms late: next = 350 + 100
            assertThat(i.tick()).isEqualTo(start.plusMillis(450));
            assertThat(since(start)).isEqualTo(ms(450));
            return null;
        });
    }

    @Test
    void resetWithBlockingTicks() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.interval(ms(100));
            i.tick();
            Time.advance(ms(30));
            i.reset();
            assertThat(i.tick()).isEqualTo(start.plusMillis(130));
            assertThat(since(start)).isEqualTo(ms(130));
            Time.advance(ms(10));
            i.resetImmediately();
            assertThat(i.tick()).isEqualTo(start.plusMillis(140));
            assertThat(since(start)).isEqualTo(ms(140));
            assertThat(i.tick()).isEqualTo(start.plusMillis(240));
            return null;
        });
    }

    @Test
    void anHourOfOneSecondTicksOnPausedTime() {
        long wall = System.nanoTime();
        onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.interval(Duration.ofSeconds(1));
            for (int n = 0; n <= 3600; n++) {
                assertThat(i.tick()).isEqualTo(start.plusSeconds(n));
            }
            assertThat(since(start)).isEqualTo(Duration.ofHours(1));
            return null;
        });
        assertThat(realSince(wall)).isLessThan(Duration.ofSeconds(10));
    }

    // ---- cancellation ----

    @Test
    void anAbortedTickIsNotConsumed() {
        onPausedTime(() -> {
            Instant start = Time.now();
            Interval i = Time.interval(ms(100));
            assertThat(i.tick()).isEqualTo(start);
            AtomicReference<Throwable> seen = new AtomicReference<>();
            JoinHandle<Instant> h = Task.spawn(() -> {
                try {
                    return i.tick();
                } catch (Throwable e) {
                    seen.set(e);
                    throw e;
                }
            });
            yieldUntilTimers(1); // the task waits in tick(); stay runnable so the clock stays put
            h.abort();
            joinCancelled(h);
            assertThat(seen.get()).isInstanceOf(CancelledException.class);
            assertThat(Handle.current().metrics().timersActive()).isZero();
            assertThat(Time.now()).isEqualTo(start);
            assertThat(i.tick()).as("the schedule is unchanged").isEqualTo(start.plusMillis(100));
            assertThat(i.tick()).isEqualTo(start.plusMillis(200));
            return null;
        });
    }

    // ---- arguments ----

    @Tag("contract")
    @Test
    void invalidArgumentsAreRejected() {
        try (Runtime rt = real(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                assertThatThrownBy(() -> Time.interval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> Time.interval(ms(-1))).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> Time.intervalAt(Time.now(), Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> Time.interval(null)).isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> Time.interval(ms(1)).missedTickBehavior(null))
                    .isInstanceOf(NullPointerException.class);
                assertThat(Time.interval(Duration.ofNanos(1)).period()).isEqualTo(Duration.ofNanos(1));
                return null;
            });
        }
    }

    // ---- real time ----

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void realTimeTicksAreNeverEarly(RuntimeFlavor flavor) {
        try (Runtime rt = real(flavor)) {
            rt.blockOn(() -> {
                long t0 = System.nanoTime();
                Instant start = Time.now();
                Interval i = Time.intervalAt(start, ms(20));
                for (int n = 0; n < 6; n++) {
                    i.tick();
                    assertThat(Time.now()).as("after tick %d", n).isAfterOrEqualTo(start.plusMillis(20L * n));
                    assertThat(realSince(t0)).as("after tick %d", n).isGreaterThanOrEqualTo(ms(20L * n));
                }
                assertThat(realSince(t0)).isLessThan(Duration.ofSeconds(10));
                return null;
            });
        }
    }

    @Tag("contract")
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void realTimeTicksReportExactlyTheirScheduledInstant(RuntimeFlavor flavor) {
        try (Runtime rt = real(flavor)) {
            rt.blockOn(() -> {
                Instant start = Time.now();
                Interval i = Time.intervalAt(start, ms(20));
                for (int n = 0; n < 6; n++) {
                    // BURST keeps the schedule, however late a tick is seen.
                    assertThat(i.tick()).as("tick %d's scheduled instant", n).isEqualTo(start.plusMillis(20L * n));
                }
                return null;
            });
        }
    }

    @Tag("contract")
    @Test
    void intervalOutsideAnyRuntime() {
        long t0 = System.nanoTime();
        Instant start = Time.now();
        Interval i = Time.intervalAt(start, ms(10));
        for (int n = 0; n < 3; n++) {
            i.tick();
            assertThat(Time.now()).isAfterOrEqualTo(start.plusMillis(10L * n));
        }
        assertThat(realSince(t0)).isGreaterThanOrEqualTo(ms(20)).isLessThan(Duration.ofSeconds(10));
    }
}
