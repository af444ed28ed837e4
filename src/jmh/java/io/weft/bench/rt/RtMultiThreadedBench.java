package io.weft.bench.rt;

import io.weft.bench.AbstractBench;
import io.weft.bench.BenchExecutor;
import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Ports of Tokio's {@code benches/rt_multi_threaded.rs}, with two workers everywhere.
 *
 * <p>Each benchmark method is one batch (10 000 spawns, 200 × 1 000 yields, …) and JMH reports
 * microseconds per batch; {@link PerOp} tells the report how to turn that into nanoseconds per spawn,
 * yield or round trip. Completion is signalled to the benchmark thread by a {@link Countdown}: tasks
 * decrement an {@code AtomicInteger} and the last one unparks the benchmark thread, as Tokio's
 * benches decrement an {@code AtomicUsize} and the last sends on a {@code sync_channel}.
 *
 * <p>Every wait has a deadline, so a scheduler that stalls fails or is counted; it never hangs the run.
 */
@BenchSection(
    title = "Runtime: spawn, yield, hand-off",
    chart = "rt",
    source = "benches/rt_multi_threaded.rs",
    summary = "Ports of Tokio's runtime benchmarks. Two workers for every executor: Weft's carriers, the JDK "
        + "default virtual-thread scheduler at parallelism 2, and a fixed pool of two platform threads.")
public class RtMultiThreadedBench extends AbstractBench {
    static final int NUM_SPAWN = 10_000;
    static final int YIELD_TASKS = 200;
    static final int NUM_YIELD = 1_000;
    static final int NUM_PINGS = 1_000;
    static final int CHAIN_DEPTH = 1_000;

    /** How long a busy1 batch may take before it counts as a stall (a normal batch takes a few ms). */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);

    private Spinners spinners;

    // ---------------------------------------------------------------------------------------------

    /**
     * {@code spawn_many_local}: one task spawns 10 000 tasks that each count down; the benchmark thread
     * waits for the last. Tokio spawns from {@code block_on}; here the spawner is a task, so Weft's
     * spawns take the local path (LIFO slot, local queue, overflow to the inject queue).
     */
    @Benchmark
    @PerOp(count = NUM_SPAWN, unit = "spawn", what = "10 000 spawns from inside a task", order = 1)
    public void spawnManyLocal() {
        final Countdown done = new Countdown(NUM_SPAWN);
        final BenchExecutor ex = exec;
        final Runnable leaf = done::countDown;
        ex.spawnRemote(() -> {
            for (int i = 0; i < NUM_SPAWN; i++) {
                ex.spawnLocal(leaf);
            }
        });
        done.awaitOrFail(GUARD_NANOS, "spawn_many_local", ex);
    }

    /** {@code spawn_many_remote_idle}: the benchmark thread spawns 10 000 tasks into an idle runtime. */
    @Benchmark
    @PerOp(count = NUM_SPAWN, unit = "spawn", what = "10 000 spawns from outside, runtime idle", order = 2)
    public void spawnManyRemoteIdle() {
        final Countdown done = new Countdown(NUM_SPAWN);
        final BenchExecutor ex = exec;
        final Runnable leaf = done::countDown;
        for (int i = 0; i < NUM_SPAWN; i++) {
            ex.spawnRemote(leaf);
        }
        done.awaitOrFail(GUARD_NANOS, "spawn_many_remote_idle", ex);
    }

    /**
     * {@code spawn_many_remote_busy1}: as {@link #spawnManyRemoteIdle()}, while two tasks (one per worker)
     * yield in a loop. A scheduler that runs its local queue to exhaustion before looking at remote work
     * never runs the spawned tasks; the design notes (section 4) saw the JDK default scheduler do so.
     *
     * <p>Stall guard: if the batch has not finished within {@link #STALL_NANOS} (a normal batch takes
     * milliseconds), the invocation counts a stall, stops the spinners so the batch can drain, waits for
     * it, and starts new spinners before it returns. The stalled invocation's time (over 2 s) goes into
     * the score, and the {@code stalls} counter says how often it happened.
     *
     * <p>Tokio keeps {@code 2 × workers} spinners that also burn 10 µs per loop; this port keeps one per
     * worker and only yields. On the platform pool a spinner resubmits itself instead of looping
     * (see {@link BenchExecutor#startSpinner}).
     */
    @Benchmark
    @PerOp(count = NUM_SPAWN, unit = "spawn", order = 3,
        what = "10 000 spawns from outside while 2 tasks yield in a loop",
        note = "A batch that takes over 2 s counts as a stall: its whole time goes into the score. "
            + "On the platform pool the spinners resubmit themselves instead of looping on Thread.yield().")
    public void spawnManyRemoteBusy1(Stalls stalls) {
        final Spinners busy = spinners();
        final Countdown done = new Countdown(NUM_SPAWN);
        final BenchExecutor ex = exec;
        final Runnable leaf = done::countDown;
        for (int i = 0; i < NUM_SPAWN; i++) {
            ex.spawnRemote(leaf);
        }
        stalls.batches++;
        if (!done.await(STALL_NANOS)) {
            stalls.stalls++;
            System.err.printf("[busy1] %s: stall: %d of %d tasks had not run after %d ms; stopping the spinners%n",
                executor, done.remaining(), NUM_SPAWN, TimeUnit.NANOSECONDS.toMillis(STALL_NANOS));
            busy.stop();
            done.awaitOrFail(GUARD_NANOS, "spawn_many_remote_busy1 (after stopping the spinners)", ex);
            spinners = null;
            spinners(); // fresh spinners now, so the next invocation starts as every other one does
        }
    }

    /** {@code yield_many}: 200 tasks, each yields 1 000 times. */
    @Benchmark
    @PerOp(count = YIELD_TASKS * NUM_YIELD, unit = "yield", what = "200 tasks × 1 000 yields", order = 4,
        note = "On the platform pool a yield is Thread.yield() (sched_yield): each pool thread runs its task's "
            + "1 000 yields back to back.")
    public void yieldMany() {
        final Countdown done = new Countdown(YIELD_TASKS);
        final BenchExecutor ex = exec;
        final Runnable task = () -> {
            for (int i = 0; i < NUM_YIELD; i++) {
                ex.yieldNow();
            }
            done.countDown();
        };
        for (int i = 0; i < YIELD_TASKS; i++) {
            ex.spawnRemote(task);
        }
        done.awaitOrFail(GUARD_NANOS, "yield_many", ex);
    }

    /**
     * {@code ping_pong}: 1 000 round trips between two tasks.
     *
     * <p>Hand-off mechanism, the same for all three executors: a volatile counter plus
     * {@link LockSupport#park}/{@link LockSupport#unpark} (Weft has no channels yet). On the platform
     * pool the two tasks hold both pool threads while they play, which is safe with exactly two.
     *
     * <p>Tokio's {@code ping_pong} differs: 1 000 independent pings, each a spawn and two oneshot
     * channels. This is the "oneshot ping-pong" figure of the design notes, at 1 000 round trips.
     */
    @Benchmark
    @PerOp(count = NUM_PINGS, unit = "round trip", order = 5,
        what = "1 000 round trips between two tasks (park/unpark)",
        note = "Hand-off is a volatile counter with LockSupport.park/unpark for every executor (Weft has no "
            + "channels yet); Tokio's ping_pong uses oneshot channels and a spawn per ping.")
    public void pingPong() {
        final Countdown done = new Countdown(2);
        final BenchExecutor ex = exec;
        final Rally rally = new Rally();
        ex.spawnRemote(() -> {
            ex.spawnLocal(() -> {
                rally.pong();
                done.countDown();
            });
            rally.ping();
            done.countDown();
        });
        done.awaitOrFail(GUARD_NANOS, "ping_pong", ex);
    }

    /** {@code chained_spawn}: each task spawns the next, 1 000 deep; the last counts down. */
    @Benchmark
    @PerOp(count = CHAIN_DEPTH, unit = "spawn", what = "each task spawns the next, 1 000 deep", order = 6)
    public void chainedSpawn() {
        final Countdown done = new Countdown(1);
        final BenchExecutor ex = exec;
        ex.spawnRemote(() -> chain(ex, done, CHAIN_DEPTH));
        done.awaitOrFail(GUARD_NANOS, "chained_spawn", ex);
    }

    private static void chain(BenchExecutor ex, Countdown done, int n) {
        if (n == 0) {
            done.countDown();
        } else {
            ex.spawnLocal(() -> chain(ex, done, n - 1));
        }
    }

    // ---------------------------------------------------------------------------------------------

    private Spinners spinners() {
        Spinners s = spinners;
        if (s == null) {
            s = new Spinners(exec);
            spinners = s;
        }
        return s;
    }

    @Override
    protected void beforeClose() {
        Spinners s = spinners;
        if (s != null) {
            spinners = null;
            s.stop();
        }
    }

    /**
     * The busy1 load: one yielding task per worker. Started on first use and kept for the trial, as
     * Tokio keeps its spinners for the whole bench; replaced only after a stall.
     */
    static final class Spinners {
        private volatile boolean running = true;
        private final Countdown exited;
        private final AtomicLong spins = new AtomicLong();

        Spinners(BenchExecutor ex) {
            exited = new Countdown(BenchExecutor.WORKERS);
            for (int i = 0; i < BenchExecutor.WORKERS; i++) {
                ex.startSpinner(() -> running, spins::incrementAndGet, exited::countDown);
            }
            // Do not measure before the spinners are actually spinning.
            long deadline = System.nanoTime() + GUARD_NANOS;
            while (spins.get() < 100L * BenchExecutor.WORKERS) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("busy1 spinners did not start on " + ex);
                }
                LockSupport.parkNanos(100_000);
            }
        }

        /** Stops the spinners and waits for them to end. */
        void stop() {
            running = false;
            exited.awaitOrFail(GUARD_NANOS, "busy1 spinners (stopping)", "");
        }
    }

    /**
     * Counts busy1 stalls. {@code EVENTS} counters are summed over each iteration; JMH shows them as
     * {@code spawnManyRemoteBusy1:stalls} and {@code :batches} beside the score.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Stalls {
        /** Batches that did not finish within 2 s. */
        public long stalls;
        /** Batches run. */
        public long batches;

        /** Counters are per iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            stalls = 0;
            batches = 0;
        }
    }

    /**
     * Two tasks hitting a ball back and forth: {@code ball} odd means the ping is in flight, even the pong.
     *
     * <p>Wake-ups cannot be lost: a player publishes its thread, then checks {@code ball}, then parks; the
     * other writes {@code ball}, then reads the thread and unparks it. Both are volatile, so at least one
     * sees the other's write. The players start in either order; a player that is not yet registered
     * finds the ball already there when it starts.
     */
    static final class Rally {
        volatile int ball;
        volatile Thread pinger;
        volatile Thread ponger;

        void ping() {
            pinger = Thread.currentThread();
            for (int i = 0; i < NUM_PINGS; i++) {
                ball = 2 * i + 1;
                unpark(ponger);
                waitFor(2 * i + 2);
            }
        }

        void pong() {
            ponger = Thread.currentThread();
            for (int i = 0; i < NUM_PINGS; i++) {
                waitFor(2 * i + 1);
                ball = 2 * i + 2;
                unpark(pinger);
            }
        }

        private void waitFor(int value) {
            while (ball != value) {
                LockSupport.park(this);
            }
        }

        private static void unpark(Thread t) {
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}
