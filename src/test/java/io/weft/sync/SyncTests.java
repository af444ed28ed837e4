package io.weft.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.runtime.Runtime;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Helpers for the io.weft.sync tests. */
final class SyncTests {
    private SyncTests() {}

    /** The tag of tests that also run on the JDK default scheduler fallback. */
    static final String CONTRACT = "contract";

    /** Polls {@code condition} until it holds, failing with {@code message} after {@code timeout}. */
    static void eventually(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleepMicros = 20;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not met within " + timeout + ": " + message.get());
            }
            sleep(Duration.ofNanos(sleepMicros * 1000));
            sleepMicros = Math.min(sleepMicros * 2, 10_000);
        }
    }

    /** Sleeps, turning an interrupt into an unchecked exception that keeps the status. */
    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Busy-spins for about {@code micros} microseconds, ignoring interrupts. */
    static void spin(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** {@return a 2-worker runtime whose close() gives up on leftover tasks quickly} */
    static Runtime runtime() {
        return Runtime.builder().workerThreads(2).shutdownTimeout(Duration.ofSeconds(2)).build();
    }

    /** {@return the seed for a randomised test: -Dweft.test.seed or the clock} */
    static long seed() {
        Long fixed = Long.getLong("weft.test.seed");
        return fixed != null ? fixed : System.nanoTime();
    }

    /** A spawned task that records its thread, and whether it saw CancelledException with its interrupt kept. */
    static final class Probe<T> {
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final AtomicBoolean interruptKept = new AtomicBoolean();
        JoinHandle<T> handle;

        /** Waits until the task is parked (WAITING or TIMED_WAITING). */
        Probe<T> awaitParked() {
            SyncTests.awaitParked(thread);
            return this;
        }

        /** Aborts the task and asserts it ends cancelled, having seen CancelledException with the interrupt kept. */
        void abortAndAssertCancelled() {
            handle.abort();
            assertThatThrownBy(() -> handle.join(Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            assertThat(thrown.get()).isInstanceOf(CancelledException.class);
            assertThat(interruptKept).as("CancelledException keeps the interrupt status").isTrue();
        }
    }

    /** Spawns {@code body} on {@code rt} as a {@link Probe}. */
    static <T> Probe<T> spawn(Runtime rt, Callable<T> body) {
        Probe<T> p = new Probe<>();
        p.handle = rt.spawn(() -> {
            p.thread.set(Thread.currentThread());
            try {
                return body.call();
            } catch (Throwable t) {
                p.thrown.set(t);
                p.interruptKept.set(Thread.currentThread().isInterrupted());
                throw t;
            }
        });
        return p;
    }

    /** Waits until the thread in {@code ref} is parked. */
    static void awaitParked(AtomicReference<Thread> ref) {
        eventually(Duration.ofSeconds(5), () -> {
            Thread t = ref.get();
            if (t == null) {
                return false;
            }
            Thread.State s = t.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
        }, () -> "task never parked: " + ref.get() + " " + (ref.get() == null ? "" : ref.get().getState()));
    }

    /**
     * Drives {@code arms} through the SelectArm protocol, as {@code io.weft.Select} does: poll,
     * register, re-poll, park, deregister, poll with the claimed waiter, forward.
     *
     * @return the index of the winning arm
     */
    static int select(SelectArm... arms) {
        for (int i = 0; i < arms.length; i++) {
            if (arms[i].poll(null)) {
                return i;
            }
        }
        for (;;) {
            Parker parker = new Parker();
            Waiter[] ws = new Waiter[arms.length];
            for (int i = 0; i < arms.length; i++) {
                ws[i] = new Waiter(parker);
                arms[i].register(ws[i]);
            }
            int winner = -1;
            for (int i = 0; i < arms.length && winner < 0; i++) {
                if (arms[i].poll(null)) {
                    winner = i;
                }
            }
            Waiter fired;
            if (winner < 0) {
                fired = parker.await(0);
                if (fired == null && parker.cancel() instanceof Waiter w) {
                    fired = w;
                }
            } else {
                fired = parker.cancel() instanceof Waiter w ? w : null;
            }
            for (int i = 0; i < arms.length; i++) {
                arms[i].deregister(ws[i]);
            }
            if (winner < 0) {
                if (Waits.interrupted()) {
                    forward(arms, ws, fired, -1);
                    throw Waits.cancelled("SyncTests.select");
                }
                for (int i = 0; i < arms.length && winner < 0; i++) {
                    if (arms[i].poll(ws[i] == fired ? fired : null)) {
                        winner = i;
                    }
                }
            }
            forward(arms, ws, fired, winner);
            if (winner >= 0) {
                return winner;
            }
        }
    }

    private static void forward(SelectArm[] arms, Waiter[] ws, Waiter fired, int winner) {
        if (fired == null) {
            return;
        }
        for (int i = 0; i < arms.length; i++) {
            if (ws[i] == fired && i != winner) {
                arms[i].forward(fired);
            }
        }
    }
}
