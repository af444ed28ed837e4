package io.weft.bench.stream;

import io.weft.bench.BenchSection;
import io.weft.bench.Countdown;
import io.weft.bench.PerOp;
import io.weft.bench.VersusJdkBench;
import io.weft.sync.Mpsc;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;

/**
 * A map/filter/collect pipeline over a channel: one producer task sends {@value #ELEMENTS} integers
 * through a buffer of {@value #CAPACITY}; the consumer maps ({@code i * 3}), keeps the even ones and
 * sums them. Three stacks, each on its own scheduler at parallelism 2:
 *
 * <ul>
 *   <li>{@code weft}: an {@link Mpsc} channel, its receiver's {@code stream().map().filter().collect()},
 *       on a Weft runtime;</li>
 *   <li>{@code jdk}: an {@link ArrayBlockingQueue} drained by a {@code java.util.stream} (a spliterator
 *       whose {@code tryAdvance} is {@code take()}, ended by a sentinel), on JDK virtual threads;</li>
 *   <li>{@code flow}: a {@link SubmissionPublisher} (buffer {@value #CAPACITY}, delivering on JDK virtual
 *       threads) to a subscriber that maps, filters and sums, requesting in batches of half its buffer,
 *       as Reactor's {@code limitRate} does.</li>
 * </ul>
 *
 * <p>Each invocation makes a fresh channel or publisher: a Weft stream closes its receiver at the end.
 */
@BenchSection(
    title = "Streams: map/filter/collect over a channel",
    chart = "stream-pipeline",
    summary = "A producer task sends 10 000 integers through a buffer of 256; the consumer maps, filters and "
        + "sums them. Weft: `rx.stream().map().filter().collect()` on a Weft runtime (2 workers); JDK: "
        + "`java.util.stream` over an `ArrayBlockingQueue` on JDK virtual threads (parallelism 2); Flow: a "
        + "`SubmissionPublisher` pipeline delivering on JDK virtual threads.",
    labels = {"weft=Weft stream", "jdk=j.u.stream + ABQ", "flow=SubmissionPublisher"},
    baselines = {"jdk", "flow"})
public class StreamPipelineBench extends VersusJdkBench {
    static final int ELEMENTS = 10_000;
    static final int CAPACITY = 256;
    private static final Integer END = Integer.MIN_VALUE; // the jdk variant's sentinel; never sent otherwise

    /** {@code weft}, {@code jdk} or {@code flow}: see the class comment. */
    @Param({WEFT, JDK, "flow"})
    public String impl;

    private ExecutorService flowExecutor;

    @Override
    protected String impl() {
        return impl;
    }

    @Override
    protected void setUp() {
        if ("flow".equals(impl)) {
            flowExecutor = Executors.newVirtualThreadPerTaskExecutor();
        }
    }

    @Override
    protected void beforeClose() {
        if (flowExecutor != null) {
            flowExecutor.shutdownNow();
        }
    }

    /** The pipeline: {@value #ELEMENTS} elements through map, filter and a summing collector. */
    @Benchmark
    @PerOp(count = ELEMENTS, unit = "element", order = 1, name = "map_filter_collect",
        what = "10 000 integers from a producer task through a buffer of 256, mapped, filtered, summed")
    public long mapFilterCollect() {
        return switch (impl) {
            case WEFT -> weft();
            case JDK -> jdk();
            default -> flow();
        };
    }

    private static long expected() {
        long s = 0;
        for (int i = 0; i < ELEMENTS; i++) {
            if ((i * 3 & 1) == 0) {
                s += i * 3;
            }
        }
        return s;
    }

    private static final long EXPECTED = expected();

    private static long check(long sum) {
        if (sum != EXPECTED) {
            throw new AssertionError("pipeline summed " + sum + ", expected " + EXPECTED);
        }
        return sum;
    }

    private long weft() {
        final Countdown done = new Countdown(2);
        final long[] sink = new long[1];
        drive(done, "weft stream pipeline", () -> {
            Mpsc.Channel<Integer> ch = Mpsc.channel(CAPACITY);
            final Mpsc.Sender<Integer> tx = ch.sender();
            exec.spawnLocal(done.task(() -> {
                try (tx) {
                    for (int i = 0; i < ELEMENTS; i++) {
                        tx.send(i);
                    }
                }
            }));
            sink[0] = ch.receiver().stream()
                .map(i -> i * 3)
                .filter(i -> (i & 1) == 0)
                .collect(Collectors.summingLong(i -> i));
        });
        return check(sink[0]);
    }

    private long jdk() {
        final Countdown done = new Countdown(2);
        final long[] sink = new long[1];
        drive(done, "j.u.stream pipeline", () -> {
            final BlockingQueue<Integer> q = new ArrayBlockingQueue<>(CAPACITY);
            exec.spawnLocal(done.task(() -> {
                for (int i = 0; i < ELEMENTS; i++) {
                    q.put(i);
                }
                q.put(END);
            }));
            Spliterator<Integer> taking = new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED) {
                @Override
                public boolean tryAdvance(Consumer<? super Integer> action) {
                    Integer v;
                    try {
                        v = q.take();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    if (v == END) {
                        return false;
                    }
                    action.accept(v);
                    return true;
                }
            };
            sink[0] = StreamSupport.stream(taking, false)
                .map(i -> i * 3)
                .filter(i -> (i & 1) == 0)
                .collect(Collectors.summingLong(i -> i));
        });
        return check(sink[0]);
    }

    private long flow() {
        final Countdown done = new Countdown(2);
        final long[] sink = new long[1];
        drive(done, "SubmissionPublisher pipeline", () -> {
            SubmissionPublisher<Integer> pub = new SubmissionPublisher<>(flowExecutor, CAPACITY);
            Summer sub = new Summer();
            pub.subscribe(sub);
            exec.spawnLocal(done.task(() -> {
                for (int i = 0; i < ELEMENTS; i++) {
                    pub.submit(i); // parks while the subscriber's buffer is full
                }
                pub.close();
            }));
            sub.completed.await();
            sink[0] = sub.sum;
        });
        return check(sink[0]);
    }

    /** map, filter and sum as a Flow subscriber, requesting half its buffer at a time. */
    private static final class Summer implements Flow.Subscriber<Integer> {
        private static final int BATCH = CAPACITY / 2;
        final CountDownLatch completed = new CountDownLatch(1);
        private Flow.Subscription subscription;
        private int sinceRequest;
        long sum; // read after completed.await(): published by the latch

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(CAPACITY);
        }

        @Override
        public void onNext(Integer item) {
            int m = item * 3;
            if ((m & 1) == 0) {
                sum += m;
            }
            if (++sinceRequest == BATCH) {
                sinceRequest = 0;
                subscription.request(BATCH);
            }
        }

        @Override
        public void onError(Throwable t) {
            completed.countDown();
        }

        @Override
        public void onComplete() {
            completed.countDown();
        }
    }
}
