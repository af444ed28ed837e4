package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many tasks times many iterations on a 2-worker runtime, with seeded randomness (rerun one with
 * {@code -Dweft.test.seed=N}) and tasks aborted at random moments: each primitive must keep its
 * invariants and lose nothing.
 */
@Tag("stress")
@Timeout(30)
class SyncStressTest {

    /** Runs {@code body} with a seed, naming it in any failure. */
    private static void seeded(String what, SeededBody body) throws Exception {
        long seed = SyncTests.seed();
        try (Runtime rt = runtime()) {
            body.run(rt, seed);
        } catch (Throwable t) {
            throw new AssertionError(what + " failed with seed " + seed + " (rerun with -Dweft.test.seed=" + seed + ")", t);
        }
    }

    @FunctionalInterface
    private interface SeededBody {
        void run(Runtime rt, long seed) throws Exception;
    }

    /** Joins a task that may have been aborted; returns false if it was. */
    private static boolean joinMaybeCancelled(JoinHandle<?> h) {
        try {
            h.join(Duration.ofSeconds(10));
            return true;
        } catch (JoinException e) {
            if (e.isCancelled()) {
                return false;
            }
            throw e;
        }
    }

    /** Spawns {@code n} victims running {@code body} and aborts each after a random spin. */
    private static void abortVictims(Runtime rt, SplittableRandom rnd, int n, Callable<?> body) {
        List<JoinHandle<?>> victims = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            victims.add(rt.spawn(body));
        }
        for (var v : victims) {
            SyncTests.spin(rnd.nextInt(50));
            v.abort();
        }
        for (var v : victims) {
            joinMaybeCancelled(v);
        }
    }

    private static void maybeYield(SplittableRandom rnd) {
        if (rnd.nextInt(8) == 0) {
            Thread.yield();
        }
    }

    @Test
    void mutex() throws Exception {
        seeded("Mutex", (rt, seed) -> {
            var m = new Mutex<>(0L);
            var inside = new AtomicInteger();
            var done = new AtomicLong();
            List<JoinHandle<Void>> workers = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                var rnd = new SplittableRandom(seed + t);
                workers.add(rt.spawn(() -> {
                    for (int i = 0; i < 8000; i++) {
                        Mutex.Guard<Long> g;
                        switch (rnd.nextInt(3)) {
                            case 0 -> g = m.lock();
                            case 1 -> {
                                try {
                                    g = m.lock(Duration.ofNanos(rnd.nextInt(200_000)));
                                } catch (ElapsedException e) {
                                    continue;
                                }
                            }
                            default -> {
                                g = m.tryLock();
                                if (g == null) {
                                    continue;
                                }
                            }
                        }
                        try (g) {
                            assertThat(inside.incrementAndGet()).isEqualTo(1);
                            long v = g.value();
                            maybeYield(rnd);
                            g.value(v + 1);
                            inside.decrementAndGet();
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            var chaos = new SplittableRandom(seed ^ 0x5eed);
            for (int r = 0; r < 200; r++) {
                abortVictims(rt, chaos, 4, () -> {
                    try (var g = m.lock()) {
                        g.value(g.value() + 1);
                    }
                    done.incrementAndGet();
                    return null;
                });
            }
            for (var w : workers) {
                w.join(Duration.ofSeconds(20));
            }
            var g = m.tryLock();
            assertThat(g).as("the mutex is free at the end").isNotNull();
            assertThat(g.value()).isEqualTo(done.get());
            g.close();
        });
    }

    @Test
    void rwLock() throws Exception {
        seeded("RwLock", (rt, seed) -> {
            final int max = 16;
            var lock = new RwLock<>(new long[] {0, 0}, max);
            var readers = new AtomicInteger();
            var writers = new AtomicInteger();
            var writes = new AtomicLong();
            List<JoinHandle<Void>> tasks = new ArrayList<>();
            for (int t = 0; t < 12; t++) {
                var rnd = new SplittableRandom(seed + t);
                boolean writer = t % 3 == 0;
                tasks.add(rt.spawn(() -> {
                    for (int i = 0; i < 4000; i++) {
                        if (writer) {
                            try (var w = lock.write()) {
                                assertThat(writers.incrementAndGet()).isEqualTo(1);
                                assertThat(readers.get()).isZero();
                                long[] cur = w.value();
                                maybeYield(rnd);
                                w.value(new long[] {cur[0] + 1, cur[1] + 1});
                                writers.decrementAndGet();
                            }
                            writes.incrementAndGet();
                        } else {
                            RwLock.ReadGuard<long[]> r;
                            if (rnd.nextBoolean()) {
                                r = lock.read();
                            } else {
                                try {
                                    r = lock.read(Duration.ofNanos(rnd.nextInt(100_000)));
                                } catch (ElapsedException e) {
                                    continue;
                                }
                            }
                            try (r) {
                                readers.incrementAndGet();
                                assertThat(writers.get()).isZero();
                                long[] v = r.value();
                                assertThat(v[0]).isEqualTo(v[1]);
                                maybeYield(rnd);
                                readers.decrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            var chaos = new SplittableRandom(seed ^ 0x5eed);
            for (int r = 0; r < 150; r++) {
                boolean write = chaos.nextBoolean();
                abortVictims(rt, chaos, 4, () -> {
                    if (write) {
                        lock.write().close();
                    } else {
                        lock.read().close();
                    }
                    return null;
                });
            }
            for (var t : tasks) {
                t.join(Duration.ofSeconds(20));
            }
            assertThat(lock.availablePermits()).as("every permit is back").isEqualTo(max);
            try (var r = lock.tryRead()) {
                assertThat(r.value()[0]).isEqualTo(writes.get());
            }
        });
    }

    @Test
    void barrier() throws Exception {
        seeded("Barrier", (rt, seed) -> {
            final int n = 6;
            final int gens = 4000;
            var b = new Barrier(n);
            var leaders = new AtomicInteger[gens];
            var arrivals = new AtomicInteger[gens];
            for (int g = 0; g < gens; g++) {
                leaders[g] = new AtomicInteger();
                arrivals[g] = new AtomicInteger();
            }
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                var rnd = new SplittableRandom(seed + t);
                hs.add(rt.spawn(() -> {
                    for (int g = 0; g < gens; g++) {
                        maybeYield(rnd);
                        arrivals[g].incrementAndGet();
                        if (b.await().isLeader()) {
                            leaders[g].incrementAndGet();
                        }
                        assertThat(arrivals[g].get()).as("generation %d released early", g).isEqualTo(n);
                    }
                    return null;
                }));
            }
            for (var h : hs) {
                h.join(Duration.ofSeconds(20));
            }
            for (int g = 0; g < gens; g++) {
                assertThat(leaders[g]).as("leaders of generation %d", g).hasValue(1);
            }
            assertThat(b.generation()).isEqualTo(gens);
            assertThat(b.arrived()).isZero();
        });
    }

    @Test
    void onceCell() throws Exception {
        seeded("OnceCell", (rt, seed) -> {
            var rnd = new SplittableRandom(seed);
            for (int round = 0; round < 1000; round++) {
                var cell = new OnceCell<String>();
                var successes = new AtomicInteger();
                long roundSeed = rnd.nextLong();
                List<JoinHandle<String>> hs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    var r = new SplittableRandom(roundSeed + t);
                    int id = t;
                    hs.add(rt.spawn(() -> {
                        for (;;) {
                            switch (r.nextInt(6)) {
                                case 0 -> {
                                    if (cell.set("set by " + id)) {
                                        successes.incrementAndGet();
                                    }
                                    return cell.get().orElseThrow();
                                }
                                case 1 -> {
                                    try {
                                        return cell.await(Duration.ofNanos(r.nextInt(200_000)));
                                    } catch (ElapsedException e) {
                                        continue;
                                    }
                                }
                                default -> {
                                    try {
                                        return cell.getOrInit(() -> {
                                            maybeYield(r);
                                            if (r.nextInt(3) == 0) {
                                                throw new IllegalStateException("flaky init");
                                            }
                                            successes.incrementAndGet();
                                            return "init by " + id;
                                        });
                                    } catch (IllegalStateException e) {
                                        assertThat(e).hasMessage("flaky init");
                                    }
                                }
                            }
                        }
                    }));
                }
                var victim = rt.spawn(() -> cell.getOrInit(() -> {
                    successes.incrementAndGet();
                    return "victim";
                }));
                SyncTests.spin(rnd.nextInt(30));
                victim.abort();
                String value = null;
                for (var h : hs) {
                    String v = h.join(Duration.ofSeconds(10));
                    if (value == null) {
                        value = v;
                    }
                    assertThat(v).as("round %d: everyone sees one value", round).isEqualTo(value);
                }
                joinMaybeCancelled(victim);
                assertThat(cell.get()).contains(value);
                assertThat(successes).as("round %d: exactly one initialisation or set succeeded", round).hasValue(1);
                assertThat(cell.waiterCount()).isZero();
            }
        });
    }

    @Test
    void cancellationToken() throws Exception {
        seeded("CancellationToken", (rt, seed) -> {
            var rnd = new SplittableRandom(seed);
            for (int round = 0; round < 150; round++) {
                int n = 120;
                var nodes = new ArrayList<CancellationToken>();
                var parent = new int[n];
                nodes.add(new CancellationToken());
                parent[0] = -1;
                for (int i = 1; i < n; i++) {
                    parent[i] = rnd.nextInt(i);
                    nodes.add(nodes.get(parent[i]).child());
                }
                // Waiters on random nodes, parked before anything is cancelled.
                List<JoinHandle<Integer>> waiters = new ArrayList<>();
                int[] waitOn = new int[40];
                for (int w = 0; w < waitOn.length; w++) {
                    int node = rnd.nextInt(n);
                    waitOn[w] = node;
                    waiters.add(rt.spawn(() -> {
                        nodes.get(node).cancelled();
                        return node;
                    }));
                }
                // Cancel a random subset (never the root) from several tasks at once, while more
                // children are being created.
                boolean[] chosen = new boolean[n];
                List<Integer> toCancel = new ArrayList<>();
                for (int i = 1; i < n; i++) {
                    if (rnd.nextInt(5) == 0) {
                        chosen[i] = true;
                        toCancel.add(i);
                    }
                }
                List<JoinHandle<?>> cancellers = new ArrayList<>();
                for (int c = 0; c < 3; c++) {
                    int from = c;
                    cancellers.add(rt.spawn(() -> {
                        for (int k = from; k < toCancel.size(); k += 3) {
                            nodes.get(toCancel.get(k)).cancel();
                        }
                        return null;
                    }));
                }
                var creator = rt.spawn(() -> {
                    for (int k = 0; k < 200; k++) {
                        nodes.get(k % n).child();
                    }
                    return null;
                });
                for (var c : cancellers) {
                    c.join(Duration.ofSeconds(10));
                }
                creator.join(Duration.ofSeconds(10));
                for (int i = 0; i < n; i++) {
                    boolean expected = false;
                    for (int a = i; a >= 0; a = parent[a]) {
                        expected |= chosen[a];
                    }
                    assertThat(nodes.get(i).isCancelled()).as("round %d node %d", round, i).isEqualTo(expected);
                }
                for (int w = 0; w < waiters.size(); w++) {
                    if (nodes.get(waitOn[w]).isCancelled()) {
                        assertThat(waiters.get(w).join(Duration.ofSeconds(10))).isEqualTo(waitOn[w]);
                    }
                }
                nodes.get(0).cancel();
                for (var w : waiters) {
                    w.join(Duration.ofSeconds(10));
                }
                assertThat(nodes).allMatch(CancellationToken::isCancelled);
            }
        });
    }

    @Test
    void broadcast() throws Exception {
        seeded("Broadcast", (rt, seed) -> {
            final int perSender = 30_000;
            var ch = Broadcast.<long[]>channel(16);
            var tx1 = ch.sender();
            var tx2 = tx1.cloneSender();
            List<Broadcast.Receiver<long[]>> rxs = new ArrayList<>(List.of(ch.receiver()));
            for (int i = 0; i < 3; i++) {
                rxs.add(tx1.subscribe());
            }
            List<JoinHandle<long[]>> readers = new ArrayList<>();
            for (int i = 0; i < rxs.size(); i++) {
                var rx = rxs.get(i);
                var rnd = new SplittableRandom(seed + i);
                int slowness = i; // receiver 0 keeps up, the others lag more and more
                readers.add(rt.spawn(() -> {
                    long received = 0;
                    long skipped = 0;
                    long[] lastSeq = {-1, -1};
                    for (;;) {
                        long[] v;
                        try {
                            v = rnd.nextInt(4) == 0 ? rx.recv(Duration.ofSeconds(5)) : rx.recv();
                        } catch (LaggedException e) {
                            assertThat(e.skipped()).isPositive();
                            skipped += e.skipped();
                            continue;
                        }
                        if (v == null) {
                            return new long[] {received, skipped};
                        }
                        int s = (int) v[0];
                        assertThat(v[1]).as("sender %d's values arrive in order", s).isGreaterThan(lastSeq[s]);
                        lastSeq[s] = v[1];
                        received++;
                        if (slowness > 0 && rnd.nextInt(4 - Math.min(slowness, 3)) == 0) {
                            Thread.yield();
                        }
                    }
                }));
            }
            var s1 = rt.spawn(() -> {
                try (tx1) {
                    for (int i = 0; i < perSender; i++) {
                        tx1.send(new long[] {0, i});
                    }
                }
                return null;
            });
            var s2 = rt.spawn(() -> {
                try (tx2) {
                    for (int i = 0; i < perSender; i++) {
                        tx2.send(new long[] {1, i});
                        if ((i & 63) == 0) {
                            Thread.yield();
                        }
                    }
                }
                return null;
            });
            s1.join(Duration.ofSeconds(20));
            s2.join(Duration.ofSeconds(20));
            for (int i = 0; i < readers.size(); i++) {
                long[] r = readers.get(i).join(Duration.ofSeconds(20));
                assertThat(r[0] + r[1]).as("receiver %d: received %d + skipped %d = every value sent", i, r[0], r[1])
                    .isEqualTo(2L * perSender);
            }
        });
    }

    @Test
    void watch() throws Exception {
        seeded("Watch", (rt, seed) -> {
            final int last = 200_000;
            var ch = Watch.channel(0);
            List<JoinHandle<long[]>> rxs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                var rx = i == 0 ? ch.receiver() : ch.sender().subscribe();
                var rnd = new SplittableRandom(seed + i);
                rxs.add(rt.spawn(() -> {
                    int prev = rx.borrowAndUpdate();
                    long changes = 0;
                    try {
                        for (;;) {
                            if (rnd.nextInt(3) == 0) {
                                if (!rx.changed(Duration.ofSeconds(5))) {
                                    continue;
                                }
                            } else {
                                rx.changed();
                            }
                            int v = rx.borrowAndUpdate();
                            assertThat(v).as("values only move forward").isGreaterThanOrEqualTo(prev);
                            prev = v;
                            changes++;
                        }
                    } catch (ClosedException e) {
                        return new long[] {prev, changes};
                    }
                }));
            }
            var victims = new SplittableRandom(seed ^ 0x5eed);
            var tx = ch.sender();
            var sender = rt.spawn(() -> {
                for (int i = 1; i <= last; i++) {
                    if ((i & 1) == 0) {
                        tx.send(i);
                    } else {
                        tx.sendModify(v -> v + 1);
                    }
                    if ((i & 255) == 0) {
                        Thread.yield();
                    }
                }
                tx.close();
                return null;
            });
            for (int r = 0; r < 100; r++) {
                abortVictims(rt, victims, 4, () -> {
                    try (var rx = ch.sender().subscribe()) {
                        rx.changed();
                    } catch (ClosedException e) {
                        // the sender finished first
                    }
                    return null;
                });
            }
            sender.join(Duration.ofSeconds(20));
            for (var h : rxs) {
                long[] r = h.join(Duration.ofSeconds(10));
                assertThat(r[0]).as("every receiver ends on the last value").isEqualTo(last);
                assertThat(r[1]).isBetween(1L, (long) last);
            }
        });
    }
}
