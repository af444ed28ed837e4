package io.weft.stream;

import io.weft.runtime.Handle;
import io.weft.sync.Notify;
import io.weft.task.JoinHandle;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Stream#toPublisher()}: an emitter task pulls the stream as the subscriber requests.
 */
final class StreamPublisher<T> implements Flow.Publisher<T> {
    /*
     * Implementation overview
     *
     * Algorithm: subscribe() calls onSubscribe on the caller's thread, then spawns the emitter task
     *   on the runtime captured by toPublisher(). The emitter loops { wait until demand > 0 (Notify:
     *   request() stores a permit, so no wake-up is lost); v = stream.next(); onNext(v); demand-- }.
     *   It pulls only against demand, so nothing is read ahead. Every signal after onSubscribe comes
     *   from the emitter task, so signals are serial (rule 1.3), also the onError for a bad request
     *   (rule 3.9), which request() only records.
     * Demand: added with saturation at Long.MAX_VALUE, which means unbounded (rule 3.17) and is never
     *   decremented.
     * Cancel (rule 3.5, 3.7): sets `cancelled`, closes the stream and, unless called from the emitter
     *   itself (inside onNext), aborts the emitter so that an upstream next() it is parked in returns.
     *   No signal follows a cancel the emitter has seen (rule 3.6 / 1.8).
     */
    private final Stream<T> stream;
    private final Handle handle;
    private final AtomicBoolean subscribed = new AtomicBoolean();

    StreamPublisher(Stream<T> stream) {
        this.stream = stream;
        this.handle = Pumps.runtime("toPublisher");
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        Objects.requireNonNull(subscriber, "subscriber (rule 1.9)");
        if (!subscribed.compareAndSet(false, true)) {
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {}

                @Override
                public void cancel() {}
            });
            subscriber.onError(new IllegalStateException(
                "toPublisher: a Weft stream can be consumed once; this publisher already has its subscriber"));
            return;
        }
        Emitter<T> e = new Emitter<>(stream, subscriber);
        try {
            subscriber.onSubscribe(e);
        } catch (Throwable t) {
            stream.close(); // rule 2.13: the subscriber is broken; treat it as cancelled
            throw t;
        }
        if (!e.cancelled) {
            e.task = handle.spawnNamed("weft-stream-publisher", e::run);
            if (e.cancelled) {
                e.task.abort();
            }
        }
    }

    private static final class Emitter<T> implements Flow.Subscription {
        private final Stream<T> stream;
        private final Flow.Subscriber<? super T> subscriber;
        private final AtomicLong demand = new AtomicLong();
        private final Notify wake = new Notify();
        volatile boolean cancelled;
        private volatile IllegalArgumentException badRequest;
        volatile JoinHandle<Void> task;
        private volatile Thread emitter;

        Emitter(Stream<T> stream, Flow.Subscriber<? super T> subscriber) {
            this.stream = stream;
            this.subscriber = subscriber;
        }

        @Override
        public void request(long n) {
            if (cancelled) {
                return;
            }
            if (n <= 0) {
                if (badRequest == null) {
                    badRequest = new IllegalArgumentException("rule 3.9: request(" + n + "): n must be positive");
                }
            } else {
                demand.getAndUpdate(d -> d + n < 0 ? Long.MAX_VALUE : d + n);
            }
            wake.notifyOne();
        }

        @Override
        public void cancel() {
            if (cancelled) {
                return;
            }
            cancelled = true;
            stream.close();
            JoinHandle<Void> t = task;
            if (t != null && Thread.currentThread() != emitter) {
                t.abort();
            }
            wake.notifyOne();
        }

        Void run() {
            emitter = Thread.currentThread();
            try {
                for (;;) {
                    if (cancelled) {
                        return null;
                    }
                    IllegalArgumentException bad = badRequest;
                    if (bad != null) {
                        cancelled = true;
                        subscriber.onError(bad);
                        return null;
                    }
                    if (demand.get() == 0) {
                        wake.notified();
                        continue;
                    }
                    T v;
                    try {
                        v = stream.next();
                    } catch (Throwable e) {
                        if (!cancelled) {
                            cancelled = true;
                            subscriber.onError(e);
                        }
                        return null;
                    }
                    if (cancelled) {
                        return null;
                    }
                    if (v == null) {
                        cancelled = true;
                        subscriber.onComplete();
                        return null;
                    }
                    subscriber.onNext(v);
                    demand.getAndUpdate(d -> d == Long.MAX_VALUE ? d : d - 1);
                }
            } catch (RuntimeException e) {
                if (cancelled) {
                    return null; // aborted by cancel(): a CancelledException out of a park
                }
                cancelled = true; // a subscriber that threw (rule 2.13): treat it as cancelled
                throw e;
            } finally {
                stream.close();
            }
        }
    }
}
