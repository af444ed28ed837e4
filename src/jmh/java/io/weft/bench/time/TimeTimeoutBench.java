package io.weft.bench.time;

import io.weft.bench.BenchExecutor;
import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.time.Time;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Port of Tokio's {@code benches/time_timeout.rs} ({@code multi_thread_timeout}): a timeout around a
 * job that finishes at once, so the cost is arming and disarming the timer. One task per worker, each
 * running its share of the batch.
 *
 * <ul>
 *   <li>{@code weft}: {@code Time.timeout(1 s, job)}: registers on the runtime's wheel, runs the job
 *       inline, cancels.</li>
 *   <li>{@code jdk-cf}: {@code new CompletableFuture().orTimeout(1 s)}, completed with the job's result
 *       and joined: {@code orTimeout} schedules on the JDK's shared delayer thread and completion
 *       cancels that task.</li>
 *   <li>{@code jdk-timer}: what Weft does, by hand: schedule an interrupt of the calling thread on a
 *       {@link ScheduledThreadPoolExecutor} (one thread, remove-on-cancel), run the job, cancel.</li>
 * </ul>
 *
 * <p>Tokio's {@code *_sleep} variants create a {@code Sleep} future and drop it without awaiting it;
 * Weft's {@code Time.sleep} parks at once, so they have no counterpart here.
 */
@BenchSection(
    title = "Time: timeout",
    chart = "time-timeout",
    source = "benches/time_timeout.rs",
    summary = "A 1 s timeout around a job that returns at once, so the figure is arming and cancelling the "
        + "timer. Weft's `Time.timeout` on a Weft runtime (2 workers) against `CompletableFuture.orTimeout` and "
        + "against a hand-rolled interrupt scheduled on a `ScheduledThreadPoolExecutor(1)`, both on JDK virtual "
        + "threads (default scheduler, parallelism 2).",
    labels = {"weft=Weft", "jdk-cf=JDK CompletableFuture.orTimeout", "jdk-timer=JDK STPE interrupt"},
    baselines = {"jdk-cf", "jdk-timer"})
public class TimeTimeoutBench extends VersusJdkBench {
    static final int TIMEOUTS = 10_000;
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);
    private static final Integer ONE = 1;

    /** {@code weft}, {@code jdk-cf} or {@code jdk-timer}. */
    @Param({WEFT, "jdk-cf", "jdk-timer"})
    public String impl;

    private ScheduledThreadPoolExecutor timer;

    @Override
    protected String impl() {
        return impl;
    }

    @Override
    protected void setUp() {
        if ("jdk-timer".equals(impl)) {
            timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("bench-timer").daemon().factory());
            timer.setRemoveOnCancelPolicy(true);
        }
    }

    @Override
    protected void beforeClose() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Tokio's {@code quick_job}. */
    static Integer quickJob() {
        return ONE;
    }

    /** {@code multi_thread_timeout}: 2 tasks × 5 000 timeouts around a job that returns at once. */
    @Benchmark
    @PerOp(count = TIMEOUTS, unit = "timeout", order = 1, name = "multi_thread_timeout",
        what = "2 tasks (one per worker) × 5 000 timeouts of 1 s around a job that returns at once",
        note = "Tokio uses 8 workers and tasks.")
    public long timeout() {
        final int tasks = BenchExecutor.WORKERS;
        final int each = TIMEOUTS / tasks;
        final Countdown done = new Countdown(tasks + 1);
        final long[] sink = new long[tasks];
        drive(done, "multi_thread_timeout", () -> {
            for (int t = 0; t < tasks; t++) {
                final int slot = t;
                final Countdown.Body body = switch (impl) {
                    case WEFT -> () -> {
                        long n = 0;
                        for (int i = 0; i < each; i++) {
                            n += Time.timeout(ONE_SECOND, TimeTimeoutBench::quickJob);
                        }
                        sink[slot] = n;
                    };
                    case "jdk-cf" -> () -> {
                        long n = 0;
                        for (int i = 0; i < each; i++) {
                            CompletableFuture<Integer> cf = new CompletableFuture<>();
                            cf.orTimeout(1, TimeUnit.SECONDS);
                            cf.complete(quickJob());
                            n += cf.join();
                        }
                        sink[slot] = n;
                    };
                    default -> {
                        final ScheduledThreadPoolExecutor stpe = timer;
                        yield () -> {
                            long n = 0;
                            final Thread me = Thread.currentThread();
                            final Runnable interrupt = me::interrupt;
                            for (int i = 0; i < each; i++) {
                                ScheduledFuture<?> f = stpe.schedule(interrupt, 1, TimeUnit.SECONDS);
                                try {
                                    n += quickJob();
                                } finally {
                                    f.cancel(false);
                                }
                            }
                            sink[slot] = n;
                        };
                    }
                };
                exec.spawnLocal(done.task(body));
            }
        });
        long sum = 0;
        for (long v : sink) {
            sum += v;
        }
        return sum;
    }
}
