package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.ClosedException;
import io.weft.sync.Notify;
import io.weft.sync.Watch;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Port of Tokio's {@code benches/sync_watch.rs} ({@code contention_resubscribe}): one sender, many
 * receivers waiting in {@code changed()}. Weft's {@link Watch} against a value, a version and a
 * {@code ReentrantLock} + {@code Condition} ({@link JdkPrimitives.Watch}): the JDK has no watch channel.
 *
 * <p>{@value #RECEIVERS} receiver tasks live for the trial. Each round the sender adds
 * {@value #RECEIVERS} to a wait-group counter, sends, and waits on a notify until every receiver has
 * woken, read the value and counted down (the last one notifies). The wait group's notify is Weft's
 * {@link Notify} or {@link JdkPrimitives.Notify}, so each side uses its own primitives throughout.
 *
 * <p>Tokio's receivers also format ten random floats per wake-up ({@code do_work}); here they only
 * read the value, so the figure is the channel and the wake-ups. Tokio runs 10 to 1 000 receivers on 6
 * workers; here 10 on two.
 */
@BenchSection(
    title = "Sync: watch",
    chart = "sync-watch",
    source = "benches/sync_watch.rs",
    summary = "Weft's `Watch` on a Weft runtime (2 workers) against a versioned value guarded by a "
        + "`ReentrantLock` + `Condition` (`signalAll` on send) on JDK virtual threads (default scheduler, "
        + "parallelism 2).",
    labels = {"weft=Weft", "jdk=JDK lock + condition"})
public class SyncWatchBench extends VersusJdkBench {
    static final int RECEIVERS = 10;
    static final int SENDS = 100;
    private static final Integer VALUE = 42;

    /** {@code weft}: {@link Watch}; {@code jdk}: {@link JdkPrimitives.Watch}. */
    @Param({WEFT, JDK})
    public String impl;

    private final AtomicLong wg = new AtomicLong();
    private Countdown receiversDone;
    private Watch.Sender<Integer> wTx;
    private Notify wWg;
    private JdkPrimitives.Watch<Integer> jWatch;
    private JdkPrimitives.Notify jWg;

    @Override
    protected String impl() {
        return impl;
    }

    /** Starts the receivers; they live for the trial. */
    @Override
    protected void setUp() {
        receiversDone = new Countdown(RECEIVERS);
        if (weft) {
            Watch.Channel<Integer> ch = Watch.channel(0);
            wTx = ch.sender();
            ch.receiver().close();
            final Notify notify = wWg = new Notify();
            for (int i = 0; i < RECEIVERS; i++) {
                final Watch.Receiver<Integer> rx = wTx.subscribe();
                exec.spawnRemote(receiversDone.task(() -> {
                    try {
                        for (;;) {
                            rx.changed();
                            if (rx.borrow() != null && wg.decrementAndGet() == 0) {
                                notify.notifyOne();
                            }
                        }
                    } catch (ClosedException e) {
                        // the trial is over
                    }
                }));
            }
        } else {
            final JdkPrimitives.Watch<Integer> w = jWatch = new JdkPrimitives.Watch<>(0);
            final JdkPrimitives.Notify notify = jWg = new JdkPrimitives.Notify();
            for (int i = 0; i < RECEIVERS; i++) {
                exec.spawnRemote(receiversDone.task(() -> {
                    try {
                        long seen = 0;
                        for (;;) {
                            seen = w.changed(seen);
                            if (w.borrow() != null && wg.decrementAndGet() == 0) {
                                notify.notifyOne();
                            }
                        }
                    } catch (JdkPrimitives.Closed e) {
                        // the trial is over
                    }
                }));
            }
        }
    }

    @Override
    protected void beforeClose() {
        if (weft) {
            wTx.close();
        } else {
            jWatch.close();
        }
        if (!receiversDone.await(STOP_NANOS)) {
            System.err.println("warning: watch receivers did not stop on " + exec);
        }
    }

    /** {@code contention_resubscribe}: 100 sends, each waking 10 receivers and waiting for all of them. */
    @Benchmark
    @PerOp(count = SENDS, unit = "send", order = 1, name = "contention_resubscribe",
        what = "one sender task, 10 receiver tasks in `changed()`; each send waits until all 10 have woken and "
            + "read the value; 100 sends",
        note = "Tokio's receivers also format ten random floats per wake-up; these only read the value.")
    public long contentionResubscribe() {
        final Countdown done = new Countdown(1);
        if (weft) {
            final Watch.Sender<Integer> tx = wTx;
            final Notify notify = wWg;
            drive(done, "contention_resubscribe", () -> {
                for (int i = 0; i < SENDS; i++) {
                    if (wg.getAndAdd(RECEIVERS) != 0) {
                        throw new IllegalStateException("wait group not empty at send " + i);
                    }
                    tx.send(VALUE);
                    while (wg.get() > 0) {
                        notify.notified();
                    }
                }
            });
        } else {
            final JdkPrimitives.Watch<Integer> w = jWatch;
            final JdkPrimitives.Notify notify = jWg;
            drive(done, "contention_resubscribe", () -> {
                for (int i = 0; i < SENDS; i++) {
                    if (wg.getAndAdd(RECEIVERS) != 0) {
                        throw new IllegalStateException("wait group not empty at send " + i);
                    }
                    w.send(VALUE);
                    while (wg.get() > 0) {
                        notify.notified();
                    }
                }
            });
        }
        return SENDS;
    }
}
