package io.weft.stream;

import static io.weft.stream.StreamTests.drain;
import static io.weft.stream.StreamTests.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.stream.StreamTests.Counting;
import io.weft.testing.WeftTesting;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sequential sources and combinators [tokio-stream: tests/stream_iter.rs, stream_chain.rs,
 * stream_collect.rs and the adapters' unit tests]: values, order, the end, errors in place, close
 * from either side, and null refusal.
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class StreamCombinatorTest {

    // ---- sources ---------------------------------------------------------------------------------

    @Test
    void ofYieldsValuesThenEndsAndStaysEnded() {
        on(() -> {
            Stream<Integer> s = Stream.of(1, 2, 3);
            assertThat(s.next()).isEqualTo(1);
            assertThat(s.next()).isEqualTo(2);
            assertThat(s.next()).isEqualTo(3);
            assertThat(s.next()).isNull();
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void emptyAndFromIterable() {
        on(() -> {
            assertThat(Stream.empty().next()).isNull();
            assertThat(Stream.from(List.of("a", "b")).toList()).containsExactly("a", "b");
            return null;
        });
    }

    @Test
    void sourcesWorkOutsideARuntimeToo() {
        assertThat(Stream.of(1, 2, 3).map(i -> i * 2).filter(i -> i > 2).toList()).containsExactly(4, 6);
    }

    @Test
    void nullElementsAreRefusedNamingTheStage() {
        assertThatThrownBy(() -> Stream.of(1, null)).isInstanceOf(NullPointerException.class)
            .hasMessageContaining("Stream.of").hasMessageContaining("value 1");
        List<String> withNull = new ArrayList<>();
        withNull.add("a");
        withNull.add(null);
        Stream<String> s = Stream.from(withNull);
        assertThat(s.next()).isEqualTo("a");
        assertThatThrownBy(s::next).isInstanceOf(NullPointerException.class).hasMessageContaining("Stream.from");
        assertThatThrownBy(() -> Stream.of(1).map(i -> null).next())
            .isInstanceOf(NullPointerException.class).hasMessageContaining("map");
        assertThatThrownBy(() -> Stream.of(1).flatMap(i -> null).next())
            .isInstanceOf(NullPointerException.class).hasMessageContaining("flatMap");
        assertThatThrownBy(() -> Stream.of(1).zip(Stream.of(2), (a, b) -> null).next())
            .isInstanceOf(NullPointerException.class).hasMessageContaining("zip");
    }

    @Test
    void fromPullRunsOnCloseOnceAtTheEnd() {
        AtomicInteger closes = new AtomicInteger();
        Iterator<String> it = List.of("x", "y").iterator();
        Stream<String> s = Stream.fromPull(() -> it.hasNext() ? it.next() : null, closes::incrementAndGet);
        assertThat(drain(s)).containsExactly("x", "y");
        s.close();
        assertThat(closes).hasValue(1);
    }

    @Test
    void iteratorParksPerElementAndEnds() {
        Iterator<Integer> it = Stream.of(1, 2).iterator();
        assertThat(it.hasNext()).isTrue();
        assertThat(it.hasNext()).isTrue();
        assertThat(it.next()).isEqualTo(1);
        assertThat(it.next()).isEqualTo(2);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        List<Integer> seen = new ArrayList<>();
        for (int i : Stream.of(7, 8)) {
            seen.add(i);
        }
        assertThat(seen).containsExactly(7, 8);
    }

    // ---- element by element ----------------------------------------------------------------------

    @Test
    void mapAndFilter() {
        on(() -> {
            assertThat(Stream.of(1, 2, 3, 4, 5, 6).filter(i -> i % 2 == 0).map(i -> "n" + i).toList())
                .containsExactly("n2", "n4", "n6");
            return null;
        });
    }

    @Test
    void anExceptionInAStageReachesTheConsumerInPlaceAndTheStreamGoesOn() {
        on(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            Stream<Integer> s = Stream.of(1, 2, 3).map(i -> {
                if (i == 2) {
                    throw boom;
                }
                return i * 10;
            });
            assertThat(s.next()).isEqualTo(10);
            assertThatThrownBy(s::next).isSameAs(boom);
            assertThat(s.next()).isEqualTo(30);
            assertThat(s.next()).isNull();
            return null;
        });
    }

    /** Every sequential stage passes an upstream exception through in place and goes on. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {
        "map", "filter", "take", "skip", "takeWhile", "throttle", "flatMap", "zip-left", "zip-right"})
    void everySequentialStagePassesAnUpstreamErrorThroughInPlace(String stage) {
        on(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            java.util.function.Supplier<Stream<Integer>> src = () -> Stream.of(1, 2, 3, 4).map(i -> {
                if (i == 3) {
                    throw boom;
                }
                return i;
            });
            Stream<?> s = switch (stage) {
                case "map" -> src.get().map(i -> i);
                case "filter" -> src.get().filter(i -> true);
                case "take" -> src.get().take(3); // the error does not count as an element
                case "skip" -> src.get().skip(0);
                case "takeWhile" -> src.get().takeWhile(i -> true);
                case "throttle" -> src.get().throttle(java.time.Duration.ZERO);
                case "flatMap" -> src.get().flatMap(Stream::of);
                case "zip-left" -> src.get().zip(Stream.of(1, 2, 3, 4), (a, b) -> a);
                default -> Stream.of(1, 2, 3, 4).zip(src.get(), (a, b) -> b);
            };
            List<Object> seen = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                try {
                    seen.add(s.next());
                } catch (IllegalStateException e) {
                    assertThat(e).isSameAs(boom);
                    seen.add("boom");
                }
            }
            assertThat(seen).containsExactly(1, 2, "boom", 4);
            if (!stage.startsWith("zip")) {
                assertThat(s.next()).isNull();
            }
            s.close();
            return null;
        });
    }

    @Test
    void takeStopsAndClosesTheSourceAfterTheLastElement() {
        Counting src = new Counting(Integer.MAX_VALUE);
        Stream<Integer> s = src.take(3);
        assertThat(s.next()).isEqualTo(0);
        assertThat(s.next()).isEqualTo(1);
        assertThat(src.closed).isFalse();
        assertThat(s.next()).isEqualTo(2);
        assertThat(src.closed).as("closed as soon as the last element is taken").isTrue();
        assertThat(s.next()).isNull();
        assertThat(src.pulls).hasValue(3);
        assertThat(Stream.of(1).take(0).toList()).isEmpty();
        assertThat(Stream.of(1, 2).take(5).toList()).containsExactly(1, 2);
        assertThatThrownBy(() -> Stream.of(1).take(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void skip() {
        assertThat(Stream.of(1, 2, 3, 4).skip(2).toList()).containsExactly(3, 4);
        assertThat(Stream.of(1, 2).skip(5).toList()).isEmpty();
        assertThat(Stream.of(1, 2).skip(0).toList()).containsExactly(1, 2);
    }

    @Test
    void takeWhileDropsTheFirstFailureAndClosesTheSource() {
        Counting src = new Counting(100);
        assertThat(src.takeWhile(i -> i < 3).toList()).containsExactly(0, 1, 2);
        assertThat(src.pulls).hasValue(4);
        assertThat(src.closed).isTrue();
    }

    @Test
    void chunksIncludeAShortLastChunk() {
        assertThat(Stream.of(1, 2, 3, 4, 5).chunks(2).toList())
            .containsExactly(List.of(1, 2), List.of(3, 4), List.of(5));
        assertThat(Stream.of(1, 2).chunks(2).toList()).containsExactly(List.of(1, 2));
        assertThat(Stream.<Integer>empty().chunks(3).toList()).isEmpty();
        assertThatThrownBy(() -> Stream.of(1).chunks(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void chunksDeliverThePartialChunkBeforeAnError() {
        RuntimeException boom = new IllegalStateException("boom");
        Stream<List<Integer>> s = Stream.of(1, 2, 3, 4, 5).map(i -> {
            if (i == 4) {
                throw boom;
            }
            return i;
        }).chunks(3);
        assertThat(s.next()).containsExactly(1, 2, 3);
        assertThatThrownBy(s::next).isSameAs(boom);
        assertThat(s.next()).containsExactly(5);
        s.close();
        Stream<List<Integer>> t = Stream.of(1, 2, 3).map(i -> {
            if (i == 2) {
                throw boom;
            }
            return i;
        }).chunks(3);
        assertThat(t.next()).as("the elements before the error first").containsExactly(1);
        assertThatThrownBy(t::next).isSameAs(boom);
        assertThat(t.next()).containsExactly(3);
        assertThat(t.next()).isNull();
    }

    @Test
    void zipPairsInStepAndEndsWithTheShorterClosingBoth() {
        Counting left = new Counting(100);
        Counting right = new Counting(2);
        assertThat(left.zip(right).toList()).containsExactly(new Stream.Pair<>(0, 0), new Stream.Pair<>(1, 1));
        assertThat(left.closed).isTrue();
        assertThat(right.closed).isTrue();
        assertThat(Stream.of("a", "b", "c").zip(Stream.of(1, 2, 3), (a, b) -> a + b).toList())
            .containsExactly("a1", "b2", "c3");
    }

    @Test
    void zipKeepsTheLeftElementWhenTheRightThrows() {
        RuntimeException boom = new IllegalStateException("boom");
        AtomicBoolean thrown = new AtomicBoolean();
        // map throws once for 20, but the source moved on: the pair (2, ?) waits for the next right element
        Stream<String> z = Stream.of(1, 2, 3).zip(Stream.of(10, 20, 30).map(i -> {
            if (i == 20 && thrown.compareAndSet(false, true)) {
                throw boom;
            }
            return i;
        }), (a, b) -> a + ":" + b);
        assertThat(z.next()).isEqualTo("1:10");
        assertThatThrownBy(z::next).isSameAs(boom);
        assertThat(z.next()).as("left element 2 was kept").isEqualTo("2:30");
        assertThat(z.next()).isNull();
    }

    @Test
    void flatMapConcatenatesAndClosesEachInner() {
        List<Counting> inners = new ArrayList<>();
        List<Integer> out = Stream.of(1, 2, 3).flatMap(n -> {
            Counting c = new Counting(n);
            inners.add(c);
            return c;
        }).toList();
        assertThat(out).containsExactly(0, 0, 1, 0, 1, 2);
        assertThat(inners).allSatisfy(c -> assertThat(c.closed).isTrue());
    }

    @Test
    void closingAFlatMapClosesTheCurrentInnerAndTheOuter() {
        Counting outer = new Counting(100);
        Counting[] inner = new Counting[1];
        Stream<Integer> s = outer.flatMap(n -> inner[0] = new Counting(100));
        assertThat(s.next()).isEqualTo(0);
        s.close();
        assertThat(inner[0].closed).isTrue();
        assertThat(outer.closed).isTrue();
        assertThat(s.next()).isNull();
    }

    // ---- terminal operations and closing ---------------------------------------------------------

    @Test
    void forEachCollectAndToListConsumeAndClose() {
        Counting src = new Counting(4);
        List<Integer> seen = new ArrayList<>();
        src.forEach(seen::add);
        assertThat(seen).containsExactly(0, 1, 2, 3);
        assertThat(src.closed).isTrue();
        assertThat(Stream.of("a", "bb", "cc").collect(Collectors.groupingBy(String::length, Collectors.counting())))
            .containsEntry(1, 1L).containsEntry(2, 2L);
        List<Integer> list = Stream.of(1, 2).toList();
        assertThatThrownBy(() -> list.add(3)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aTerminalOperationClosesTheStreamWhenTheActionThrows() {
        Counting src = new Counting(10);
        assertThatThrownBy(() -> src.map(i -> i).forEach(i -> {
            if (i == 2) {
                throw new IllegalArgumentException("stop");
            }
        })).hasMessage("stop");
        assertThat(src.closed).isTrue();
    }

    @Test
    void closingTheOutermostStreamClosesTheWholeChainAndEndsIt() {
        Counting src = new Counting(100);
        Stream<Integer> s = src.map(i -> i + 1).filter(i -> true).skip(1).takeWhile(i -> true);
        assertThat(s.next()).isEqualTo(2);
        s.close();
        s.close(); // idempotent
        assertThat(src.closed).isTrue();
        assertThat(s.next()).isNull();
    }
}
