package io.weft.stream;

import io.weft.sync.Mpsc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collector;

/**
 * A pull-based, asynchronous sequence of elements [tokio-stream: {@code Stream}, kotlinx: {@code Flow}].
 *
 * <p>{@link #next()} parks the calling task until the next element is there and returns it, or returns
 * null at the end. Elements are never null. A stream is an {@link Iterable}, so a for-each loop over it
 * parks once per element; it is {@link AutoCloseable}, and closing it closes its source (a channel
 * receiver, a subscription) and ends any task that feeds it. A stream that has ended has closed itself.
 *
 * <p>Combinators ({@link #map}, {@link #filter}, {@link #merge}, {@link #chunksTimeout}, ...) wrap a
 * stream in a new one; the wrapped stream belongs to the new one from then on: pull from and close the
 * outermost stream only. They are lazy: nothing is pulled, and no task starts, before the first
 * {@code next()}. None buffers without bound.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var ch = Mpsc.<Integer>channel(64);
 * Task.spawn(() -> { try (var tx = ch.sender()) { for (int i = 0; i < 100; i++) tx.send(i); } });
 * List<Integer> squares = ch.receiver().stream()
 *     .filter(i -> i % 2 == 0)
 *     .map(i -> i * i)
 *     .take(5)
 *     .toList();                       // [0, 4, 16, 36, 64]
 * // take(5) closed the receiver once it had 5: the producer's next send threw SendException
 * }
 *
 * <h2>Errors</h2>
 * An exception thrown by a stage (a source, a function given to a combinator) is thrown by
 * {@code next()} at the point in the sequence where it happened: after the elements before it, before
 * those after it, on whichever task pulls, even when the stage ran on a pump task. The stream stays
 * open: the next call continues with the following element (a broadcast receiver that lagged resumes at
 * the oldest value kept; {@link #timeout} waits again). Terminal operations ({@link #forEach},
 * {@link #collect}, {@link #toList}) stop at the first exception and close the stream. Streams bridged
 * from a {@link Flow.Publisher} end after its {@code onError}.
 *
 * <h2>Tasks and runtimes</h2>
 * Sources and the sequential combinators run on the pulling thread and work anywhere. The combinators
 * that need concurrency ({@link #merge}, {@link #timeout}, {@link #chunksTimeout}), {@link #produce}
 * and {@link #toPublisher()} run one <em>pump task</em> per source that feeds a bounded channel; they
 * must be created inside a Weft runtime (a task, or {@code Runtime.blockOn}) and throw
 * {@link IllegalStateException} elsewhere. Closing the stream aborts its pump tasks.
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code next()} throws {@link io.weft.task.CancelledException} and loses
 * no element: the next call returns it (the sources are cancel-safe, and concurrent combinators keep
 * their partial state, such as a half-built chunk). The stream stays open; close it, for example with
 * try-with-resources.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of a stage before it produces an element happen-before the {@code next()} that returns it.
 * A stream is consumed by one task at a time; {@link #close()} may be called from any thread.
 *
 * @param <T> the element type
 * @since 0.7
 */
public interface Stream<T> extends AutoCloseable, Iterable<T> {

    /**
     * Parks until the next element is there and returns it, or returns null at the end.
     *
     * {@snippet :
     * String line;
     * while ((line = lines.next()) != null) {
     *     System.out.println(line);
     * }
     * }
     *
     * @return the next element, or null once the stream has ended or was closed
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked (no element
     *     is lost)
     * @throws RuntimeException whatever a stage threw, at the point in the sequence where it happened
     */
    T next();

    /**
     * Closes the stream and its source; later {@code next()} calls return null. Idempotent, and safe to
     * call from any thread.
     *
     * {@snippet :
     * try (var events = rx.stream()) {
     *     handle(events.next());
     * } // the receiver is closed here: senders get SendException
     * }
     */
    @Override
    void close();

    /**
     * {@return an iterator over the rest of this stream; {@code hasNext()} parks}
     *
     * {@snippet :
     * for (var e : events) handle(e);
     * }
     */
    @Override
    default Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                if (done) {
                    return false;
                }
                next = Stream.this.next();
                done = next == null;
                return !done;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("stream ended");
                }
                T v = next;
                next = null;
                return v;
            }
        };
    }

    // ---- sources ---------------------------------------------------------------------------------

    /**
     * {@return a stream of the given values, in order}
     *
     * {@snippet :
     * Stream<String> s = Stream.of("a", "b", "c");
     * }
     *
     * @param values the elements
     * @param <T> the element type
     * @throws NullPointerException if a value is null
     */
    @SafeVarargs
    static <T> Stream<T> of(T... values) {
        Objects.requireNonNull(values, "values");
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new NullPointerException("Stream.of: value " + i + " is null (streams never hold null)");
            }
        }
        return new Stages.FromIterator<>(List.of(values).iterator(), "Stream.of");
    }

    /**
     * {@return a stream with no elements}
     *
     * {@snippet :
     * Stream<String> none = Stream.empty();
     * }
     *
     * @param <T> the element type
     */
    static <T> Stream<T> empty() {
        return new Stages.FromIterator<>(Collections.emptyIterator(), "Stream.empty");
    }

    /**
     * {@return a stream over an iterable's elements} The iterator is taken now and read as the stream
     * is pulled.
     *
     * {@snippet :
     * Stream<Path> files = Stream.from(List.of(a, b));
     * }
     *
     * @param iterable the elements; a null element fails the {@code next()} that reaches it with
     *     {@link NullPointerException}
     * @param <T> the element type
     */
    static <T> Stream<T> from(Iterable<? extends T> iterable) {
        Objects.requireNonNull(iterable, "iterable");
        return new Stages.FromIterator<>(iterable.iterator(), "Stream.from");
    }

    /**
     * {@return a stream whose {@code next()} calls {@code pull}} This is the building block for
     * sources [tokio-stream: {@code poll_fn}]: {@code pull} parks as it likes and returns the next
     * element, or null at the end; {@code onClose} runs once, when the stream is closed or ends.
     *
     * {@snippet :
     * Stream<String> lines = Stream.fromPull(reader::readLine, reader::close);
     * }
     *
     * @param pull makes the next element, or null at the end; its exceptions reach the consumer
     * @param onClose releases the source; runs at most once
     * @param <T> the element type
     */
    static <T> Stream<T> fromPull(Supplier<? extends T> pull, Runnable onClose) {
        return new Stages.FromPull<>(Objects.requireNonNull(pull, "pull"), Objects.requireNonNull(onClose, "onClose"));
    }

    /**
     * {@return a stream fed by a producer task} [kotlinx: {@code channelFlow}, Rust: {@code async_stream}].
     * On the first {@code next()} a task runs {@code body} with the sending end of a channel of
     * {@code capacity}; {@code send} parks while the channel is full, so the producer runs at most
     * {@code capacity} elements ahead. The stream ends when the body returns (and every sender clone is
     * closed); if the body throws, the consumer gets the exception after the elements sent before it.
     * Closing the stream closes the channel (the body's next {@code send} throws
     * {@link io.weft.sync.SendException}) and aborts the task.
     *
     * {@snippet :
     * Stream<Integer> counter = Stream.produce(16, tx -> {
     *     for (int i = 0; ; i++) tx.send(i);     // ends when the consumer closes the stream
     * });
     * List<Integer> first = counter.take(3).toList();   // [0, 1, 2]
     * }
     *
     * @param capacity the channel's capacity, at least 1
     * @param body sends the elements; need not close the sender
     * @param <T> the element type
     * @throws IllegalStateException outside a Weft runtime
     * @throws IllegalArgumentException if {@code capacity} is below 1
     */
    static <T> Stream<T> produce(int capacity, Producer<T> body) {
        return new Pumps.Produce<>(capacity, Objects.requireNonNull(body, "body"));
    }

    /**
     * {@return a stream that takes elements from every stream, fairly} as each becomes ready
     * [tokio-stream: {@code StreamExt::merge}, {@code StreamMap}]. See {@link #merge(Stream)}.
     *
     * {@snippet :
     * Stream<Event> all = Stream.merge(List.of(clicks, keys, timers));
     * }
     *
     * @param streams the sources; each belongs to the merged stream from now on
     * @param <T> the element type
     * @throws IllegalStateException outside a Weft runtime
     */
    static <T> Stream<T> merge(List<? extends Stream<? extends T>> streams) {
        return new Pumps.Merge<>(List.copyOf(streams));
    }

    /**
     * {@return a stream of a {@link Flow.Publisher}'s items, with back-pressure}, buffering at most 32.
     * See {@link #fromPublisher(Flow.Publisher, int)}.
     *
     * {@snippet :
     * Stream<String> s = Stream.fromPublisher(flux);   // a Reactor Flux is a Publisher via FlowAdapters
     * }
     *
     * @param publisher the publisher; subscribed to now
     * @param <T> the element type
     */
    static <T> Stream<T> fromPublisher(Flow.Publisher<? extends T> publisher) {
        return fromPublisher(publisher, 32);
    }

    /**
     * {@return a stream of a {@link Flow.Publisher}'s items, with back-pressure} [Reactive Streams].
     * Subscribes now; never has more than {@code bufferSize} items requested and not yet pulled
     * (it requests {@code bufferSize} at first, then tops up in batches as the consumer pulls).
     * {@code onError} reaches the consumer after the items before it (a checked exception wrapped in
     * {@link java.util.concurrent.CompletionException}), and the stream ends after it; {@code onComplete}
     * ends it. Closing the stream cancels the subscription. A publisher that sends more than requested
     * is cancelled, and the consumer gets {@link IllegalStateException} (rule 1.1). Works inside and
     * outside a runtime.
     *
     * {@snippet :
     * var pub = new SubmissionPublisher<Integer>();
     * try (var s = Stream.fromPublisher(pub, 16)) {
     *     Task.spawn(() -> { for (int i = 0; i < 100; i++) pub.submit(i); pub.close(); });
     *     s.forEach(System.out::println);
     * }
     * }
     *
     * @param publisher the publisher
     * @param bufferSize the most items requested ahead of the consumer, at least 1
     * @param <T> the element type
     * @throws IllegalArgumentException if {@code bufferSize} is below 1
     */
    static <T> Stream<T> fromPublisher(Flow.Publisher<? extends T> publisher, int bufferSize) {
        return new PublisherStream<>(Objects.requireNonNull(publisher, "publisher"), bufferSize);
    }

    // ---- combinators -----------------------------------------------------------------------------

    /**
     * {@return a stream of {@code f} applied to each element}
     *
     * {@snippet :
     * Stream<Integer> lengths = words.map(String::length);
     * }
     *
     * @param f the function; runs on the pulling task; must not return null
     * @param <R> the new element type
     */
    default <R> Stream<R> map(Function<? super T, ? extends R> f) {
        return new Stages.Map<>(this, Objects.requireNonNull(f, "f"));
    }

    /**
     * {@return a stream of the elements that satisfy {@code p}}
     *
     * {@snippet :
     * Stream<Integer> evens = numbers.filter(n -> n % 2 == 0);
     * }
     *
     * @param p the test; runs on the pulling task
     */
    default Stream<T> filter(Predicate<? super T> p) {
        return new Stages.Filter<>(this, Objects.requireNonNull(p, "p"));
    }

    /**
     * {@return a stream of the first {@code n} elements} Once it has them it closes this stream (its
     * source), as kotlinx's {@code take} cancels its upstream.
     *
     * {@snippet :
     * List<Tick> first3 = ticks.take(3).toList();
     * }
     *
     * @param n how many, zero or more
     * @throws IllegalArgumentException if {@code n} is negative
     */
    default Stream<T> take(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("take: negative count " + n);
        }
        return new Stages.Take<>(this, n);
    }

    /**
     * {@return a stream without the first {@code n} elements}
     *
     * {@snippet :
     * Stream<String> body = lines.skip(1);   // drop a header
     * }
     *
     * @param n how many to drop, zero or more
     * @throws IllegalArgumentException if {@code n} is negative
     */
    default Stream<T> skip(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("skip: negative count " + n);
        }
        return new Stages.Skip<>(this, n);
    }

    /**
     * {@return a stream of the elements up to the first that fails {@code p}} That element is dropped,
     * and this stream is closed.
     *
     * {@snippet :
     * Stream<Reading> warmup = readings.takeWhile(r -> r.temperature() < 90);
     * }
     *
     * @param p the test
     */
    default Stream<T> takeWhile(Predicate<? super T> p) {
        return new Stages.TakeWhile<>(this, Objects.requireNonNull(p, "p"));
    }

    /**
     * {@return a stream of lists of {@code size} consecutive elements; the last may be shorter}
     * [tokio-stream: {@code chunks}]. If a stage throws while a chunk is partly filled, the partial
     * chunk is returned first and the exception is thrown by the following {@code next()}.
     *
     * {@snippet :
     * Stream.of(1, 2, 3, 4, 5).chunks(2).toList();   // [[1, 2], [3, 4], [5]]
     * }
     *
     * @param size the chunk size, at least 1
     * @throws IllegalArgumentException if {@code size} is below 1
     */
    default Stream<List<T>> chunks(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunks: size must be at least 1: " + size);
        }
        return new Stages.Chunks<>(this, size);
    }

    /**
     * {@return a stream of lists of at most {@code maxSize} elements, each returned when full or when
     * {@code timeout} has passed since its first element arrived} [tokio-stream: {@code chunks_timeout}].
     * A chunk is never empty; at the end the partial chunk is returned. A pump task reads at most
     * {@code maxSize} elements ahead. Timed on the runtime's clock, so paused test time drives it.
     *
     * {@snippet :
     * try (var batches = events.chunksTimeout(100, Duration.ofMillis(10))) {
     *     for (List<Event> batch : batches) db.insertAll(batch);   // at most 100, at most 10 ms late
     * }
     * }
     *
     * @param maxSize the largest chunk, at least 1
     * @param timeout the longest a chunk's first element waits
     * @throws IllegalArgumentException if {@code maxSize} is below 1 or {@code timeout} is negative
     * @throws IllegalStateException outside a Weft runtime
     */
    default Stream<List<T>> chunksTimeout(int maxSize, Duration timeout) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("chunksTimeout: maxSize must be at least 1: " + maxSize);
        }
        return new Pumps.ChunksTimeout<>(this, maxSize, Stages.checkDuration(timeout, "chunksTimeout"));
    }

    /**
     * {@return a stream that throws {@link io.weft.time.ElapsedException} from {@code next()} whenever an
     * element takes longer than {@code timeout} to arrive} [tokio-stream: {@code timeout}]. The stream
     * stays open: the next call waits again, and the late element is not lost. A pump task reads at most
     * one element ahead. Timed on the runtime's clock.
     *
     * {@snippet :
     * try (var s = heartbeats.timeout(Duration.ofSeconds(5))) {
     *     for (var hb : s) record(hb);
     * } catch (ElapsedException e) {
     *     System.out.println("peer silent for 5 s");
     * }
     * }
     *
     * @param timeout the longest wait for each element
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException outside a Weft runtime
     */
    default Stream<T> timeout(Duration timeout) {
        return new Pumps.Timeout<>(this, Stages.checkDuration(timeout, "timeout"));
    }

    /**
     * {@return a stream that returns an element at most once per {@code period}}
     * [tokio-stream: {@code throttle}]. After each element it waits until {@code period} has passed
     * before pulling the next; nothing is dropped and nothing is read ahead. Timed on the runtime's
     * clock (outside a runtime, a JVM-wide timer).
     *
     * {@snippet :
     * requests.throttle(Duration.ofMillis(100)).forEach(client::send);   // at most 10 a second
     * }
     *
     * @param period the least time between two elements
     * @throws IllegalArgumentException if {@code period} is negative
     */
    default Stream<T> throttle(Duration period) {
        return new Stages.Throttle<>(this, Stages.checkDuration(period, "throttle"));
    }

    /**
     * {@return a stream of the elements of this stream and {@code other}, as each becomes ready}
     * [tokio-stream: {@code merge}]. Fair: when several sources are ready, they take turns
     * (round-robin), so a busy source never starves a slower one. Each source is read by a pump task at
     * most one element ahead; a source is ready when its pump has an element waiting, so on a
     * multi-thread runtime a pump that is slow to be scheduled loses its turns until it has one. The
     * merged stream ends when every source has ended. An exception from a source reaches the consumer
     * in its place, and that source and the others go on (a source ends after an {@link Error}).
     * Closing it closes every source.
     *
     * {@snippet :
     * try (var all = clicks.merge(keys)) {
     *     for (var input : all) handle(input);
     * }
     * }
     *
     * @param other the other source; it belongs to the merged stream from now on
     * @throws IllegalStateException outside a Weft runtime
     */
    default Stream<T> merge(Stream<? extends T> other) {
        return new Pumps.Merge<>(List.of(this, Objects.requireNonNull(other, "other")));
    }

    /**
     * {@return a stream of pairs of this stream's and {@code other}'s elements, in step}
     * [tokio-stream: {@code zip}]. It ends (closing both) when either ends.
     *
     * {@snippet :
     * Stream<Stream.Pair<String, Integer>> z = Stream.of("a", "b").zip(Stream.of(1, 2, 3));
     * // (a, 1), (b, 2)
     * }
     *
     * @param other the other stream
     * @param <U> its element type
     */
    default <U> Stream<Pair<T, U>> zip(Stream<? extends U> other) {
        return zip(other, Pair::new);
    }

    /**
     * {@return a stream of {@code f} applied to this stream's and {@code other}'s elements, in step}
     * The element of this stream is pulled first; if {@code other} then throws, that element is kept for
     * the next call.
     *
     * {@snippet :
     * Stream<String> labelled = names.zip(scores, (n, s) -> n + ": " + s);
     * }
     *
     * @param other the other stream
     * @param f combines two elements; must not return null
     * @param <U> the other element type
     * @param <R> the result type
     */
    default <U, R> Stream<R> zip(Stream<? extends U> other, BiFunction<? super T, ? super U, ? extends R> f) {
        return new Stages.Zip<>(this, Objects.requireNonNull(other, "other"), Objects.requireNonNull(f, "f"));
    }

    /**
     * {@return a stream of the elements of the streams {@code f} makes from each element, one after the
     * other} [kotlinx: {@code flatMapConcat}]. Each inner stream is drained and closed before the next
     * element of this stream is pulled.
     *
     * {@snippet :
     * Stream<String> words = lines.flatMap(l -> Stream.of(l.split(" ")));
     * }
     *
     * @param f makes a stream from an element; must not return null
     * @param <R> the element type of the inner streams
     */
    default <R> Stream<R> flatMap(Function<? super T, ? extends Stream<? extends R>> f) {
        return new Stages.FlatMap<>(this, Objects.requireNonNull(f, "f"));
    }

    // ---- terminal operations ---------------------------------------------------------------------

    /**
     * Runs {@code action} on every element, parking between them, then closes the stream (also when
     * {@code action} or a stage throws).
     *
     * {@snippet :
     * rx.stream().forEach(msg -> System.out.println(msg));
     * }
     *
     * @param action what to do with each element
     */
    @Override
    default void forEach(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        try (Stream<T> self = this) {
            T v;
            while ((v = next()) != null) {
                action.accept(v);
            }
        }
    }

    /**
     * {@return the result of a {@link Collector} over every element} Closes the stream.
     *
     * {@snippet :
     * Map<Boolean, List<Integer>> parts = numbers.collect(Collectors.partitioningBy(n -> n > 0));
     * }
     *
     * @param collector the collector
     * @param <A> its accumulation type
     * @param <R> its result type
     */
    default <R, A> R collect(Collector<? super T, A, R> collector) {
        Objects.requireNonNull(collector, "collector");
        A acc = collector.supplier().get();
        var add = collector.accumulator();
        forEach(v -> add.accept(acc, v));
        return collector.finisher().apply(acc);
    }

    /**
     * {@return every element in an unmodifiable list} Closes the stream.
     *
     * {@snippet :
     * List<String> all = Stream.of("a", "b").toList();
     * }
     */
    default List<T> toList() {
        ArrayList<T> list = new ArrayList<>();
        forEach(list::add);
        return Collections.unmodifiableList(list);
    }

    /**
     * {@return a {@link Flow.Publisher} of this stream's elements} [Reactive Streams], for Reactor,
     * RxJava and other {@code java.util.concurrent.Flow} users. It accepts one subscriber (a second gets
     * {@code onError(IllegalStateException)}). A task of the current runtime pulls an element only when
     * the subscriber has requested one, so nothing is read ahead; signals are serial (rule 1.3), a
     * request of zero or less fails the subscription with {@link IllegalArgumentException} (rule 3.9),
     * and {@code cancel()} closes this stream. An exception from the stream is signalled with
     * {@code onError}, which closes it.
     *
     * {@snippet :
     * Flow.Publisher<Event> pub = events.toPublisher();
     * Flux<Event> flux = JdkFlowAdapter.flowPublisherToFlux(pub);   // Reactor
     * }
     *
     * @throws IllegalStateException outside a Weft runtime
     */
    default Flow.Publisher<T> toPublisher() {
        return new StreamPublisher<>(this);
    }

    // ---- helper types ----------------------------------------------------------------------------

    /**
     * Two elements taken in step by {@link #zip(Stream)}.
     *
     * {@snippet :
     * for (var p : names.zip(ages)) System.out.println(p.first() + " is " + p.second());
     * }
     *
     * @param first the element of the first stream
     * @param second the element of the second stream
     * @param <A> the first type
     * @param <B> the second type
     */
    record Pair<A, B>(A first, B second) {}

    /**
     * The body of a {@link #produce(int, Producer)} stream.
     *
     * {@snippet :
     * Stream.Producer<String> body = tx -> { tx.send("hello"); tx.send("world"); };
     * }
     *
     * @param <T> the element type
     */
    @FunctionalInterface
    interface Producer<T> {
        /**
         * Sends the stream's elements; returns at the end.
         *
         * {@snippet :
         * tx -> { for (var row : query()) tx.send(row); }
         * }
         *
         * @param tx the sending end; closed for you when this returns
         * @throws Exception to fail the stream after the elements sent so far
         */
        void produce(Mpsc.Sender<T> tx) throws Exception;
    }
}
