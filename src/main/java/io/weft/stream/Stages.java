package io.weft.stream;

import io.weft.internal.scheduler.Coop;
import io.weft.time.Time;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The sequential stages: sources and combinators that run on the pulling task and need no other.
 */
final class Stages {
    /*
     * Implementation overview
     *
     * Algorithm: each stage is a small state machine whose next() pulls its upstream on the calling
     *   task (tokio-stream's adapters, with parking in place of Poll::Pending). A stage that has
     *   ended closes itself, and so its upstream: an ended stream holds no resources.
     * Closing: Stage.close() is idempotent (a CAS on `closed`) and may run on any thread, also while
     *   the consumer is inside next(); it closes the upstream directly, so when close() returns the
     *   source is closed. A next() that started before close() may still return one element.
     * Errors: a stage lets exceptions through unchanged and keeps its state, so the next call
     *   continues; where an exception would otherwise drop elements already taken (a half-built
     *   chunk, zip's left element) the stage keeps them and delivers them first.
     * Memory ordering: stage state is touched only by the pulling task (one at a time); `closed` is
     *   the only field another thread writes.
     */
    private Stages() {}

    /** Base of every stage: idempotent, thread-safe close. */
    abstract static class Stage<T> implements Stream<T> {
        private final AtomicBoolean closed = new AtomicBoolean();

        final boolean isClosed() {
            return closed.get();
        }

        @Override
        public final void close() {
            if (closed.compareAndSet(false, true)) {
                onClose();
            }
        }

        /** Releases the upstream; runs once. */
        abstract void onClose();

        /** Closes this stage and reports the end. */
        final T end() {
            close();
            return null;
        }
    }

    /** A stage with one upstream. */
    abstract static class Wrapper<U, T> extends Stage<T> {
        final Stream<? extends U> upstream;

        Wrapper(Stream<? extends U> upstream) {
            this.upstream = upstream;
        }

        @Override
        void onClose() {
            upstream.close();
        }
    }

    static <T> T nonNull(T v, String what) {
        if (v == null) {
            throw new NullPointerException(what + " (streams never hold null: null marks the end)");
        }
        return v;
    }

    static Duration checkDuration(Duration d, String stage) {
        Objects.requireNonNull(d, stage + ": duration");
        if (d.isNegative()) {
            throw new IllegalArgumentException(stage + ": negative duration " + d);
        }
        return d;
    }

    /** Throws {@code t} unchanged if unchecked, else wrapped in CompletionException. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new CompletionException(t);
    }

    // ---- sources ---------------------------------------------------------------------------------

    static final class FromIterator<T> extends Stage<T> {
        private final Iterator<? extends T> it;
        private final String name;

        FromIterator(Iterator<? extends T> it, String name) {
            this.it = it;
            this.name = name;
        }

        @Override
        public T next() {
            if (isClosed() || !it.hasNext()) {
                return end();
            }
            T v = nonNull(it.next(), name + ": the iterable yielded null");
            Coop.proceed(); // never parks: spend budget, as tokio-stream's iter yields every few items
            return v;
        }

        @Override
        void onClose() {
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw rethrow(e);
                }
            }
        }
    }

    static final class FromPull<T> extends Stage<T> {
        private final Supplier<? extends T> pull;
        private final Runnable onClose;

        FromPull(Supplier<? extends T> pull, Runnable onClose) {
            this.pull = pull;
            this.onClose = onClose;
        }

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            T v = pull.get();
            return v != null ? v : end();
        }

        @Override
        void onClose() {
            onClose.run();
        }
    }

    // ---- combinators -----------------------------------------------------------------------------

    static final class Map<T, R> extends Wrapper<T, R> {
        private final Function<? super T, ? extends R> f;

        Map(Stream<? extends T> upstream, Function<? super T, ? extends R> f) {
            super(upstream);
            this.f = f;
        }

        @Override
        public R next() {
            if (isClosed()) {
                return null;
            }
            T v = upstream.next();
            if (v == null) {
                return end();
            }
            return nonNull(f.apply(v), "map: the function returned null for " + v);
        }
    }

    static final class Filter<T> extends Wrapper<T, T> {
        private final Predicate<? super T> p;

        Filter(Stream<? extends T> upstream, Predicate<? super T> p) {
            super(upstream);
            this.p = p;
        }

        @Override
        public T next() {
            for (;;) {
                if (isClosed()) {
                    return null;
                }
                T v = upstream.next();
                if (v == null) {
                    return end();
                }
                if (p.test(v)) {
                    return v;
                }
            }
        }
    }

    static final class Take<T> extends Wrapper<T, T> {
        private final long n;
        private long taken;

        Take(Stream<? extends T> upstream, long n) {
            super(upstream);
            this.n = n;
        }

        @Override
        public T next() {
            if (isClosed() || taken >= n) {
                return end();
            }
            T v = upstream.next();
            if (v == null) {
                return end();
            }
            if (++taken == n) {
                upstream.close(); // the last one: release the source now, not at the next pull
            }
            return v;
        }
    }

    static final class Skip<T> extends Wrapper<T, T> {
        private long remaining;

        Skip(Stream<? extends T> upstream, long n) {
            super(upstream);
            this.remaining = n;
        }

        @Override
        public T next() {
            for (;;) {
                if (isClosed()) {
                    return null;
                }
                T v = upstream.next();
                if (v == null) {
                    return end();
                }
                if (remaining == 0) {
                    return v;
                }
                remaining--;
            }
        }
    }

    static final class TakeWhile<T> extends Wrapper<T, T> {
        private final Predicate<? super T> p;

        TakeWhile(Stream<? extends T> upstream, Predicate<? super T> p) {
            super(upstream);
            this.p = p;
        }

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            T v = upstream.next();
            if (v == null || !p.test(v)) {
                return end();
            }
            return v;
        }
    }

    static final class Chunks<T> extends Wrapper<T, List<T>> {
        private final int size;
        private List<T> partial;
        private RuntimeException pending;

        Chunks(Stream<? extends T> upstream, int size) {
            super(upstream);
            this.size = size;
        }

        @Override
        public List<T> next() {
            if (pending != null) {
                RuntimeException e = pending;
                pending = null;
                throw e;
            }
            if (isClosed()) {
                return null;
            }
            List<T> buf = partial != null ? partial : new ArrayList<>(Math.min(size, 1024));
            partial = buf; // kept if we are aborted or a stage throws
            while (buf.size() < size) {
                T v;
                try {
                    v = upstream.next();
                } catch (RuntimeException e) {
                    if (buf.isEmpty()) {
                        throw e;
                    }
                    pending = e; // the elements before it first
                    partial = null;
                    return buf;
                }
                if (v == null) {
                    partial = null;
                    if (buf.isEmpty()) {
                        return end();
                    }
                    close();
                    return buf;
                }
                buf.add(v);
            }
            partial = null;
            return buf;
        }
    }

    static final class Throttle<T> extends Wrapper<T, T> {
        private final Duration period;
        private Instant last;

        Throttle(Stream<? extends T> upstream, Duration period) {
            super(upstream);
            this.period = period;
        }

        @Override
        public T next() {
            if (isClosed()) {
                return null;
            }
            if (last != null) {
                Time.sleepUntil(last.plus(period)); // cancel-safe: nothing taken yet
            }
            T v = upstream.next();
            if (v == null) {
                return end();
            }
            last = Time.now();
            return v;
        }
    }

    static final class Zip<T, U, R> extends Stage<R> {
        private final Stream<? extends T> left;
        private final Stream<? extends U> right;
        private final BiFunction<? super T, ? super U, ? extends R> f;
        private T held;

        Zip(Stream<? extends T> left, Stream<? extends U> right, BiFunction<? super T, ? super U, ? extends R> f) {
            this.left = left;
            this.right = right;
            this.f = f;
        }

        @Override
        public R next() {
            if (isClosed()) {
                return null;
            }
            if (held == null) {
                held = left.next();
                if (held == null) {
                    return end();
                }
            }
            U b = right.next(); // if this throws or parks and is aborted, `held` waits for the next call
            if (b == null) {
                held = null;
                return end();
            }
            T a = held;
            held = null;
            return nonNull(f.apply(a, b), "zip: the function returned null for " + a + ", " + b);
        }

        @Override
        void onClose() {
            try {
                left.close();
            } finally {
                right.close();
            }
        }
    }

    static final class FlatMap<T, R> extends Wrapper<T, R> {
        private final Function<? super T, ? extends Stream<? extends R>> f;
        private volatile Stream<? extends R> inner; // volatile: close() may read it from another thread

        FlatMap(Stream<? extends T> upstream, Function<? super T, ? extends Stream<? extends R>> f) {
            super(upstream);
            this.f = f;
        }

        @Override
        public R next() {
            for (;;) {
                if (isClosed()) {
                    return null;
                }
                Stream<? extends R> in = inner;
                if (in == null) {
                    T v = upstream.next();
                    if (v == null) {
                        return end();
                    }
                    in = nonNull(f.apply(v), "flatMap: the function returned null for " + v);
                    inner = in;
                    if (isClosed()) { // closed while we made it: do not leak it
                        in.close();
                        return null;
                    }
                }
                R r = in.next();
                if (r != null) {
                    return r;
                }
                inner = null;
                in.close(); // ours ended by closing themselves; a hand-written one may not have
            }
        }

        @Override
        void onClose() {
            try {
                Stream<? extends R> in = inner;
                if (in != null) {
                    in.close();
                }
            } finally {
                upstream.close();
            }
        }
    }
}
