package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Mpsc;
import java.util.ArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedTransferQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Ports of Tokio's {@code benches/sync_mpsc.rs}: Weft's {@link Mpsc} channels against
 * {@link ArrayBlockingQueue} (bounded) and {@link LinkedTransferQueue} (unbounded).
 *
 * <p>One invocation is one batch. A driver task (Tokio's {@code block_on}) spawns the producers, then
 * receives every message; the benchmark thread waits for the driver and the producers on a
 * {@link Countdown}. Channels live for the trial (each batch drains what it sends), so a batch does
 * not pay for allocating a million-slot array, which Tokio's linked channel would not either.
 * Messages are small cached {@code Integer}s: no allocation per message on either side.
 *
 * <p>Tokio runs these on 6 workers; here two, as everywhere in Weft's benchmarks. Tokio's
 * {@code create_*} and {@code send_*} groups (channel creation, 8 KiB messages) are not ported.
 */
@BenchSection(
    title = "Sync: mpsc channels",
    chart = "sync-mpsc",
    source = "benches/sync_mpsc.rs",
    summary = "Weft's `Mpsc` channels on a Weft runtime (2 workers) against `ArrayBlockingQueue` (bounded) and "
        + "`LinkedTransferQueue` (unbounded) on JDK virtual threads (default scheduler, parallelism 2). "
        + "Issue target: the bounded channel at least 1.5× the throughput of `ArrayBlockingQueue` under "
        + "4-producer contention, i.e. Weft / JDK ≤ 0.67 on `contention_bounded_4p`.",
    labels = {"weft=Weft", "jdk=JDK queue"})
public class SyncMpscBench extends VersusJdkBench {
    static final int TARGET_PRODUCERS = 4;
    static final int TARGET_PER_PRODUCER = 2_500;
    static final int TARGET_CAPACITY = 1_024;
    static final int PRODUCERS = 5;
    static final int PER_PRODUCER = 1_000;
    static final int BIG_CAPACITY = 1_000_000;
    static final int FULL_CAPACITY = 100;
    static final int UNCONTENDED = 1_000;

    /** {@code weft}: {@link Mpsc}; {@code jdk}: {@link ArrayBlockingQueue} / {@link LinkedTransferQueue}. */
    @Param({WEFT, JDK})
    public String impl;

    private Mpsc.Channel<Integer> wTarget;
    private Mpsc.Channel<Integer> wBig;
    private Mpsc.Channel<Integer> wFull;
    private Mpsc.Channel<Integer> wUnbounded;
    private Mpsc.Channel<Integer> wSmall;
    private BlockingQueue<Integer> jTarget;
    private BlockingQueue<Integer> jBig;
    private BlockingQueue<Integer> jFull;
    private BlockingQueue<Integer> jUnbounded;
    private BlockingQueue<Integer> jSmall;

    @Override
    protected String impl() {
        return impl;
    }

    @Override
    protected void setUp() {
        if (weft) {
            wTarget = Mpsc.channel(TARGET_CAPACITY);
            wBig = Mpsc.channel(BIG_CAPACITY);
            wFull = Mpsc.channel(FULL_CAPACITY);
            wUnbounded = Mpsc.unboundedChannel();
            wSmall = Mpsc.channel(TARGET_CAPACITY);
        } else {
            jTarget = new ArrayBlockingQueue<>(TARGET_CAPACITY);
            jBig = new ArrayBlockingQueue<>(BIG_CAPACITY);
            jFull = new ArrayBlockingQueue<>(FULL_CAPACITY);
            jUnbounded = new LinkedTransferQueue<>();
            jSmall = new ArrayBlockingQueue<>(TARGET_CAPACITY);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** The target: 4 producers × 2 500 messages into a channel of 1 024, one consumer. */
    @Benchmark
    @PerOp(count = TARGET_PRODUCERS * TARGET_PER_PRODUCER, unit = "message", order = 1,
        name = "contention_bounded_4p",
        what = "4 producer tasks × 2 500 messages, capacity 1 024, one consumer (the issue's target)")
    public long contentionBounded4p() {
        return weft
            ? weftContention(wTarget, TARGET_PRODUCERS, TARGET_PER_PRODUCER, false, "contention_bounded_4p")
            : jdkContention(jTarget, TARGET_PRODUCERS, TARGET_PER_PRODUCER, false, "contention_bounded_4p");
    }

    /** {@code contention/bounded}: 5 producers × 1 000 into a channel that never fills. */
    @Benchmark
    @PerOp(count = PRODUCERS * PER_PRODUCER, unit = "message", order = 2,
        what = "5 producer tasks × 1 000 messages, capacity 1 000 000 (never full), one consumer")
    public long contentionBounded() {
        return weft
            ? weftContention(wBig, PRODUCERS, PER_PRODUCER, false, "contention_bounded")
            : jdkContention(jBig, PRODUCERS, PER_PRODUCER, false, "contention_bounded");
    }

    /** {@code contention/bounded_recv_many}: as above, the consumer takes up to 5 000 at a time. */
    @Benchmark
    @PerOp(count = PRODUCERS * PER_PRODUCER, unit = "message", order = 3,
        what = "as `contention_bounded`, the consumer receiving in batches of up to 5 000",
        note = "JDK: `take()` then `drainTo(buffer, 4 999)`; Weft: `recvMany(buffer, 5 000)`.")
    public long contentionBoundedRecvMany() {
        return weft
            ? weftContention(wBig, PRODUCERS, PER_PRODUCER, true, "contention_bounded_recv_many")
            : jdkContention(jBig, PRODUCERS, PER_PRODUCER, true, "contention_bounded_recv_many");
    }

    /** {@code contention/bounded_full}: 5 producers × 1 000 into a channel of 100: senders park. */
    @Benchmark
    @PerOp(count = PRODUCERS * PER_PRODUCER, unit = "message", order = 4,
        what = "5 producer tasks × 1 000 messages, capacity 100 (senders wait for room), one consumer")
    public long contentionBoundedFull() {
        return weft
            ? weftContention(wFull, PRODUCERS, PER_PRODUCER, false, "contention_bounded_full")
            : jdkContention(jFull, PRODUCERS, PER_PRODUCER, false, "contention_bounded_full");
    }

    /** {@code contention/unbounded}: 5 producers × 1 000 into an unbounded channel. */
    @Benchmark
    @PerOp(count = PRODUCERS * PER_PRODUCER, unit = "message", order = 5,
        what = "5 producer tasks × 1 000 messages, unbounded, one consumer",
        note = "JDK: `LinkedTransferQueue`.")
    public long contentionUnbounded() {
        return weft
            ? weftContention(wUnbounded, PRODUCERS, PER_PRODUCER, false, "contention_unbounded")
            : jdkContention(jUnbounded, PRODUCERS, PER_PRODUCER, false, "contention_unbounded");
    }

    /** {@code uncontented/bounded}: one task sends 1 000, then receives them. */
    @Benchmark
    @PerOp(count = UNCONTENDED, unit = "message", order = 6,
        what = "one task sends 1 000 messages into a channel of 1 024, then receives them",
        note = "Tokio (`uncontented/bounded`) sends 5 000 into a channel of 1 000 000.")
    public long uncontendedBounded() {
        return weft ? weftUncontended(wSmall, "uncontended_bounded") : jdkUncontended(jSmall, "uncontended_bounded");
    }

    /** {@code uncontented/unbounded}: one task sends 1 000 into an unbounded channel, then receives them. */
    @Benchmark
    @PerOp(count = UNCONTENDED, unit = "message", order = 7,
        what = "one task sends 1 000 messages into an unbounded channel, then receives them")
    public long uncontendedUnbounded() {
        return weft
            ? weftUncontended(wUnbounded, "uncontended_unbounded")
            : jdkUncontended(jUnbounded, "uncontended_unbounded");
    }

    // ---------------------------------------------------------------------------------------------

    private long weftContention(Mpsc.Channel<Integer> ch, int producers, int perProducer, boolean many,
                                String what) {
        final Countdown done = new Countdown(producers + 1);
        final long[] sink = new long[1];
        drive(done, what, () -> {
            for (int p = 0; p < producers; p++) {
                final Mpsc.Sender<Integer> tx = ch.sender().cloneSender();
                exec.spawnLocal(done.task(() -> {
                    try (tx) {
                        for (int i = 0; i < perProducer; i++) {
                            tx.send(i & 127); // Integer.valueOf: cached, no allocation
                        }
                    }
                }));
            }
            final Mpsc.Receiver<Integer> rx = ch.receiver();
            final int total = producers * perProducer;
            long sum = 0;
            if (many) {
                ArrayList<Integer> buf = new ArrayList<>(total);
                int got = 0;
                while (got < total) {
                    buf.clear();
                    int n = rx.recvMany(buf, total);
                    for (int k = 0; k < n; k++) {
                        sum += buf.get(k);
                    }
                    got += n;
                }
            } else {
                for (int n = 0; n < total; n++) {
                    sum += rx.recv();
                }
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long jdkContention(BlockingQueue<Integer> q, int producers, int perProducer, boolean many,
                               String what) {
        final Countdown done = new Countdown(producers + 1);
        final long[] sink = new long[1];
        drive(done, what, () -> {
            for (int p = 0; p < producers; p++) {
                exec.spawnLocal(done.task(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        q.put(i & 127);
                    }
                }));
            }
            final int total = producers * perProducer;
            long sum = 0;
            if (many) {
                ArrayList<Integer> buf = new ArrayList<>(total);
                int got = 0;
                while (got < total) {
                    buf.clear();
                    buf.add(q.take());
                    q.drainTo(buf, total - 1);
                    for (int k = 0; k < buf.size(); k++) {
                        sum += buf.get(k);
                    }
                    got += buf.size();
                }
            } else {
                for (int n = 0; n < total; n++) {
                    sum += q.take();
                }
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long weftUncontended(Mpsc.Channel<Integer> ch, String what) {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        drive(done, what, () -> {
            final Mpsc.Sender<Integer> tx = ch.sender();
            final Mpsc.Receiver<Integer> rx = ch.receiver();
            for (int i = 0; i < UNCONTENDED; i++) {
                tx.send(i & 127);
            }
            long sum = 0;
            for (int i = 0; i < UNCONTENDED; i++) {
                sum += rx.recv();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long jdkUncontended(BlockingQueue<Integer> q, String what) {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        drive(done, what, () -> {
            for (int i = 0; i < UNCONTENDED; i++) {
                q.put(i & 127);
            }
            long sum = 0;
            for (int i = 0; i < UNCONTENDED; i++) {
                sum += q.take();
            }
            sink[0] = sum;
        });
        return sink[0];
    }
}
