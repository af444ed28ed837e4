/**
 * Asynchronous, pull-based streams [tokio-stream, kotlinx {@code Flow}]: {@link io.weft.stream.Stream}.
 *
 * <p>A {@code Stream<T>} is a sequence you pull from: {@code next()} parks the calling task until the
 * next element is there, and returns null at the end. Because every Weft wait parks a virtual thread,
 * not a carrier, a stream reads like an iterator, and a for-each loop over one parks once per element.
 * Closing a stream closes its source and ends any task that feeds it. Pick by job:
 *
 * <table class="striped">
 * <caption>Which part of the API for which job</caption>
 * <thead><tr><th scope="col">job</th><th scope="col">use</th></tr></thead>
 * <tbody>
 * <tr><th scope="row">make a stream</th><td>{@code Stream.of}, {@code from(Iterable)}, {@code fromPull},
 *     {@code produce}; a channel's {@code rx.stream()}; {@code Interval.stream()}</td></tr>
 * <tr><th scope="row">transform element by element</th><td>{@code map}, {@code filter}, {@code flatMap}</td></tr>
 * <tr><th scope="row">cut</th><td>{@code take}, {@code skip}, {@code takeWhile}</td></tr>
 * <tr><th scope="row">batch</th><td>{@code chunks}, {@code chunksTimeout}</td></tr>
 * <tr><th scope="row">time</th><td>{@code timeout}, {@code throttle}, {@code chunksTimeout}</td></tr>
 * <tr><th scope="row">combine</th><td>{@code merge} (fair), {@code zip}</td></tr>
 * <tr><th scope="row">consume</th><td>a for-each loop, {@code next()}, {@code forEach}, {@code collect},
 *     {@code toList}</td></tr>
 * <tr><th scope="row">Reactive Streams</th><td>{@code fromPublisher}, {@code toPublisher}</td></tr>
 * </tbody>
 * </table>
 *
 * <h2>Sources</h2>
 * {@snippet :
 * Stream<String> words = Stream.of("a", "b", "c");
 * Stream<Order> orders = ordersRx.stream();                 // Mpsc: ends when every sender is closed
 * Stream<Price> prices = pricesRx.stream();                 // Broadcast: next() throws LaggedException
 *                                                           //   when it fell behind, then carries on
 * Stream<Config> configs = configRx.stream();               // Watch: the current value, then each change
 * Stream<Instant> ticks = Time.interval(Duration.ofSeconds(1)).stream();
 * Stream<Integer> counter = Stream.produce(16, tx -> {      // a producer task, at most 16 ahead
 *     for (int i = 0; ; i++) tx.send(i);
 * });
 * }
 *
 * <h2>Element by element</h2>
 * Sequential combinators run on the pulling task: no task, no buffer.
 * {@snippet :
 * List<String> big = orders
 *     .filter(o -> o.total() > 1_000)
 *     .map(Order::id)
 *     .take(10)                     // then closes the orders receiver
 *     .toList();
 * }
 *
 * <h2>Batches and time</h2>
 * Time-based combinators follow the runtime's clock, so paused test time
 * ({@code Runtime.builder().startPaused(true)}) drives them.
 * {@snippet :
 * try (var batches = orders.chunksTimeout(100, Duration.ofMillis(5))) {
 *     for (List<Order> batch : batches) db.insertAll(batch);
 * }
 * try (var s = heartbeats.timeout(Duration.ofSeconds(5))) {
 *     s.next();                     // ElapsedException after 5 s of silence; the stream stays usable
 * }
 * requests.throttle(Duration.ofMillis(100)).forEach(client::send);
 * }
 *
 * <h2>Combining</h2>
 * {@snippet :
 * try (var inputs = clicks.merge(keys)) {                     // fair: ready sources take turns
 *     for (Input in : inputs) handle(in);
 * }
 * Stream.of("a", "b").zip(Stream.of(1, 2)).toList();        // [Pair[a, 1], Pair[b, 2]]
 * }
 *
 * <h2>Reactive Streams</h2>
 * {@code java.util.concurrent.Flow} both ways, with back-pressure: {@code fromPublisher} never has more
 * than its buffer requested; {@code toPublisher} pulls only what the subscriber requested.
 * {@snippet :
 * var pub = new SubmissionPublisher<Integer>();
 * Stream<Integer> s = Stream.fromPublisher(pub, 16);
 * Flow.Publisher<String> out = s.map(String::valueOf).toPublisher();
 * }
 *
 * <h2>Errors, closing, tasks</h2>
 * An exception from any stage is thrown by {@code next()} at its place in the sequence, also when the
 * stage ran on a pump task; the stream stays open. Closing the outermost stream closes everything
 * under it: channel receivers (senders then get {@code SendException}), subscriptions, pump and
 * producer tasks. {@code merge}, {@code timeout}, {@code chunksTimeout}, {@code produce} and
 * {@code toPublisher} run tasks, so they must be created inside a Weft runtime; elsewhere they throw
 * {@link java.lang.IllegalStateException}. Note that this {@code Stream} is not
 * {@code java.util.stream.Stream}: it is lazy and pull-based like it, but it parks, and it is
 * {@code AutoCloseable} for a reason.
 */
package io.weft.stream;
