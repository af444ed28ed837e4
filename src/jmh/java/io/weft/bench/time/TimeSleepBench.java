package io.weft.bench.time;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.time.Time;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Sleep and wake: {@code sleepers} tasks each sleep 1 ms once, all at the same time. Weft's
 * {@link Time#sleep} (its timer wheel, one driver thread per runtime) against {@link Thread#sleep} on
 * JDK virtual threads (the default scheduler's own timers) and against a hand-rolled timer: the
 * virtual thread parks and a {@link ScheduledThreadPoolExecutor} with one platform thread unparks it.
 *
 * <p>One invocation is one batch: a driver task spawns the sleepers (Weft: {@code Task.spawn}, local
 * queue; JDK: a new virtual thread each), and the benchmark thread waits until all have woken. The
 * report divides by {@code sleepers}: at 100 000 the figure is the throughput of spawn + sleep + wake;
 * at 1 it is one sleep's latency, about 1 ms plus the timer's lateness.
 *
 * <p>Weft's wheel has 1 ms ticks and rounds a deadline up to the next tick, so a 1 ms sleep takes
 * between 1 and 2 ms (Tokio's does too); the JDK's timers are nanosecond-precise.
 */
@BenchSection(
    title = "Time: sleep and wake",
    chart = "time-sleep",
    summary = "Tasks that each sleep 1 ms once, 1 or 100 000 at a time. Weft's `Time.sleep` on a Weft runtime "
        + "(2 workers) against `Thread.sleep` on JDK virtual threads (default scheduler, parallelism 2) and "
        + "against park + a `ScheduledThreadPoolExecutor(1)` that unparks. Issue target: at 100 000 sleepers, "
        + "Weft at least 2× the throughput of `Thread.sleep`, i.e. Weft / JDK Thread.sleep ≤ 0.5 on "
        + "`sleep sleepers=100000`.",
    labels = {"weft=Weft", "jdk-sleep=JDK Thread.sleep", "jdk-timer=JDK park + STPE"},
    baselines = {"jdk-sleep", "jdk-timer"})
public class TimeSleepBench extends VersusJdkBench {
    private static final Duration ONE_MS = Duration.ofMillis(1);

    /** {@code weft}: {@link Time#sleep}; {@code jdk-sleep}: {@link Thread#sleep}; {@code jdk-timer}: park + STPE. */
    @Param({WEFT, "jdk-sleep", "jdk-timer"})
    public String impl;

    /** How many tasks sleep at once. */
    @Param({"1", "100000"})
    public int sleepers;

    private ScheduledThreadPoolExecutor timer;

    @Override
    protected String impl() {
        return impl;
    }

    @Override
    protected void setUp() {
        if ("jdk-timer".equals(impl)) {
            timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("bench-timer").daemon().factory());
        }
    }

    @Override
    protected void beforeClose() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** {@code sleepers} tasks each sleep 1 ms once; per sleep. */
    @Benchmark
    @PerOp(count = 1, countParam = "sleepers", unit = "sleep", order = 1,
        what = "spawn `sleepers` tasks that each sleep 1 ms once, wait until all have woken",
        note = "Includes the spawn. `jdk-timer`: `LockSupport.park` until a one-thread "
            + "`ScheduledThreadPoolExecutor` task sets a flag and unparks.")
    public int sleep() {
        final int n = sleepers;
        final Countdown done = new Countdown(n + 1);
        final Runnable sleeper;
        switch (impl) {
            case WEFT -> sleeper = done.task(() -> Time.sleep(ONE_MS));
            case "jdk-sleep" -> sleeper = done.task(() -> Thread.sleep(1));
            default -> {
                final ScheduledThreadPoolExecutor t = timer;
                sleeper = done.task(() -> parkOnTimer(t));
            }
        }
        drive(done, "sleep x " + n, () -> {
            for (int i = 0; i < n; i++) {
                exec.spawnLocal(sleeper);
            }
        });
        return n;
    }

    /**
     * The floor under {@link #sleep}: the same spawns, but each task yields once instead of sleeping,
     * so it is unmounted and mounted once with no timer involved. A sleep cannot cost less than this;
     * the gap between the two rows is what the timer itself costs.
     */
    @Benchmark
    @PerOp(count = 1, countParam = "sleepers", unit = "task", order = 2, name = "spawn_and_yield_once",
        what = "spawn `sleepers` tasks that each yield once, wait until all have ended",
        note = "No timer: the floor under `sleep`. Weft and `jdk-sleep` yield with `Thread.yield()`; "
            + "`jdk-timer` is the same as `jdk-sleep` here.")
    public int yieldOnce() {
        final int n = sleepers;
        final Countdown done = new Countdown(n + 1);
        final Runnable task = done.task(Thread::yield);
        drive(done, "yield x " + n, () -> {
            for (int i = 0; i < n; i++) {
                exec.spawnLocal(task);
            }
        });
        return n;
    }

    /** Parks the calling virtual thread until the timer thread wakes it, 1 ms from now. */
    static void parkOnTimer(ScheduledThreadPoolExecutor timer) {
        final Wake w = new Wake(Thread.currentThread());
        timer.schedule(w, 1, TimeUnit.MILLISECONDS);
        while (!w.fired) {
            LockSupport.park(w);
        }
    }

    /** The timer task: sets the flag, then unparks (a spurious wake-up re-checks the flag). */
    static final class Wake implements Runnable {
        private final Thread thread;
        volatile boolean fired;

        Wake(Thread thread) {
            this.thread = thread;
        }

        @Override
        public void run() {
            fired = true;
            LockSupport.unpark(thread);
        }
    }
}
