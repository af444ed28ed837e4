package io.weft.stream;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Helpers for the io.weft.stream tests. */
final class StreamTests {
    private StreamTests() {}

    /** Runs {@code body} as a task on a fresh 2-worker runtime. */
    static <T> T on(Callable<T> body) {
        try (Runtime rt = WeftTesting.runtime(RuntimeFlavor.MULTI_THREAD)) {
            return rt.blockOn(body);
        }
    }

    /** Runs {@code body} on a current-thread runtime whose clock starts paused (auto-advance on). */
    static <T> T onPausedTime(Callable<T> body) {
        try (Runtime rt = WeftTesting.build(WeftTesting.builder(RuntimeFlavor.CURRENT_THREAD).startPaused(true))) {
            return rt.blockOn(body);
        }
    }

    /** {@return ms of the runtime's clock since {@code start}} */
    static long msSince(Instant start) {
        return Duration.between(start, io.weft.time.Time.now()).toMillis();
    }

    /** Inside a task: yields (time cannot auto-advance) until {@code condition} holds, at most 10 s of real time. */
    static void yieldUntil(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not met within 10 s");
            }
            io.weft.task.Task.yieldNow();
        }
    }

    /** Pulls everything left, closing the stream. */
    static <T> List<T> drain(Stream<T> s) {
        List<T> out = new ArrayList<>();
        try (s) {
            T v;
            while ((v = s.next()) != null) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * A source of 0, 1, 2, ... (or up to {@code limit}) that counts pulls and records its close, to
     * check read-ahead bounds and close propagation.
     */
    static final class Counting implements Stream<Integer> {
        final AtomicInteger pulls = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        private final int limit;

        Counting(int limit) {
            this.limit = limit;
        }

        @Override
        public Integer next() {
            if (closed.get()) {
                return null;
            }
            int n = pulls.get();
            if (n >= limit) {
                return null;
            }
            return pulls.getAndIncrement();
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }
}
