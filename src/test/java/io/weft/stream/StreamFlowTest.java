package io.weft.stream;

import static io.weft.stream.StreamTests.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.stream.StreamTests.Counting;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@link Flow} bridge both ways: back-pressure ({@code request(n)} honoured), completion, errors,
 * cancellation from either side, and the Reactive Streams rules the guide names (1.3 serial signals,
 * 1.9, 2.13, 3.9), checked with {@link SubmissionPublisher} and hand-written subscribers.
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class StreamFlowTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void shutdown() {
        pool.shutdownNow();
    }

    /** Wraps a publisher and records every request(n) and onNext that passes. */
    static final class Recording<T> implements Flow.Publisher<T> {
        final Flow.Publisher<T> inner;
        final AtomicLong requested = new AtomicLong();
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong cancels = new AtomicLong();

        Recording(Flow.Publisher<T> inner) {
            this.inner = inner;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super T> s) {
            inner.subscribe(new Flow.Subscriber<T>() {
                @Override
                public void onSubscribe(Flow.Subscription sub) {
                    s.onSubscribe(new Flow.Subscription() {
                        @Override
                        public void request(long n) {
                            requested.addAndGet(n);
                            sub.request(n);
                        }

                        @Override
                        public void cancel() {
                            cancels.incrementAndGet();
                            sub.cancel();
                        }
                    });
                }

                @Override
                public void onNext(T item) {
                    delivered.incrementAndGet();
                    s.onNext(item);
                }

                @Override
                public void onError(Throwable t) {
                    s.onError(t);
                }

                @Override
                public void onComplete() {
                    s.onComplete();
                }
            });
        }
    }

    // ---- fromPublisher ---------------------------------------------------------------------------

    @Test
    void fromSubmissionPublisherNeverRequestsMoreThanItBuffers() {
        on(() -> {
            var pub = new SubmissionPublisher<Integer>(pool, 256);
            var rec = new Recording<>(pub);
            int buffer = 4;
            try (var s = Stream.fromPublisher(rec, buffer)) {
                pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        pub.submit(i);
                    }
                    pub.close();
                });
                List<Integer> got = new ArrayList<>();
                Integer v;
                while ((v = s.next()) != null) {
                    got.add(v);
                    assertThat(rec.requested.get() - got.size()).as("requested ahead of the consumer")
                        .isLessThanOrEqualTo(buffer);
                    if (got.size() % 50 == 0) {
                        Thread.sleep(5); // a slow consumer: the publisher must wait, not flood
                        assertThat(rec.delivered.get() - got.size()).isLessThanOrEqualTo(buffer);
                    }
                }
                assertThat(got).isEqualTo(IntStream.range(0, 200).boxed().toList());
            }
            return null;
        });
    }

    @Test
    void fromPublisherWorksOutsideARuntime() {
        var pub = new SubmissionPublisher<String>(pool, 8);
        var s = Stream.fromPublisher(pub, 2);
        pool.submit(() -> {
            pub.submit("a");
            pub.submit("b");
            pub.submit("c");
            pub.close();
        });
        assertThat(s.toList()).containsExactly("a", "b", "c");
    }

    @Test
    void fromPublisherSurfacesOnErrorAfterTheItemsThenEnds() {
        on(() -> {
            var pub = new SubmissionPublisher<Integer>(pool, 8);
            var s = Stream.fromPublisher(pub, 8);
            pub.submit(1);
            pub.submit(2);
            assertThat(s.next()).isEqualTo(1);
            assertThat(s.next()).isEqualTo(2);
            IOException io = new IOException("disk on fire"); // SubmissionPublisher's onError overtakes queued items
            pub.closeExceptionally(io);
            assertThatThrownBy(s::next).isInstanceOf(CompletionException.class).hasCause(io);
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void closingTheStreamCancelsTheSubscription() {
        on(() -> {
            var pub = new SubmissionPublisher<Integer>(pool, 8);
            var rec = new Recording<>(pub);
            var s = Stream.fromPublisher(rec, 2);
            pub.submit(1);
            assertThat(s.next()).isEqualTo(1);
            s.close();
            assertThat(rec.cancels.get()).isEqualTo(1);
            WeftTesting.eventually(Duration.ofSeconds(5), () -> pub.getNumberOfSubscribers() == 0, () -> "still subscribed");
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void aPublisherThatIgnoresDemandIsCancelledAndReported() {
        on(() -> {
            AtomicInteger cancels = new AtomicInteger();
            Flow.Publisher<Integer> rude = sub -> {
                sub.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {}

                    @Override
                    public void cancel() {
                        cancels.incrementAndGet();
                    }
                });
                for (int i = 0; i < 5; i++) {
                    sub.onNext(i);
                }
            };
            var s = Stream.fromPublisher(rude, 2);
            assertThat(s.next()).isEqualTo(0);
            assertThat(s.next()).isEqualTo(1);
            assertThatThrownBy(s::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("1.1");
            assertThat(cancels.get()).isEqualTo(1);
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void aSecondOnSubscribeIsCancelledAndNullsAreRefused() {
        AtomicInteger cancels = new AtomicInteger();
        Flow.Subscription counting = new Flow.Subscription() {
            @Override
            public void request(long n) {}

            @Override
            public void cancel() {
                cancels.incrementAndGet();
            }
        };
        AtomicReference<Flow.Subscriber<? super String>> captured = new AtomicReference<>();
        Stream<String> s = Stream.fromPublisher(sub -> {
            captured.set(sub);
            sub.onSubscribe(counting);
        }, 1);
        captured.get().onSubscribe(counting);
        assertThat(cancels.get()).as("rule 2.5").isEqualTo(1);
        assertThatThrownBy(() -> captured.get().onNext(null)).isInstanceOf(NullPointerException.class)
            .hasMessageContaining("2.13");
        s.close();
    }

    // ---- toPublisher -----------------------------------------------------------------------------

    /** A hand-written subscriber that requests on command and checks signals are serial (rule 1.3). */
    static final class Probe<T> implements Flow.Subscriber<T> {
        final List<Object> signals = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger overlaps = new AtomicInteger();
        volatile Flow.Subscription subscription;

        private void enter() {
            if (inside.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
        }

        private void exit() {
            inside.decrementAndGet();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            enter();
            signals.add("subscribe");
            subscription = s;
            exit();
        }

        @Override
        public void onNext(T item) {
            enter();
            signals.add(item);
            exit();
        }

        @Override
        public void onError(Throwable t) {
            enter();
            signals.add(t);
            exit();
        }

        @Override
        public void onComplete() {
            enter();
            signals.add("complete");
            exit();
        }

        void awaitSignals(int n) {
            WeftTesting.eventually(Duration.ofSeconds(5), () -> signals.size() >= n, () -> "signals: " + signals);
        }
    }

    @Test
    void toPublisherEmitsOnlyWhatWasRequestedAndPullsNothingAhead() {
        on(() -> {
            Counting src = new Counting(10);
            var probe = new Probe<Integer>();
            src.toPublisher().subscribe(probe);
            assertThat(probe.signals).containsExactly("subscribe");
            probe.subscription.request(2);
            probe.awaitSignals(3);
            Thread.sleep(20);
            assertThat(probe.signals).containsExactly("subscribe", 0, 1);
            assertThat(src.pulls.get()).as("nothing pulled ahead of demand").isEqualTo(2);
            probe.subscription.request(Long.MAX_VALUE);
            probe.awaitSignals(12);
            assertThat(probe.signals).containsExactly("subscribe", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "complete");
            assertThat(probe.overlaps.get()).as("rule 1.3: serial signals").isZero();
            assertThat(src.closed).isTrue();
            return null;
        });
    }

    @Test
    void cancelClosesTheStreamAndStopsTheSignals() {
        on(() -> {
            Counting src = new Counting(Integer.MAX_VALUE);
            var probe = new Probe<Integer>();
            src.toPublisher().subscribe(probe);
            probe.subscription.request(3);
            probe.awaitSignals(4);
            probe.subscription.cancel();
            assertThat(src.closed).isTrue();
            probe.subscription.request(5); // rule 3.6: a no-op after cancel
            Thread.sleep(20);
            assertThat(probe.signals).containsExactly("subscribe", 0, 1, 2);
            return null;
        });
    }

    @Test
    void cancelAbortsAnEmitterParkedInTheStream() {
        on(() -> {
            var ch = io.weft.sync.Mpsc.<Integer>channel(1);
            var probe = new Probe<Integer>();
            ch.receiver().stream().toPublisher().subscribe(probe);
            probe.subscription.request(1);
            Thread.sleep(20); // the emitter parks in recv
            probe.subscription.cancel();
            assertThatThrownBy(() -> ch.sender().send(1)).isInstanceOf(io.weft.sync.SendException.class);
            assertThat(probe.signals).containsExactly("subscribe");
            return null;
        });
    }

    @Test
    void aNonPositiveRequestFailsTheSubscriptionRule39() {
        on(() -> {
            Counting src = new Counting(10);
            var probe = new Probe<Integer>();
            src.toPublisher().subscribe(probe);
            probe.subscription.request(0);
            probe.awaitSignals(2);
            assertThat(probe.signals.get(1)).isInstanceOf(IllegalArgumentException.class);
            assertThat(((Throwable) probe.signals.get(1))).hasMessageContaining("3.9");
            assertThat(src.closed).isTrue();
            return null;
        });
    }

    @Test
    void aStreamErrorBecomesOnErrorAndASecondSubscriberIsRefused() {
        on(() -> {
            RuntimeException boom = new IllegalStateException("boom");
            var pub = Stream.of(1, 2).map(i -> {
                if (i == 2) {
                    throw boom;
                }
                return i;
            }).toPublisher();
            var probe = new Probe<Integer>();
            pub.subscribe(probe);
            probe.subscription.request(10);
            probe.awaitSignals(3);
            assertThat(probe.signals).containsExactly("subscribe", 1, boom);
            var second = new Probe<Integer>();
            pub.subscribe(second);
            assertThat(second.signals).hasSize(2);
            assertThat(second.signals.get(1)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> pub.subscribe(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }

    @Test
    void roundTripThroughTheBridgeKeepsOrderAndBackPressure() {
        on(() -> {
            Counting src = new Counting(1_000);
            var rec = new Recording<>(src.toPublisher());
            try (var s = Stream.fromPublisher(rec, 8)) {
                for (int i = 0; i < 100; i++) {
                    assertThat(s.next()).isEqualTo(i);
                }
                Thread.sleep(20);
                assertThat(src.pulls.get()).as("the source is pulled only against demand").isLessThanOrEqualTo(100 + 8);
            }
            WeftTesting.eventually(Duration.ofSeconds(5), src.closed::get, () -> "source not closed by the cancel");
            return null;
        });
    }
}
