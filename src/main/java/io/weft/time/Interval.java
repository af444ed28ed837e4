package io.weft.time;

import io.weft.internal.time.Sleeps;
import io.weft.internal.time.TimeDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Ticks at a fixed period [Tokio: {@code time::Interval}]; made by {@link Time#interval(Duration)}.
 *
 * <p>The first {@link #tick()} returns at once; each later one parks until the next tick is due.
 * Ticks follow the runtime's clock, so paused test time drives them too.
 *
 * <h2>Example</h2>
 * {@snippet :
 * Interval every = Time.interval(Duration.ofSeconds(1));
 * for (int i = 0; i < 3; i++) {
 *     every.tick();          // at 0 s, 1 s, 2 s
 *     System.out.println("tick " + i);
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code tick()} throws {@link io.weft.task.CancelledException}; the
 * tick is not consumed, so the interval's schedule is unchanged.
 *
 * <h2>Memory consistency effects</h2>
 * An interval belongs to one task at a time; it is not safe for concurrent use.
 */
public final class Interval {
    private static final long MISSED_THRESHOLD_NANOS = 5_000_000;

    private final TimeDriver driver;
    private final long period;
    private long next;
    private MissedTickBehavior behavior = MissedTickBehavior.BURST;

    Interval(TimeDriver driver, long start, long period) {
        this.driver = driver;
        this.next = start;
        this.period = period;
    }

    /**
     * Parks until the next tick is due.
     *
     * {@snippet :
     * Instant scheduled = interval.tick();
     * }
     *
     * @return when the tick was scheduled (on the runtime's clock)
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public Instant tick() {
        long scheduled = next;
        if (driver.nanos() < scheduled) {
            Sleeps.sleepUntil(driver, scheduled, "Interval.tick");
        }
        long now = driver.nanos();
        if (now - scheduled > MISSED_THRESHOLD_NANOS) {
            next = switch (behavior) {
                case BURST -> scheduled + period;
                case DELAY -> now + period;
                case SKIP -> now + period - ((now - scheduled) % period);
            };
        } else {
            next = scheduled + period;
        }
        return driver.instant(scheduled);
    }

    /**
     * {@return this interval as a {@link io.weft.stream.Stream} of tick instants}
     * [tokio-stream: {@code IntervalStream}]. Each {@code next()} is a {@link #tick()}; the stream never
     * ends by itself.
     *
     * {@snippet :
     * Time.interval(Duration.ofSeconds(1)).stream().take(3).forEach(t -> System.out.println("tick " + t));
     * }
     */
    public io.weft.stream.Stream<Instant> stream() {
        return io.weft.stream.Stream.fromPull(this::tick, () -> { });
    }

    /**
     * Restarts the schedule: the next tick is one period from now.
     *
     * {@snippet :
     * interval.reset();
     * }
     */
    public void reset() {
        next = driver.nanos() + period;
    }

    /**
     * Makes the next tick due at once; later ticks follow one period apart from it.
     *
     * {@snippet :
     * interval.resetImmediately();
     * }
     */
    public void resetImmediately() {
        next = driver.nanos();
    }

    /**
     * Sets what happens to missed ticks (default {@link MissedTickBehavior#BURST}).
     *
     * {@snippet :
     * interval.missedTickBehavior(MissedTickBehavior.DELAY);
     * }
     *
     * @param b the behaviour
     * @return this interval
     */
    public Interval missedTickBehavior(MissedTickBehavior b) {
        this.behavior = Objects.requireNonNull(b, "behavior");
        return this;
    }

    /**
     * {@return the missed-tick behaviour}
     *
     * {@snippet :
     * MissedTickBehavior b = interval.missedTickBehavior();
     * }
     */
    public MissedTickBehavior missedTickBehavior() {
        return behavior;
    }

    /**
     * {@return the period}
     *
     * {@snippet :
     * Duration p = interval.period();
     * }
     */
    public Duration period() {
        return Duration.ofNanos(period);
    }
}
