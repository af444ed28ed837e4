package io.weft.stream;

import io.weft.Select;
import io.weft.runtime.Handle;
import io.weft.sync.ClosedException;
import io.weft.sync.Mpsc;
import io.weft.sync.SendException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.time.ElapsedException;
import io.weft.time.Time;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The concurrent stages: each source is read by a pump task into a bounded channel.
 */
final class Pumps {
    /*
     * Implementation overview
     *
     * Algorithm: a Pump is a task that loops { permit = tx.reserve(); v = upstream.next();
     *   permit.send(v or END or Failure(e)) } into a Weft Mpsc channel of `capacity`. Reserving
     *   before pulling means the pump never holds an element the channel has no room for: it runs at
     *   most `capacity` elements ahead of the consumer, and a slow source never holds a slot another
     *   source needs. The consumer side receives with Select, so it can add a sleep arm (timeout,
     *   chunksTimeout: the runtime's timer wheel, hence paused test time) or several channels (merge).
     * Signals: an element travels as itself; the end as END; an exception as Failure(e), in its place
     *   in the sequence, rethrown unchanged by the consumer. The pump goes on after a Failure (the
     *   stream stays open, as for a sequential stage) unless it was an Error. A channel that ends
     *   without END means the pump task was aborted from outside (runtime shutdown): the consumer
     *   gets IllegalStateException rather than a silently truncated stream.
     * Fairness (merge): one pump and channel per source; the consumer polls the channels with a
     *   biased Select in round-robin order starting after the last winner, so ready sources take
     *   turns deterministically.
     * Closing: close() closes the channels (a pump's reserve/send then throws and it exits), aborts
     *   the pump tasks (interrupting an upstream next() they are parked in) and closes the upstreams
     *   directly, so the sources are closed when close() returns. Upstreams are closed only from the
     *   consumer's side (close(), or the END of a source), so a close that throws throws there.
     * Cancellation: Select.recv is cancel-safe, and chunksTimeout keeps its partial chunk and
     *   deadline in fields, so a consumer aborted in next() loses nothing.
     * Runtime: a stage captures Handle.current() when it is made (throwing IllegalStateException
     *   outside a runtime) and starts its pumps on the first next().
     */
    private Pumps() {}

    /** The end of a pump's source. */
    static final Object END = new Object();

    /** An exception from a pump's source, in its place in the sequence. */
    record Failure(Throwable error) {}

    static Handle runtime(String stage) {
        return Handle.tryCurrent().orElseThrow(() -> new IllegalStateException(
            stage + " runs pump tasks and needs a Weft runtime: create the stream inside a task "
                + "(Runtime.blockOn, Task.spawn)"));
    }

    /** One pump task and its channel. */
    static final class Pump {
        final Mpsc.Receiver<Object> rx;
        private final Mpsc.Sender<Object> tx;
        final Stream<?> upstream;
        private final String stage;
        private volatile JoinHandle<Void> task;
        /** The pump sent a Failure holding an Error and stopped: its channel's end is the stream's end. */
        private volatile boolean stoppedByError;
        /** The pump is inside upstream.next(): its source is not ready (merge's fairness heuristic). */
        volatile boolean pulling;

        Pump(Stream<?> upstream, int capacity, String stage) {
            Mpsc.Channel<Object> ch = Mpsc.channel(capacity);
            this.rx = ch.receiver();
            this.tx = ch.sender();
            this.upstream = upstream;
            this.stage = stage;
        }

        void start(Handle h) {
            task = h.spawnNamed("weft-stream-" + stage, () -> {
                run();
                return null;
            });
        }

        private void run() {
            try (Mpsc.Sender<Object> out = tx) {
                for (;;) {
                    Mpsc.Permit<Object> permit = out.reserve(); // parks while `capacity` signals wait
                    Object signal;
                    pulling = true;
                    try {
                        Object v = upstream.next();
                        signal = v != null ? v : END;
                    } catch (Throwable e) {
                        pulling = false;
                        if (Thread.currentThread().isInterrupted()) {
                            permit.close();
                            return; // aborted by close(): nobody is listening
                        }
                        signal = new Failure(e);
                    }
                    pulling = false;
                    boolean fatal = signal instanceof Failure f && f.error() instanceof Error;
                    if (fatal) {
                        stoppedByError = true; // before the send: the consumer reads it after the end
                    }
                    permit.send(signal);
                    if (signal == END || fatal) {
                        return;
                    }
                }
            } catch (ClosedException | SendException e) {
                // the consumer closed the stream (and, with it, the upstream)
            }
            // The upstream is closed by the consumer's side, never here: at END (the stage ends, or merge
            // drops the source) or by close(). So a close that throws throws on the consumer's task, and
            // never races with a pull.
        }

        /** Decodes a received signal: the element, or null at END; throws a Failure's exception. */
        @SuppressWarnings("unchecked")
        <T> T decode(Object signal, boolean closed) {
            if (signal == END) {
                return null;
            }
            if (signal == null) { // the channel ended without END: the pump was aborted, or stopped on an Error
                if (closed || stoppedByError) {
                    return null;
                }
                throw new IllegalStateException(stage + ": the pump task feeding this stream ended before its "
                    + "source did (aborted; is the runtime shutting down?)");
            }
            if (signal instanceof Failure f) {
                throw Stages.rethrow(f.error());
            }
            return (T) signal;
        }

        void close() {
            rx.close();
            JoinHandle<Void> t = task;
            if (t != null) {
                t.abort();
            }
            upstream.close();
        }

        boolean started() {
            return task != null;
        }

        boolean finished() {
            JoinHandle<Void> t = task;
            return t != null && t.isFinished();
        }
    }

    /** A stage fed by one pump. */
    abstract static class OnePump<T, R> extends Stages.Stage<R> {
        final Pump pump;
        private final Handle handle;
        private boolean started;

        OnePump(Stream<? extends T> upstream, int capacity, String stage) {
            this.handle = runtime(stage);
            this.pump = new Pump(upstream, capacity, stage);
        }

        final void ensureStarted() {
            if (!started) {
                started = true;
                pump.start(handle);
            }
        }

        @Override
        void onClose() {
            pump.close();
        }
    }

    private static final Object TIMED_OUT = new Object();
    private static final Object CHANNEL_END = new Object();

    /** Receives one signal, or TIMED_OUT once {@code deadline} (runtime clock) has passed; null = none. */
    static Object recv(Mpsc.Receiver<Object> rx, Instant deadline) {
        Select<Object> sel = Select.create().biased().recv(rx, m -> m == null ? CHANNEL_END : m);
        if (deadline != null) {
            sel.sleepUntil(deadline, () -> TIMED_OUT);
        }
        Object s = sel.run();
        return s == CHANNEL_END ? null : s;
    }

    static final class Timeout<T> extends OnePump<T, T> {
        private final Duration timeout;

        Timeout(Stream<? extends T> upstream, Duration timeout) {
            super(upstream, 1, "timeout");
            this.timeout = timeout;
        }

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            ensureStarted();
            Object s = recv(pump.rx, Time.now().plus(timeout));
            if (s == TIMED_OUT) {
                throw new ElapsedException("timeout: no element within " + timeout);
            }
            T v = pump.decode(s, isClosed());
            return v != null ? v : end();
        }
    }

    static final class ChunksTimeout<T> extends OnePump<T, List<T>> {
        private final int maxSize;
        private final Duration timeout;
        private List<T> partial;  // kept across an abort of the consumer
        private Instant deadline; // of `partial`, set when its first element arrived
        private RuntimeException pending;
        private boolean ended;

        ChunksTimeout(Stream<? extends T> upstream, int maxSize, Duration timeout) {
            super(upstream, Math.min(maxSize, 1024), "chunksTimeout");
            this.maxSize = maxSize;
            this.timeout = timeout;
        }

        @Override
        public List<T> next() {
            if (pending != null) {
                RuntimeException e = pending;
                pending = null;
                throw e;
            }
            if (isClosed() || ended) {
                return end();
            }
            ensureStarted();
            if (partial == null) {
                partial = new ArrayList<>(Math.min(maxSize, 1024));
            }
            List<T> buf = partial;
            while (buf.size() < maxSize) {
                Object s = recv(pump.rx, buf.isEmpty() ? null : deadline);
                if (s == TIMED_OUT) {
                    break;
                }
                T v;
                try {
                    v = pump.decode(s, isClosed());
                } catch (RuntimeException e) {
                    if (buf.isEmpty()) {
                        throw e;
                    }
                    pending = e; // the chunk before it first
                    break;
                }
                if (v == null) {
                    ended = true;
                    break;
                }
                if (buf.isEmpty()) {
                    deadline = Time.now().plus(timeout);
                }
                buf.add(v);
            }
            partial = null;
            if (buf.isEmpty()) {
                return end();
            }
            return buf;
        }
    }

    static final class Merge<T> extends Stages.Stage<T> {
        private final Handle handle;
        private final List<Pump> live; // only the consumer changes it; close() works on `all`
        private final List<Pump> all;
        private int cursor;
        private boolean started;

        Merge(List<? extends Stream<? extends T>> sources) {
            this.handle = runtime("merge");
            this.all = new ArrayList<>(sources.size());
            for (Stream<? extends T> s : sources) {
                all.add(new Pump(java.util.Objects.requireNonNull(s, "merge: a source is null"), 1, "merge"));
            }
            this.live = new ArrayList<>(all);
        }

        private record Got(int index, Object signal) {}

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            if (!started) {
                started = true;
                for (Pump p : all) {
                    p.start(handle);
                }
            }
            for (;;) {
                final int n = live.size();
                if (n == 0) {
                    return end();
                }
                Pump turn = live.get(cursor % n);
                if (n > 1 && turn.rx.isEmpty() && !turn.pulling && turn.started()) {
                    // Its turn, and its source is not known to be slow: its pump has room and is about
                    // to refill, but may be queued behind us on this carrier (a woken pump waits in the
                    // carrier's LIFO slot, which no other carrier steals). Let it run first; without
                    // this, a current-thread runtime serves two always-ready sources 2:1, not 1:1.
                    Task.yieldNow();
                }
                Select<Got> sel = Select.<Got>create().biased();
                for (int k = 0; k < n; k++) {
                    final int i = (cursor + k) % n;
                    sel.recv(live.get(i).rx, m -> new Got(i, m));
                }
                Got g = sel.run();
                Pump p = live.get(g.index());
                T v;
                try {
                    v = p.decode(g.signal(), isClosed());
                } catch (RuntimeException e) {
                    cursor = (g.index() + 1) % n;
                    throw e;
                }
                if (v == null) {
                    live.remove(g.index());
                    p.close(); // the source has ended: release it now, not when the merge ends
                    cursor = live.isEmpty() ? 0 : g.index() % live.size();
                    if (isClosed()) {
                        return null;
                    }
                    continue;
                }
                cursor = (g.index() + 1) % n;
                return v;
            }
        }

        @Override
        void onClose() {
            RuntimeException first = null;
            for (Pump p : all) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    static final class Produce<T> extends Stages.Stage<T> {
        private final Handle handle;
        private final Mpsc.Receiver<T> rx;
        private final Mpsc.Sender<T> tx;
        private final Stream.Producer<T> body;
        private volatile JoinHandle<Void> task;
        /** The body's exception; written before the sender closes, read after the channel ends. */
        private volatile Throwable failure;

        Produce(int capacity, Stream.Producer<T> body) {
            if (capacity < 1) {
                throw new IllegalArgumentException("produce: capacity must be at least 1: " + capacity);
            }
            this.handle = runtime("produce");
            Mpsc.Channel<T> ch = Mpsc.channel(capacity);
            this.rx = ch.receiver();
            this.tx = ch.sender();
            this.body = body;
        }

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            if (task == null) {
                task = handle.spawnNamed("weft-stream-produce", this::produce);
            }
            T v = rx.recv();
            if (v != null) {
                return v;
            }
            Throwable e = failure; // every sender is closed: the body has returned or thrown
            close();
            if (e != null) {
                throw Stages.rethrow(e);
            }
            return null;
        }

        /**
         * The producer task. It never fails: an exception goes to the consumer (or nowhere, if the
         * consumer closed the stream), so an UnhandledExceptionPolicy never sees a closed stream's
         * SendException.
         */
        private Void produce() {
            Throwable err = null;
            try {
                body.produce(tx);
            } catch (Throwable e) {
                err = e;
                if (Thread.currentThread().isInterrupted() && !isClosed()) {
                    err = new IllegalStateException("produce: the producer task was aborted", e);
                }
            }
            if (err != null && !isClosed()) {
                failure = err; // before tx.close(): the consumer reads it after seeing the end
            }
            tx.close();
            return null;
        }

        @Override
        void onClose() {
            rx.close();
            JoinHandle<Void> t = task;
            if (t != null) {
                t.abort();
            } else {
                tx.close();
            }
        }
    }
}
