package io.weft.stream;

import static io.weft.stream.StreamTests.msSince;
import static io.weft.stream.StreamTests.onPausedTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.stream.StreamTests.Counting;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.time.ElapsedException;
import io.weft.time.Time;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Time-based combinators on paused time [tokio-stream: tests/stream_timeout.rs, chunks_timeout.rs,
 * time_throttle.rs, stream_interval]: each element's instant on the runtime's clock, exactly.
 */
@Timeout(30)
class StreamTimeTest {

    private static Duration ms(long n) {
        return Duration.ofMillis(n);
    }

    /** A stream that sends {@code values[i]} at {@code atMs[i]} ms after it starts, then ends. */
    private static Stream<Integer> scripted(long[] atMs, int... values) {
        return Stream.produce(1, tx -> {
            Instant start = Time.now();
            for (int i = 0; i < values.length; i++) {
                Time.sleepUntil(start.plus(ms(atMs[i])));
                tx.send(values[i]);
            }
        });
    }

    @Test
    void throttleSpacesElementsByThePeriod() {
        List<Long> at = onPausedTime(() -> {
            Instant start = Time.now();
            List<Long> times = new ArrayList<>();
            Stream.of(1, 2, 3).throttle(ms(100)).forEach(i -> times.add(msSince(start)));
            return times;
        });
        assertThat(at).containsExactly(0L, 100L, 200L);
    }

    @Test
    void throttleAddsNoDelayWhenTheSourceIsSlowerThanThePeriod() {
        List<Long> at = onPausedTime(() -> {
            Instant start = Time.now();
            List<Long> times = new ArrayList<>();
            scripted(new long[] {0, 150, 400}, 1, 2, 3).throttle(ms(100)).forEach(i -> times.add(msSince(start)));
            return times;
        });
        assertThat(at).containsExactly(0L, 150L, 400L);
    }

    @Test
    void timeoutThrowsElapsedAndTheLateElementStillArrives() {
        onPausedTime(() -> {
            Instant start = Time.now();
            try (var s = scripted(new long[] {0, 250}, 1, 2).timeout(ms(100))) {
                assertThat(s.next()).isEqualTo(1);
                assertThatThrownBy(s::next).isInstanceOf(ElapsedException.class);
                assertThat(msSince(start)).isEqualTo(100);
                assertThatThrownBy(s::next).isInstanceOf(ElapsedException.class);
                assertThat(msSince(start)).isEqualTo(200);
                assertThat(s.next()).isEqualTo(2);
                assertThat(msSince(start)).isEqualTo(250);
                assertThat(s.next()).isNull();
            }
            return null;
        });
    }

    @Test
    void timeoutPassesErrorsThroughInPlace() {
        onPausedTime(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            try (var s = Stream.of(1, 2, 3).map(i -> {
                if (i == 2) {
                    throw boom;
                }
                return i;
            }).timeout(ms(100))) {
                assertThat(s.next()).isEqualTo(1);
                assertThatThrownBy(s::next).isSameAs(boom);
                assertThat(s.next()).isEqualTo(3);
                assertThat(s.next()).isNull();
            }
            return null;
        });
    }

    @Test
    void timeoutReadsAtMostOneElementAhead() {
        onPausedTime(() -> {
            Counting src = new Counting(1_000);
            try (var s = src.timeout(ms(100))) {
                assertThat(s.next()).isEqualTo(0);
                Time.sleep(ms(50)); // lets the pump run as far as it can
                assertThat(src.pulls.get()).isLessThanOrEqualTo(2);
            }
            assertThat(src.closed).isTrue();
            return null;
        });
    }

    @Test
    void chunksTimeoutEmitsFullChunksAtOnce() {
        List<String> got = onPausedTime(() -> {
            Instant start = Time.now();
            List<String> out = new ArrayList<>();
            scripted(new long[] {0, 0, 0, 50, 300, 300}, 1, 2, 3, 4, 5, 6).chunksTimeout(2, ms(100))
                .forEach(c -> out.add(c + "@" + msSince(start)));
            return out;
        });
        assertThat(got).containsExactly("[1, 2]@0", "[3, 4]@50", "[5, 6]@300");
    }

    @Test
    void chunksTimeoutEmitsAPartialChunkAtItsDeadlineAndAtTheEnd() {
        List<String> got = onPausedTime(() -> {
            Instant start = Time.now();
            List<String> out = new ArrayList<>();
            scripted(new long[] {0, 0, 0, 50, 250, 260}, 1, 2, 3, 4, 5, 6).chunksTimeout(10, ms(100))
                .forEach(c -> out.add(c + "@" + msSince(start)));
            return out;
        });
        assertThat(got).containsExactly("[1, 2, 3, 4]@100", "[5, 6]@260");
    }

    @Test
    void chunksTimeoutDeliversThePartialChunkBeforeAnError() {
        onPausedTime(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            try (var s = Stream.of(1, 2, 3).map(i -> {
                if (i == 3) {
                    throw boom;
                }
                return i;
            }).chunksTimeout(10, ms(100))) {
                assertThat(s.next()).containsExactly(1, 2);
                assertThatThrownBy(s::next).isSameAs(boom);
                assertThat(s.next()).isNull();
            }
            return null;
        });
    }

    @Test
    void chunksTimeoutKeepsItsPartialChunkWhenTheConsumerIsAborted() {
        onPausedTime(() -> {
            var s = scripted(new long[] {0, 500}, 1, 2).chunksTimeout(10, ms(1_000));
            JoinHandle<List<Integer>> consumer = Task.spawn(s::next);
            Time.sleep(ms(100)); // element 1 is in the consumer's partial chunk
            consumer.abort();
            assertThatThrownBy(consumer::join).isInstanceOf(JoinException.class);
            assertThat(s.next()).as("1 was kept").containsExactly(1, 2);
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void closingATimedStreamFailsTheProducerAndEndsThePump() {
        onPausedTime(() -> {
            for (int kind = 0; kind < 2; kind++) {
                var producerSaw = new java.util.concurrent.atomic.AtomicReference<Throwable>();
                Stream<Integer> src = Stream.produce(1, tx -> {
                    try {
                        for (int i = 0; ; i++) {
                            tx.send(i);
                            Time.sleep(ms(10));
                        }
                    } catch (RuntimeException e) {
                        producerSaw.set(e);
                        throw e;
                    }
                });
                Stream<?> s = kind == 0 ? src.timeout(ms(100)) : src.chunksTimeout(3, ms(100));
                assertThat(s.next()).isNotNull();
                s.close();
                assertThat(s.next()).isNull();
                StreamTests.yieldUntil(() -> producerSaw.get() != null);
                assertThat(producerSaw.get()).isInstanceOfAny(io.weft.sync.SendException.class,
                    io.weft.task.CancelledException.class);
            }
            return null;
        });
    }

    @Test
    void intervalStreamTicksOnThePausedClock() {
        List<Long> at = onPausedTime(() -> {
            Instant start = Time.now();
            return Time.interval(ms(100)).stream().take(4).map(t -> Duration.between(start, t).toMillis()).toList();
        });
        assertThat(at).containsExactly(0L, 100L, 200L, 300L);
    }
}
