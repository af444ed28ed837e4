package io.weft.internal.task;

import static org.assertj.core.api.Assertions.assertThat;

import io.weft.internal.sync.Parker;
import io.weft.internal.sync.Waiter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of {@link WaitStack}, the one-shot latch behind every JoinHandle, against a
 * sequential model: {@code release()} flips it once; a callback registered before runs exactly once
 * at release (on the releaser), one registered after runs exactly once at once (on the registrant);
 * withdrawn registrations (a timed-out joiner, a Select waiter that lost) never cost a callback.
 */
@Tag("lincheck")
@Timeout(300)
public class WaitStackLincheckTest {
    private static final int MAX_CALLBACKS = 64;

    private final WaitStack stack = new WaitStack();
    private final AtomicInteger registered = new AtomicInteger();
    private final AtomicIntegerArray runs = new AtomicIntegerArray(MAX_CALLBACKS);
    /** Callbacks run on each thread, to tell what one release() call ran. */
    private static final ThreadLocal<int[]> RUN_HERE = ThreadLocal.withInitial(() -> new int[1]);

    /** Registers a callback; {@return true if it ran at once, on this thread (the latch was already released)} */
    @Operation
    public boolean register() {
        int id = registered.getAndIncrement();
        Thread me = Thread.currentThread();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        stack.onRelease(() -> {
            runs.incrementAndGet(id);
            ranOn.compareAndSet(null, Thread.currentThread());
            RUN_HERE.get()[0]++;
        });
        return ranOn.get() == me;
    }

    /** Releases; {@return how many callbacks this call ran} */
    @Operation
    public int release() {
        int[] here = RUN_HERE.get();
        int before = here[0];
        stack.release(e -> { throw new AssertionError(e); });
        return here[0] - before;
    }

    @Operation
    public boolean isReleased() {
        return stack.isReleased();
    }

    /** A joiner whose deadline has passed: pushes a thread node and withdraws it; {@return await's answer} */
    @Operation
    public boolean timedOutAwait() {
        return stack.await(System.nanoTime() - 1_000_000_000L | 1);
    }

    /** A Select waiter that registers and then loses: {@return whether it was registered} */
    @Operation
    public boolean registerAndWithdrawWaiter() {
        WaitStack.Node n = stack.register(new Waiter(new Parker()));
        stack.remove(n);
        return n != null;
    }

    /** Every callback ran exactly once if the latch is released, never otherwise. */
    @Validate
    public void everyCallbackRanExactlyOnce() {
        int n = registered.get();
        int expected = stack.isReleased() ? 1 : 0;
        for (int i = 0; i < n; i++) {
            if (runs.get(i) != expected) {
                throw new IllegalStateException("callback " + i + " of " + n + " ran " + runs.get(i)
                    + " times, expected " + expected + " (released: " + stack.isReleased() + ")");
            }
        }
    }

    /** The sequential model. */
    public static final class Model {
        private boolean released;
        private int pending;

        public boolean register() {
            if (released) {
                return true;
            }
            pending++;
            return false;
        }

        public int release() {
            if (released) {
                return 0;
            }
            released = true;
            int n = pending;
            pending = 0;
            return n;
        }

        public boolean isReleased() {
            return released;
        }

        public boolean timedOutAwait() {
            return released;
        }

        public boolean registerAndWithdrawWaiter() {
            return !released;
        }
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions().iterations(15).invocationsPerIteration(400)
            .sequentialSpecification(Model.class).check(getClass());
    }

    @Test
    void stress() {
        new StressOptions().iterations(6).invocationsPerIteration(300)
            .sequentialSpecification(Model.class).check(getClass());
    }

    @Test
    @Tag("stress-long")
    void modelCheckingLong() {
        new ModelCheckingOptions().iterations(100).invocationsPerIteration(2000).threads(3)
            .sequentialSpecification(Model.class).check(getClass());
    }

    @Test
    void theModelItselfIsRight() {
        Model m = new Model();
        assertThat(m.register()).isFalse();
        assertThat(m.register()).isFalse();
        assertThat(m.release()).isEqualTo(2);
        assertThat(m.release()).isZero();
        assertThat(m.register()).isTrue();
        assertThat(m.isReleased()).isTrue();
    }
}
