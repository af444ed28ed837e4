package io.weft.bench.time;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.time.Time;
import java.time.Instant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Port of Tokio's {@code benches/time_now.rs}: reading the clock from a task. Weft's {@link Time#now()}
 * (the runtime's clock: a start instant plus {@code System.nanoTime()}, frozen while paused) against
 * {@link Instant#now()} on a JDK virtual thread.
 *
 * <p>Tokio's bench does one {@code Instant::now()} per {@code block_on}, so it mostly measures
 * {@code block_on}; here one task reads the clock 10 000 times per batch.
 */
@BenchSection(
    title = "Time: now",
    chart = "time-now",
    source = "benches/time_now.rs",
    summary = "Reading the clock from a task: Weft's `Time.now()` on a Weft runtime (2 workers) against "
        + "`Instant.now()` on a JDK virtual thread (default scheduler, parallelism 2).",
    labels = {"weft=Weft Time.now", "jdk=JDK Instant.now"})
public class TimeNowBench extends VersusJdkBench {
    static final int CALLS = 10_000;

    /** {@code weft}: {@link Time#now()}; {@code jdk}: {@link Instant#now()}. */
    @Param({WEFT, JDK})
    public String impl;

    @Override
    protected String impl() {
        return impl;
    }

    /** {@code time_now}: one task reads the clock 10 000 times. */
    @Benchmark
    @PerOp(count = CALLS, unit = "call", order = 1,
        what = "one task reads the clock 10 000 times")
    public long timeNow() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        if (weft) {
            drive(done, "time_now", () -> {
                long x = 0;
                for (int i = 0; i < CALLS; i++) {
                    Instant t = Time.now();
                    x ^= t.getEpochSecond() + t.getNano();
                }
                sink[0] = x;
            });
        } else {
            drive(done, "time_now", () -> {
                long x = 0;
                for (int i = 0; i < CALLS; i++) {
                    Instant t = Instant.now();
                    x ^= t.getEpochSecond() + t.getNano();
                }
                sink[0] = x;
            });
        }
        return sink[0];
    }
}
