package io.weft.time;

import static org.assertj.core.api.Assertions.fail;

import io.weft.runtime.Handle;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Helpers shared by the io.weft.time tests. */
final class TimeTests {
    private TimeTests() {}

    /** {@return a started runtime of {@code flavor} whose clock starts paused (auto-advance on)} */
    static Runtime paused(RuntimeFlavor flavor) {
        return WeftTesting.build(WeftTesting.builder(flavor).startPaused(true));
    }

    /** {@return a started runtime of {@code flavor} on real time} */
    static Runtime real(RuntimeFlavor flavor) {
        return WeftTesting.runtime(flavor);
    }

    /** {@return the runtime's clock now minus {@code start}} */
    static Duration since(Instant start) {
        return Duration.between(start, Time.now());
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    /** {@return nanoseconds of real time since {@code startNanos}, as a Duration} */
    static Duration realSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * Inside a task: yields (staying runnable, so paused time cannot auto-advance) until
     * {@code condition} holds; fails after {@code realTimeout} of real time.
     */
    static void yieldUntil(BooleanSupplier condition, Duration realTimeout, String what) {
        long deadline = System.nanoTime() + realTimeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("not reached within " + realTimeout + " of real time: " + what);
            }
            Task.yieldNow();
        }
    }

    /** Inside a task: yields until the runtime has {@code n} active timers. */
    static void yieldUntilTimers(long n) {
        Handle h = Handle.current();
        yieldUntil(() -> h.metrics().timersActive() == n, Duration.ofSeconds(10),
            "timersActive() == " + n + " (is " + h.metrics().timersActive() + ")");
    }

    /**
     * Inside a task: runs {@code body} while another task keeps yielding, so the runtime is never idle and
     * paused time moves only by {@link Time#advance} (not by auto-advance, even while the caller waits in
     * advance: see TimePauseTest.advanceAloneMovesTheClockWhileOtherTimersArePending).
     */
    static <T> T withoutAutoAdvance(java.util.concurrent.Callable<T> body) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        JoinHandle<Void> keeper = Task.spawn(() -> {
            while (!done.get()) {
                Task.yieldNow();
            }
        });
        try {
            return body.call();
        } finally {
            done.set(true);
            keeper.join();
        }
    }

    /** Joins {@code h}, expecting it to end cancelled; {@return the JoinException} */
    static JoinException joinCancelled(JoinHandle<?> h) {
        try {
            h.join();
        } catch (JoinException e) {
            if (!e.isCancelled()) {
                throw new AssertionError("expected a cancelled task, got " + e, e);
            }
            return e;
        }
        throw new AssertionError("expected a cancelled task, but it completed");
    }
}
