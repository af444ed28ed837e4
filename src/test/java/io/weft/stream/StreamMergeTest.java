package io.weft.stream;

import static io.weft.stream.StreamTests.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Handle;
import io.weft.stream.StreamTests.Counting;
import io.weft.sync.Mpsc;
import io.weft.sync.SendException;
import io.weft.task.CancelledException;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.Time;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * merge and produce [tokio-stream: tests/stream_merge.rs, stream_stream_map.rs; async-stream's tests]:
 * every element once, per-source order, the end after every source, errors in place, fairness,
 * read-ahead bounds, and close from either side ending the pump tasks.
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class StreamMergeTest {

    @Test
    void mergeYieldsEveryElementOnceInPerSourceOrderAndEndsAfterAll() {
        on(() -> {
            List<Integer> out = Stream.of(1, 3, 5, 7).merge(Stream.of(2, 4)).toList();
            assertThat(out).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 7);
            assertThat(out.stream().filter(i -> i % 2 == 1).toList()).containsExactly(1, 3, 5, 7);
            assertThat(out.stream().filter(i -> i % 2 == 0).toList()).containsExactly(2, 4);
            assertThat(Stream.merge(List.<Stream<Integer>>of()).next()).isNull();
            assertThat(Stream.merge(List.of(Stream.of(1), Stream.<Integer>empty(), Stream.of(2))).toList())
                .containsExactlyInAnyOrder(1, 2);
            return null;
        });
    }

    /** {@return the longest run of equal consecutive elements} */
    private static int longestRun(List<String> out) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < out.size(); i++) {
            run = i > 0 && out.get(i).equals(out.get(i - 1)) ? run + 1 : 1;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    private static Stream<String> always(String v) {
        return Stream.fromPull(() -> v, () -> { });
    }

    @Test
    void mergeServesReadySourcesRoundRobin() {
        // One carrier: readiness is deterministic, so the policy shows exactly: strict turns.
        try (var rt = WeftTesting.runtime(io.weft.runtime.RuntimeFlavor.CURRENT_THREAD)) {
            List<String> out = rt.blockOn(() -> Stream.merge(List.of(always("a"), always("b"), always("c")))
                .take(3_000).toList());
            if (WeftTesting.weftScheduler()) {
                assertThat(String.join("", out.subList(0, 30))).isEqualTo("abc".repeat(10));
                assertThat(longestRun(out)).isEqualTo(1);
            }
            // On the JDK fallback a "current-thread" runtime still runs pumps on several carriers, so
            // readiness depends on OS scheduling there: check only that no source is starved.
            long least = WeftTesting.weftScheduler() ? 999 : 0;
            for (String v : List.of("a", "b", "c")) {
                assertThat(out.stream().filter(v::equals).count()).as("share of " + v).isGreaterThan(least);
            }
        }
    }

    @Test
    void mergeSharesBetweenAlwaysReadySourcesOnTwoCarriers() {
        // Two carriers on a shared machine: a pump the OS preempts is not ready, so only shares are checked.
        List<String> out = on(() -> always("a").merge(always("b")).take(4_000).toList());
        long a = out.stream().filter("a"::equals).count();
        System.out.println("merge on 2 carriers (weft=" + WeftTesting.weftScheduler() + "): a=" + a
            + "/4000, longest run " + longestRun(out));
        assertThat(a).as("a's share of 4000").isBetween(200L, 3_800L); // at least 5% each: nobody starves
    }

    @Test
    void aBusySourceDoesNotStarveASlowOne() {
        on(() -> {
            AtomicInteger fast = new AtomicInteger();
            Stream<String> slow = Stream.produce(1, tx -> {
                for (int i = 0; i < 5; i++) {
                    Time.sleep(Duration.ofMillis(2));
                    tx.send("slow");
                }
            });
            Stream<String> merged = Stream.fromPull(() -> {
                fast.incrementAndGet();
                return "fast";
            }, () -> { }).merge(slow);
            int slowSeen = 0;
            while (slowSeen < 5) {
                if (merged.next().equals("slow")) {
                    slowSeen++;
                }
            }
            merged.close();
            return null;
        });
    }

    @Test
    void mergeDeliversAnErrorInPlaceAndTheOtherSourcesGoOn() {
        on(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            var ch = Mpsc.<Integer>channel(4);
            Stream<Integer> failing = Stream.of(1, 2, 3).map(i -> {
                if (i == 2) {
                    throw boom;
                }
                return i;
            });
            try (var s = failing.merge(ch.receiver().stream())) {
                List<Object> seen = new ArrayList<>();
                ch.sender().send(100);
                ch.sender().close();
                for (int k = 0; k < 4; k++) {
                    try {
                        seen.add(s.next());
                    } catch (IllegalStateException e) {
                        assertThat(e).isSameAs(boom);
                        seen.add("boom");
                    }
                }
                assertThat(s.next()).isNull();
                assertThat(seen).containsExactlyInAnyOrder(1, "boom", 3, 100);
                assertThat(seen.indexOf("boom")).isBetween(seen.indexOf(1) + 1, seen.indexOf(3) - 1);
            }
            return null;
        });
    }

    @Test
    void aSourceThatEndsIsClosedWhileTheMergeGoesOn() {
        on(() -> {
            Counting shortOne = new Counting(2);
            var ch = Mpsc.<Integer>channel(1);
            try (var s = shortOne.merge(ch.receiver().stream())) {
                assertThat(s.next()).isEqualTo(0);
                assertThat(s.next()).isEqualTo(1);
                var pending = Task.spawn(s::next); // takes shortOne's end, then waits for the channel
                WeftTesting.eventually(Duration.ofSeconds(5), shortOne.closed::get, () -> "ended source not closed");
                ch.sender().send(7);
                assertThat(pending.join()).isEqualTo(7);
            }
            return null;
        });
    }

    @Test
    void anErrorEndsItsSourceButNotTheMerge() {
        on(() -> {
            AssertionError fatal = new AssertionError("fatal");
            Stream<Integer> dying = Stream.of(1, 2).map(i -> {
                if (i == 2) {
                    throw fatal;
                }
                return i;
            });
            try (var s = dying.merge(Stream.of(10, 20))) {
                List<Object> seen = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    try {
                        seen.add(s.next());
                    } catch (AssertionError e) {
                        assertThat(e).isSameAs(fatal);
                        seen.add("fatal");
                    }
                }
                assertThat(s.next()).isNull();
                assertThat(seen).containsExactlyInAnyOrder(1, "fatal", 10, 20);
            }
            return null;
        });
    }

    @Test
    void mergePumpsReadAtMostOneElementAheadPerSource() {
        on(() -> {
            Counting a = new Counting(1_000);
            Counting b = new Counting(1_000);
            try (var s = a.merge(b)) {
                for (int i = 0; i < 10; i++) {
                    s.next();
                }
                Thread.sleep(50); // real time: let the pumps run as far as they can
                assertThat(a.pulls.get() + b.pulls.get()).isLessThanOrEqualTo(10 + 2);
            }
            return null;
        });
    }

    @Test
    void closingAMergeClosesEverySourceAndEndsThePumps() {
        on(() -> {
            var c1 = Mpsc.<Integer>channel(2);
            var c2 = Mpsc.<Integer>channel(2);
            AtomicBoolean parkedSourceCancelled = new AtomicBoolean();
            CountDownLatch parked = new CountDownLatch(1);
            Stream<Integer> blocking = Stream.fromPull(() -> {
                parked.countDown();
                try {
                    Time.sleep(Duration.ofHours(1));
                } catch (CancelledException e) {
                    parkedSourceCancelled.set(true);
                    throw e;
                }
                return 0;
            }, () -> { });
            long before = Handle.current().metrics().aliveTasks();
            var s = Stream.merge(List.of(c1.receiver().stream(), c2.receiver().stream(), blocking));
            c1.sender().send(1);
            assertThat(s.next()).isEqualTo(1);
            parked.await();
            s.close();
            assertThatThrownBy(() -> c1.sender().send(2)).isInstanceOf(SendException.class);
            assertThatThrownBy(() -> c2.sender().send(2)).isInstanceOf(SendException.class);
            assertThat(s.next()).isNull();
            WeftTesting.eventually(Duration.ofSeconds(5), () -> Handle.current().metrics().aliveTasks() == before,
                () -> "pump tasks still alive: " + Handle.current().metrics().aliveTasks() + " vs " + before);
            assertThat(parkedSourceCancelled).as("the pump parked in a source was aborted").isTrue();
            return null;
        });
    }

    @Test
    void concurrentCombinatorsNeedARuntime() {
        assertThatThrownBy(() -> Stream.of(1).merge(Stream.of(2)))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("merge").hasMessageContaining("runtime");
        assertThatThrownBy(() -> Stream.of(1).timeout(Duration.ofSeconds(1)))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("timeout");
        assertThatThrownBy(() -> Stream.of(1).chunksTimeout(2, Duration.ofSeconds(1)))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("chunksTimeout");
        assertThatThrownBy(() -> Stream.produce(1, tx -> { }))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("produce");
        assertThatThrownBy(() -> Stream.of(1).toPublisher())
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("toPublisher");
    }

    // ---- produce ---------------------------------------------------------------------------------

    @Test
    void produceYieldsWhatTheBodySendsThenTheBodysException() {
        on(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            var s = Stream.<Integer>produce(2, tx -> {
                tx.send(1);
                tx.send(2);
                throw boom;
            });
            assertThat(s.next()).isEqualTo(1);
            assertThat(s.next()).isEqualTo(2);
            assertThatThrownBy(s::next).isSameAs(boom);
            assertThat(s.next()).isNull();
            assertThat(Stream.<String>produce(1, tx -> tx.send("x")).toList()).containsExactly("x");
            return null;
        });
    }

    @Test
    void produceIsBoundedByItsCapacityAndClosingEndsTheProducer() {
        on(() -> {
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean producerSawClose = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(1);
            var s = Stream.<Integer>produce(3, tx -> {
                try {
                    for (int i = 0; ; i++) {
                        tx.send(i);
                        sent.incrementAndGet();
                    }
                } catch (SendException | CancelledException e) {
                    producerSawClose.set(true);
                    throw e;
                } finally {
                    done.countDown();
                }
            });
            assertThat(s.next()).isEqualTo(0);
            Thread.sleep(50); // real time: the producer runs until the channel is full
            assertThat(sent.get()).as("at most capacity ahead").isLessThanOrEqualTo(1 + 3);
            s.close();
            done.await();
            assertThat(producerSawClose).isTrue();
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void aProducerThatForwardsAChannelEndsWithIt() {
        on(() -> {
            var ch = Mpsc.<Integer>channel(4);
            Task.spawn(() -> {
                try (var tx = ch.sender()) {
                    tx.send(1);
                    tx.send(2);
                }
            });
            var rx = ch.receiver();
            var s = Stream.<Integer>produce(1, tx -> {
                for (int v : rx) {
                    tx.send(v * 10);
                }
            });
            assertThat(s.toList()).containsExactly(10, 20);
            return null;
        });
    }
}
