package io.weft.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.sync.Mpsc;
import io.weft.sync.SendException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * merge and zip over random sources (channels fed by producer tasks that park at random, pure values,
 * errors at random positions) with a random early close: every element arrives exactly once, in
 * per-source order, each error in its place, and a close fails every producer. Seeded; the seed is
 * printed and named in any failure (rerun with {@code -Dweft.test.seed=N}).
 */
@Tag("stress")
@Timeout(60)
class StreamStressTest {

    private static long seed() {
        Long fixed = Long.getLong("weft.test.seed");
        return fixed != null ? fixed : System.nanoTime();
    }

    private static void seeded(String what, long seed, Runnable body) {
        System.out.println(what + ": seed " + seed);
        try {
            body.run();
        } catch (Throwable t) {
            throw new AssertionError(what + " failed with seed " + seed + " (rerun with -Dweft.test.seed=" + seed + ")", t);
        }
    }

    /** Element {@code source * 1_000_000 + i}, or an error, from one source. */
    private record Item(int source, int index) {}

    /** A source of {@code n} items; some come from a producer task that yields at random. */
    private static Stream<Item> source(SplittableRandom rnd, int id, int n, int errorEvery) {
        boolean viaChannel = rnd.nextBoolean();
        long producerSeed = rnd.nextLong();
        Stream<Item> s;
        if (viaChannel) {
            var ch = Mpsc.<Item>channel(1 + rnd.nextInt(4));
            Task.spawn(() -> {
                SplittableRandom r = new SplittableRandom(producerSeed);
                try (var tx = ch.sender()) {
                    for (int i = 0; i < n; i++) {
                        if (r.nextInt(8) == 0) {
                            Task.yieldNow();
                        }
                        tx.send(new Item(id, i));
                    }
                } catch (SendException e) {
                    // closed early
                }
            });
            s = ch.receiver().stream();
        } else {
            List<Item> items = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                items.add(new Item(id, i));
            }
            s = Stream.from(items);
        }
        if (errorEvery > 0) {
            s = s.map(it -> {
                if (it.index() % errorEvery == errorEvery - 1) {
                    throw new IllegalStateException("err " + it.source() + "/" + it.index());
                }
                return it;
            });
        }
        return s;
    }

    @Test
    void mergeOfRandomSourcesLosesNothingAndKeepsPerSourceOrder() {
        long seed = seed();
        seeded("merge stress", seed, () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Runtime rt = WeftTesting.runtime(RuntimeFlavor.MULTI_THREAD)) {
                for (int round = 0; round < 30; round++) {
                    int k = 1 + rnd.nextInt(5);
                    int[] sizes = new int[k];
                    int[] errorEvery = new int[k];
                    long roundSeed = rnd.nextLong();
                    for (int j = 0; j < k; j++) {
                        sizes[j] = rnd.nextInt(300);
                        errorEvery[j] = rnd.nextInt(3) == 0 ? 2 + rnd.nextInt(20) : 0;
                    }
                    int closeAfter = rnd.nextInt(4) == 0 ? rnd.nextInt(200) : Integer.MAX_VALUE;
                    rt.blockOn(() -> {
                        SplittableRandom r = new SplittableRandom(roundSeed);
                        List<Stream<? extends Item>> sources = new ArrayList<>();
                        for (int j = 0; j < k; j++) {
                            sources.add(source(r, j, sizes[j], errorEvery[j]));
                        }
                        Map<Integer, Integer> nextIndex = new HashMap<>();
                        int got = 0;
                        try (Stream<Item> merged = Stream.merge(sources)) {
                            while (got < closeAfter) {
                                Item it;
                                try {
                                    it = merged.next();
                                } catch (IllegalStateException e) {
                                    String[] p = e.getMessage().substring(4).split("/");
                                    int src = Integer.parseInt(p[0]);
                                    int idx = Integer.parseInt(p[1]);
                                    assertThat(idx).as("error in place, source " + src)
                                        .isEqualTo(nextIndex.getOrDefault(src, 0));
                                    nextIndex.put(src, idx + 1);
                                    got++;
                                    continue;
                                }
                                if (it == null) {
                                    break;
                                }
                                assertThat(it.index()).as("order of source " + it.source())
                                    .isEqualTo(nextIndex.getOrDefault(it.source(), 0));
                                nextIndex.put(it.source(), it.index() + 1);
                                got++;
                            }
                        }
                        if (closeAfter == Integer.MAX_VALUE) {
                            for (int j = 0; j < k; j++) {
                                assertThat(nextIndex.getOrDefault(j, 0)).as("all of source " + j).isEqualTo(sizes[j]);
                            }
                        }
                        return null;
                    });
                }
            }
        });
    }

    @Test
    void zipOfRandomSourcesPairsInStep() {
        long seed = seed();
        seeded("zip stress", seed, () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Runtime rt = WeftTesting.runtime(RuntimeFlavor.MULTI_THREAD)) {
                for (int round = 0; round < 50; round++) {
                    int n1 = rnd.nextInt(200);
                    int n2 = rnd.nextInt(200);
                    long roundSeed = rnd.nextLong();
                    rt.blockOn(() -> {
                        SplittableRandom r = new SplittableRandom(roundSeed);
                        List<Stream.Pair<Item, Item>> pairs = source(r, 0, n1, 0).zip(source(r, 1, n2, 0)).toList();
                        assertThat(pairs).hasSize(Math.min(n1, n2));
                        for (int i = 0; i < pairs.size(); i++) {
                            assertThat(pairs.get(i).first().index()).isEqualTo(i);
                            assertThat(pairs.get(i).second().index()).isEqualTo(i);
                        }
                        return null;
                    });
                }
            }
        });
    }

    @Test
    void mergeThenZipThenChunksUnderAbortOfTheConsumer() {
        long seed = seed();
        seeded("abort stress", seed, () -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            try (Runtime rt = WeftTesting.runtime(RuntimeFlavor.MULTI_THREAD)) {
                for (int round = 0; round < 30; round++) {
                    long roundSeed = rnd.nextLong();
                    int spinMicros = rnd.nextInt(300);
                    rt.blockOn(() -> {
                        SplittableRandom r = new SplittableRandom(roundSeed);
                        var s = source(r, 0, 500, 0).merge(source(r, 1, 500, 0)).chunks(7);
                        List<Item> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                        JoinHandle<Integer> consumer = Task.spawn(() -> {
                            int n = 0;
                            List<Item> c;
                            while ((c = s.next()) != null) {
                                seen.addAll(c); // no park point between next() and here: nothing slips
                                n++;
                            }
                            return n;
                        });
                        WeftTesting.spin(spinMicros);
                        consumer.abort();
                        try {
                            consumer.join();
                        } catch (io.weft.task.JoinException e) {
                            // aborted mid-way
                        }
                        // the stream survives the abort: the rest is still all there, in order
                        Map<Integer, Integer> next = new HashMap<>();
                        List<Item> rest = s.flatMap(Stream::from).toList();
                        List<Item> all = new ArrayList<>(seen);
                        all.addAll(rest);
                        assertThat(all).as("every element exactly once across the abort").hasSize(1_000)
                            .doesNotHaveDuplicates();
                        for (Item it : all) {
                            int want = next.getOrDefault(it.source(), -1);
                            assertThat(it.index()).isGreaterThan(want);
                            next.put(it.source(), it.index());
                        }
                        return null;
                    });
                }
            }
        });
    }
}
