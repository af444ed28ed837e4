package io.weft.stream;

import io.weft.sync.Mpsc;
import io.weft.sync.SendException;
import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link Stream#fromPublisher}: a {@link Flow.Subscriber} whose items are pulled as a stream.
 */
final class PublisherStream<T> extends Stages.Stage<T> implements Flow.Subscriber<T> {
    /*
     * Implementation overview
     *
     * Algorithm: the subscriber's signals go into an unbounded Weft Mpsc channel (so onNext never
     *   parks the publisher's thread); the consumer receives from it. The channel is bounded in
     *   effect by demand: `outstanding` counts items requested and not yet delivered, and the
     *   consumer requests more only after it has pulled: outstanding + queued + pulled-but-not-yet-
     *   re-requested == bufferSize at all times, so at most bufferSize items wait. Re-requests go
     *   out in batches of `limit` (3/4 of the buffer, as Reactor's limitRate), once that many have
     *   been pulled.
     * Rules: onNext beyond demand (1.1) cancels and fails the stream with IllegalStateException; a
     *   second onSubscribe is cancelled (2.5); null signals throw NullPointerException (2.13).
     * Serial calls on the Subscription (2.7): request (consumer) and cancel (close(), any thread)
     *   go through a wip counter: whoever moves it from 0 drains `toRequest` and `cancelWanted`.
     * Memory ordering: the Mpsc channel orders each signal after the publisher's actions before it;
     *   the subscription is published by a CAS.
     */
    private static final Object COMPLETE = new Object();

    private final int bufferSize;
    private final int limit;
    private final Mpsc.Sender<Object> tx;
    private final Mpsc.Receiver<Object> rx;
    private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    private final AtomicLong outstanding = new AtomicLong();
    private final AtomicLong toRequest = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    private volatile boolean cancelWanted;
    private boolean terminated; // onError or onComplete seen (consumer side)
    private int pulled;          // consumer only: pulled since the last request

    PublisherStream(Flow.Publisher<? extends T> publisher, int bufferSize) {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("fromPublisher: bufferSize must be at least 1: " + bufferSize);
        }
        this.bufferSize = bufferSize;
        this.limit = Math.max(1, bufferSize - (bufferSize >> 2));
        Mpsc.Channel<Object> ch = Mpsc.unboundedChannel();
        this.tx = ch.sender();
        this.rx = ch.receiver();
        publisher.subscribe(this);
    }

    // ---- Subscriber: the publisher's threads -----------------------------------------------------

    @Override
    public void onSubscribe(Flow.Subscription s) {
        Objects.requireNonNull(s, "onSubscribe: subscription is null (rule 2.13)");
        if (!subscription.compareAndSet(null, s)) {
            s.cancel(); // rule 2.5: one subscription only
            return;
        }
        request(bufferSize);
    }

    @Override
    public void onNext(T item) {
        Objects.requireNonNull(item, "onNext: item is null (rule 2.13)");
        if (outstanding.getAndDecrement() <= 0) {
            cancelWanted = true;
            drain();
            signal(new Pumps.Failure(new IllegalStateException(
                "fromPublisher: the publisher sent more items than were requested (rule 1.1)")));
            return;
        }
        signal(item);
    }

    @Override
    public void onError(Throwable error) {
        Objects.requireNonNull(error, "onError: throwable is null (rule 2.13)");
        signal(new Pumps.Failure(error));
    }

    @Override
    public void onComplete() {
        signal(COMPLETE);
    }

    private void signal(Object s) {
        try {
            tx.send(s); // unbounded: never parks
        } catch (SendException e) {
            // the stream was closed: drop it
        }
    }

    // ---- Stream: the consumer --------------------------------------------------------------------

    @Override
    @SuppressWarnings("unchecked")
    public T next() {
        if (isClosed() || terminated) {
            return null;
        }
        Object s = rx.recv();
        if (s == null || s == COMPLETE) {
            terminated = true;
            return end();
        }
        if (s instanceof Pumps.Failure f) {
            terminated = true;
            close();
            throw Stages.rethrow(f.error());
        }
        if (++pulled >= limit) {
            int n = pulled;
            pulled = 0;
            request(n);
        }
        return (T) s;
    }

    @Override
    void onClose() {
        rx.close();
        cancelWanted = true;
        drain();
    }

    private void request(long n) {
        if (cancelWanted) {
            return;
        }
        outstanding.addAndGet(n); // before the request: an onNext it causes must find the demand
        toRequest.addAndGet(n);
        drain();
    }

    /** Calls the subscription serially (rule 2.7). */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            Flow.Subscription s = subscription.get();
            if (s != null) {
                if (cancelWanted) {
                    if (toRequest.getAndSet(-1) != -1) { // -1: cancelled already
                        s.cancel();
                    }
                } else {
                    long n = toRequest.getAndSet(0);
                    if (n > 0) {
                        s.request(n);
                    }
                }
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }
}
