package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Notify;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Ports of Tokio's {@code benches/sync_notify.rs}, plus a notify ping-pong: Weft's {@link Notify}
 * against a {@code ReentrantLock} + {@code Condition} with the same permit semantics
 * ({@link JdkPrimitives.Notify}), the JDK having no {@code Notify} of its own.
 *
 * <p>Tokio's two benchmarks keep {@value #WAITERS} waiter tasks looping on {@code notified()} for the
 * whole trial and notify them from the benchmark thread (outside the runtime), spinning until the
 * waiters have counted {@value #NOTIFICATIONS} wake-ups; every spin notifies again, so a notification
 * with nobody waiting becomes the stored permit. Tokio runs 10 to 500 waiters on 6 workers; here 10
 * on two.
 */
@BenchSection(
    title = "Sync: notify",
    chart = "sync-notify",
    source = "benches/sync_notify.rs",
    summary = "Weft's `Notify` on a Weft runtime (2 workers) against a `ReentrantLock` + `Condition` "
        + "implementation of the same semantics (one stored permit, FIFO-ish wake-ups) on JDK virtual threads "
        + "(default scheduler, parallelism 2).",
    labels = {"weft=Weft", "jdk=JDK lock + condition"})
public class SyncNotifyBench extends VersusJdkBench {
    static final int ROUNDS = 10_000;
    static final int WAITERS = 10;
    static final int NOTIFICATIONS = 500;

    /** {@code weft}: {@link Notify}; {@code jdk}: {@link JdkPrimitives.Notify}. */
    @Param({WEFT, JDK})
    public String impl;

    private Notify wNotify;
    private JdkPrimitives.Notify jNotify;
    private final AtomicLong counter = new AtomicLong();
    private volatile boolean running;
    private Countdown waitersDone;

    @Override
    protected String impl() {
        return impl;
    }

    /** Starts Tokio's waiter tasks; they live for the trial. */
    @Override
    protected void setUp() {
        running = true;
        waitersDone = new Countdown(WAITERS);
        if (weft) {
            final Notify n = wNotify = new Notify();
            for (int i = 0; i < WAITERS; i++) {
                exec.spawnRemote(waitersDone.task(() -> {
                    while (running) {
                        n.notified();
                        counter.incrementAndGet();
                    }
                }));
            }
        } else {
            final JdkPrimitives.Notify n = jNotify = new JdkPrimitives.Notify();
            for (int i = 0; i < WAITERS; i++) {
                exec.spawnRemote(waitersDone.task(() -> {
                    while (running) {
                        n.notified();
                        counter.incrementAndGet();
                    }
                }));
            }
        }
    }

    @Override
    protected void beforeClose() {
        running = false;
        long deadline = System.nanoTime() + STOP_NANOS;
        while (!waitersDone.await(TimeUnit.MILLISECONDS.toNanos(1))) {
            if (weft) {
                wNotify.notifyWaiters();
            } else {
                jNotify.notifyWaiters();
            }
            if (System.nanoTime() > deadline) {
                System.err.println("warning: notify waiters did not stop on " + exec);
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Two tasks wake each other through two notifies, 10 000 round trips. */
    @Benchmark
    @PerOp(count = ROUNDS, unit = "round trip", order = 1,
        what = "two tasks wake each other through two notifies (`notifyOne`, then `notified`), 10 000 round trips")
    public long pingPong() {
        final Countdown done = new Countdown(2);
        if (weft) {
            final Notify ping = new Notify();
            final Notify pong = new Notify();
            drive(done, "ping_pong", () -> {
                exec.spawnLocal(done.task(() -> {
                    for (int i = 0; i < ROUNDS; i++) {
                        ping.notified();
                        pong.notifyOne();
                    }
                }));
                for (int i = 0; i < ROUNDS; i++) {
                    ping.notifyOne();
                    pong.notified();
                }
            });
        } else {
            final JdkPrimitives.Notify ping = new JdkPrimitives.Notify();
            final JdkPrimitives.Notify pong = new JdkPrimitives.Notify();
            drive(done, "ping_pong", () -> {
                exec.spawnLocal(done.task(() -> {
                    for (int i = 0; i < ROUNDS; i++) {
                        ping.notified();
                        pong.notifyOne();
                    }
                }));
                for (int i = 0; i < ROUNDS; i++) {
                    ping.notifyOne();
                    pong.notified();
                }
            });
        }
        return ROUNDS;
    }

    /** {@code notify_one}: the benchmark thread calls {@code notifyOne} until 500 wake-ups are counted. */
    @Benchmark
    @PerOp(count = NOTIFICATIONS, unit = "wake-up", order = 2,
        what = "10 waiter tasks loop on `notified()`; the benchmark thread spins on `notifyOne()` until they "
            + "have counted 500 wake-ups")
    public long notifyOne() {
        return spin(false, "notify_one");
    }

    /** {@code notify_waiters}: the benchmark thread calls {@code notifyWaiters} until 500 wake-ups are counted. */
    @Benchmark
    @PerOp(count = NOTIFICATIONS, unit = "wake-up", order = 3,
        what = "10 waiter tasks loop on `notified()`; the benchmark thread spins on `notifyWaiters()` until they "
            + "have counted 500 wake-ups")
    public long notifyWaiters() {
        return spin(true, "notify_waiters");
    }

    private long spin(boolean all, String what) {
        counter.set(0);
        final long deadline = System.nanoTime() + GUARD_NANOS;
        final Notify w = wNotify;
        final JdkPrimitives.Notify j = jNotify;
        long spins = 0;
        while (counter.get() < NOTIFICATIONS) {
            if (w != null) {
                if (all) {
                    w.notifyWaiters();
                } else {
                    w.notifyOne();
                }
            } else if (all) {
                j.notifyWaiters();
            } else {
                j.notifyOne();
            }
            if ((++spins & 1023) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + ": only " + counter.get() + " of " + NOTIFICATIONS
                        + " wake-ups within " + TimeUnit.NANOSECONDS.toSeconds(GUARD_NANOS) + " s on " + exec);
                }
            }
        }
        return spins;
    }
}
