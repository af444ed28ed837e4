package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Broadcast;
import io.weft.sync.Notify;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Port of Tokio's {@code benches/sync_broadcast.rs} ({@code contention}): one sender, many receivers.
 * Weft's {@link Broadcast} against a ring of slots guarded by a {@code ReentrantLock} with one
 * {@code Condition} ({@link JdkPrimitives.Broadcast}): the JDK has no broadcast channel.
 *
 * <p>{@value #RECEIVERS} receiver tasks live for the trial. Each round the sender adds
 * {@value #RECEIVERS} to a wait-group counter, sends, and waits on a notify until every receiver has
 * received the value and counted down (the last one notifies), as in Tokio. The wait group's notify is
 * Weft's {@link Notify} or {@link JdkPrimitives.Notify}.
 *
 * <p>Tokio's receivers also format ten random floats per value ({@code do_work}), and it keeps the
 * channel's first receiver open without reading it; here receivers only receive, and the first
 * receiver is closed. Tokio runs 10 to 1 000 receivers on 6 workers; here 10 on two.
 */
@BenchSection(
    title = "Sync: broadcast",
    chart = "sync-broadcast",
    source = "benches/sync_broadcast.rs",
    summary = "Weft's `Broadcast` (capacity 1 000) on a Weft runtime (2 workers) against a ring of 1 000 slots "
        + "guarded by a `ReentrantLock` + `Condition` (`signalAll` on send) on JDK virtual threads (default "
        + "scheduler, parallelism 2).",
    labels = {"weft=Weft", "jdk=JDK lock + ring"})
public class SyncBroadcastBench extends VersusJdkBench {
    static final int RECEIVERS = 10;
    static final int SENDS = 100;
    static final int CAPACITY = 1_000;

    /** {@code weft}: {@link Broadcast}; {@code jdk}: {@link JdkPrimitives.Broadcast}. */
    @Param({WEFT, JDK})
    public String impl;

    private final AtomicLong wg = new AtomicLong();
    private Countdown receiversDone;
    private Broadcast.Sender<Integer> wTx;
    private Notify wWg;
    private JdkPrimitives.Broadcast<Integer> jCh;
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
            Broadcast.Channel<Integer> ch = Broadcast.channel(CAPACITY);
            wTx = ch.sender();
            final Notify notify = wWg = new Notify();
            for (int i = 0; i < RECEIVERS; i++) {
                final Broadcast.Receiver<Integer> rx = wTx.subscribe();
                exec.spawnRemote(receiversDone.task(() -> {
                    while (rx.recv() != null) {
                        if (wg.decrementAndGet() == 0) {
                            notify.notifyOne();
                        }
                    }
                }));
            }
            ch.receiver().close();
        } else {
            final JdkPrimitives.Broadcast<Integer> ch = jCh = new JdkPrimitives.Broadcast<>(CAPACITY);
            final JdkPrimitives.Notify notify = jWg = new JdkPrimitives.Notify();
            for (int i = 0; i < RECEIVERS; i++) {
                final JdkPrimitives.Broadcast.Receiver<Integer> rx = ch.subscribe();
                exec.spawnRemote(receiversDone.task(() -> {
                    try {
                        for (;;) {
                            rx.recv();
                            if (wg.decrementAndGet() == 0) {
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
            jCh.close();
        }
        if (!receiversDone.await(STOP_NANOS)) {
            System.err.println("warning: broadcast receivers did not stop on " + exec);
        }
    }

    /** {@code contention}: 100 sends, each received by 10 receivers before the next. */
    @Benchmark
    @PerOp(count = SENDS, unit = "send", order = 1,
        what = "one sender task, 10 receiver tasks in `recv()`; each send waits until all 10 have received it; "
            + "100 sends",
        note = "Tokio's receivers also format ten random floats per value; these only receive.")
    public long contention() {
        final Countdown done = new Countdown(1);
        if (weft) {
            final Broadcast.Sender<Integer> tx = wTx;
            final Notify notify = wWg;
            drive(done, "contention", () -> {
                for (int i = 0; i < SENDS; i++) {
                    if (wg.getAndAdd(RECEIVERS) != 0) {
                        throw new IllegalStateException("wait group not empty at send " + i);
                    }
                    tx.send(i & 127);
                    while (wg.get() > 0) {
                        notify.notified();
                    }
                }
            });
        } else {
            final JdkPrimitives.Broadcast<Integer> ch = jCh;
            final JdkPrimitives.Notify notify = jWg;
            drive(done, "contention", () -> {
                for (int i = 0; i < SENDS; i++) {
                    if (wg.getAndAdd(RECEIVERS) != 0) {
                        throw new IllegalStateException("wait group not empty at send " + i);
                    }
                    ch.send(i & 127);
                    while (wg.get() > 0) {
                        notify.notified();
                    }
                }
            });
        }
        return SENDS;
    }
}
