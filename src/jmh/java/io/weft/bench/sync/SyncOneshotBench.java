package io.weft.bench.sync;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Mpsc;
import io.weft.sync.Oneshot;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * Oneshot channels: Weft's {@link Oneshot} against {@link CompletableFuture}, the JDK's one-value
 * hand-off. Ports Tokio's {@code benches/sync_mpsc_oneshot.rs} ({@code request_reply}) and adds the
 * design notes' oneshot ping-pong and Tokio's {@code rt_multi_threaded.rs} {@code ping_pong} shape
 * (a spawn and a oneshot per round).
 *
 * <p>Waiting: Weft's {@code Receiver.recv()}; the JDK's {@code CompletableFuture.join()}, which parks a
 * virtual thread. Each round trip is two parks and two wake-ups (unless the value is already there).
 */
@BenchSection(
    title = "Sync: oneshot",
    chart = "sync-oneshot",
    source = "benches/sync_mpsc_oneshot.rs",
    summary = "Weft's `Oneshot` on a Weft runtime (2 workers) against `CompletableFuture` on JDK virtual "
        + "threads (default scheduler, parallelism 2). `request_reply` also sends each oneshot sender over a "
        + "bounded channel of 10: Weft's `Mpsc` against `ArrayBlockingQueue`.",
    labels = {"weft=Weft", "jdk=JDK CompletableFuture"})
public class SyncOneshotBench extends VersusJdkBench {
    static final int ROUNDS = 10_000;
    static final int REQUESTS = 1_000;
    static final int SPAWN_ROUNDS = 1_000;
    static final int REQUEST_CAPACITY = 10;

    /** {@code weft}: {@link Oneshot}; {@code jdk}: {@link CompletableFuture}. */
    @Param({WEFT, JDK})
    public String impl;

    private Mpsc.Channel<Oneshot.Sender<Integer>> wRequests;
    private ArrayBlockingQueue<CompletableFuture<Integer>> jRequests;
    private Countdown serverDone;
    /** Ends the JDK server. */
    private static final CompletableFuture<Integer> STOP = new CompletableFuture<>();

    @Override
    protected String impl() {
        return impl;
    }

    /** Starts {@code request_reply}'s server task, which lives for the trial (as Tokio's does). */
    @Override
    protected void setUp() {
        serverDone = new Countdown(1);
        if (weft) {
            wRequests = Mpsc.channel(REQUEST_CAPACITY);
            final Mpsc.Receiver<Oneshot.Sender<Integer>> rx = wRequests.receiver();
            exec.spawnRemote(serverDone.task(() -> {
                Oneshot.Sender<Integer> reply;
                while ((reply = rx.recv()) != null) {
                    reply.send(1);
                }
            }));
        } else {
            jRequests = new ArrayBlockingQueue<>(REQUEST_CAPACITY);
            final ArrayBlockingQueue<CompletableFuture<Integer>> q = jRequests;
            exec.spawnRemote(serverDone.task(() -> {
                CompletableFuture<Integer> reply;
                while ((reply = q.take()) != STOP) {
                    reply.complete(1);
                }
            }));
        }
    }

    @Override
    protected void beforeClose() {
        if (weft) {
            wRequests.sender().close(); // the server's recv() returns null
        } else {
            try {
                if (!jRequests.offer(STOP, 10, TimeUnit.SECONDS)) {
                    System.err.println("warning: request_reply server did not take STOP");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!serverDone.await(STOP_NANOS)) {
            System.err.println("warning: request_reply server did not stop on " + exec);
        }
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * Oneshot ping-pong: two tasks, 10 000 round trips, a fresh oneshot for every message. The 20 000
     * channels are made by the driver before the other task starts (inside the measured batch).
     */
    @Benchmark
    @PerOp(count = ROUNDS, unit = "round trip", order = 1,
        what = "two tasks, 10 000 round trips, a new oneshot for every message (the design notes' oneshot "
            + "ping-pong)",
        note = "The 20 000 channels (futures) are created inside the batch, before the rally starts.")
    public long pingPong() {
        return weft ? weftPingPong() : jdkPingPong();
    }

    /**
     * {@code request_reply}: a server task answers requests from a bounded channel of 10; the client
     * sends 1 000 requests, each carrying a new oneshot sender, and waits for each reply.
     */
    @Benchmark
    @PerOp(count = REQUESTS, unit = "request", order = 2,
        what = "1 000 requests, each a oneshot sent over a bounded channel of 10 to a server task that "
            + "replies on it",
        note = "Tokio runs it on a current-thread runtime and on one worker; here two workers. "
            + "JDK: `ArrayBlockingQueue<CompletableFuture>`.")
    public long requestReply() {
        return weft ? weftRequestReply() : jdkRequestReply();
    }

    /** Tokio's {@code ping_pong} shape: each round spawns a task that sends on a new oneshot. */
    @Benchmark
    @PerOp(count = SPAWN_ROUNDS, unit = "round", order = 3,
        what = "1 000 rounds of: spawn a task that sends on a new oneshot, receive from it",
        note = "Mostly measures a spawn; see the runtime section for spawn alone.")
    public long spawnPingPong() {
        return weft ? weftSpawnPingPong() : jdkSpawnPingPong();
    }

    // ---------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    private long weftPingPong() {
        final Countdown done = new Countdown(2);
        final long[] sink = new long[1];
        drive(done, "ping_pong", () -> {
            final Oneshot.Channel<Integer>[] ping = new Oneshot.Channel[ROUNDS];
            final Oneshot.Channel<Integer>[] pong = new Oneshot.Channel[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                ping[i] = Oneshot.channel();
                pong[i] = Oneshot.channel();
            }
            exec.spawnLocal(done.task(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    int v = ping[i].receiver().recv();
                    pong[i].sender().send(v);
                }
            }));
            long sum = 0;
            for (int i = 0; i < ROUNDS; i++) {
                ping[i].sender().send(i & 127);
                sum += pong[i].receiver().recv();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    @SuppressWarnings("unchecked")
    private long jdkPingPong() {
        final Countdown done = new Countdown(2);
        final long[] sink = new long[1];
        drive(done, "ping_pong", () -> {
            final CompletableFuture<Integer>[] ping = new CompletableFuture[ROUNDS];
            final CompletableFuture<Integer>[] pong = new CompletableFuture[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                ping[i] = new CompletableFuture<>();
                pong[i] = new CompletableFuture<>();
            }
            exec.spawnLocal(done.task(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    int v = ping[i].join();
                    pong[i].complete(v);
                }
            }));
            long sum = 0;
            for (int i = 0; i < ROUNDS; i++) {
                ping[i].complete(i & 127);
                sum += pong[i].join();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long weftRequestReply() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        final Mpsc.Sender<Oneshot.Sender<Integer>> tx = wRequests.sender();
        drive(done, "request_reply", () -> {
            long sum = 0;
            for (int i = 0; i < REQUESTS; i++) {
                Oneshot.Channel<Integer> reply = Oneshot.channel();
                tx.send(reply.sender());
                sum += reply.receiver().recv();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long jdkRequestReply() {
        final Countdown done = new Countdown(1);
        final long[] sink = new long[1];
        final ArrayBlockingQueue<CompletableFuture<Integer>> q = jRequests;
        drive(done, "request_reply", () -> {
            long sum = 0;
            for (int i = 0; i < REQUESTS; i++) {
                CompletableFuture<Integer> reply = new CompletableFuture<>();
                q.put(reply);
                sum += reply.join();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long weftSpawnPingPong() {
        final Countdown done = new Countdown(1 + SPAWN_ROUNDS);
        final long[] sink = new long[1];
        drive(done, "spawn_ping_pong", () -> {
            long sum = 0;
            for (int i = 0; i < SPAWN_ROUNDS; i++) {
                final Oneshot.Channel<Integer> ch = Oneshot.channel();
                final Oneshot.Sender<Integer> tx = ch.sender();
                exec.spawnLocal(done.task(() -> tx.send(1)));
                sum += ch.receiver().recv();
            }
            sink[0] = sum;
        });
        return sink[0];
    }

    private long jdkSpawnPingPong() {
        final Countdown done = new Countdown(1 + SPAWN_ROUNDS);
        final long[] sink = new long[1];
        drive(done, "spawn_ping_pong", () -> {
            long sum = 0;
            for (int i = 0; i < SPAWN_ROUNDS; i++) {
                final CompletableFuture<Integer> cf = new CompletableFuture<>();
                exec.spawnLocal(done.task(() -> cf.complete(1)));
                sum += cf.join();
            }
            sink[0] = sum;
        });
        return sink[0];
    }
}
