package io.weft.time;

/**
 * What an {@link Interval} does when ticks were missed because the task was busy
 * [Tokio: {@code time::MissedTickBehavior}].
 *
 * <p>A tick counts as missed when it is observed more than 5 ms late, as in Tokio.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var every = Time.interval(Duration.ofMillis(100)).missedTickBehavior(MissedTickBehavior.SKIP);
 * }
 */
public enum MissedTickBehavior {
    /** The default: fire the missed ticks at once, back to back, until caught up; keeps the schedule. */
    BURST,
    /** Start a new schedule: the next tick is one period after the late one. */
    DELAY,
    /** Drop the missed ticks: the next tick is the next one on the original schedule. */
    SKIP
}
