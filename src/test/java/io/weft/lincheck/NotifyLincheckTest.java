package io.weft.lincheck;

import io.weft.sync.Notify;
import java.time.Duration;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Linearizability of {@link Notify} with nobody parked, against a sequential single permit:
 * {@code notifyOne} stores it (coalescing), {@code tryNotified} consumes it, {@code notifyWaiters}
 * changes nothing.
 */
@Tag("lincheck")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public class NotifyLincheckTest {
    private final Notify notify = new Notify();

    @Operation
    public void notifyOne() {
        notify.notifyOne();
    }

    @Operation
    public boolean tryNotified() {
        return notify.tryNotified();
    }

    @Operation
    public void notifyWaiters() {
        notify.notifyWaiters();
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(getClass());
    }

    @Test
    void stress() {
        new StressOptions().iterations(5).invocationsPerIteration(200).check(getClass());
    }

    /**
     * notifyOne and tryNotified with {@code notified(Duration.ZERO)}, which consumes the permit or queues a
     * waiter and gives up at once: a notifyOne that claims that waiter as it gives up counts as delivered
     * (the call returns true) and is not also stored. (notifyWaiters is left out: it may legitimately wake
     * such a waiter, which a sequential specification cannot express.)
     */
    public static class WithZeroTimeoutWaiters {
        private final Notify notify = new Notify();

        @Operation
        public void notifyOne() {
            notify.notifyOne();
        }

        @Operation
        public boolean tryNotified() {
            return notify.tryNotified();
        }

        @Operation
        public boolean notifiedZeroTimeout() {
            return notify.notified(Duration.ZERO);
        }
    }

    @Test
    void modelCheckingWithZeroTimeoutWaiters() {
        new ModelCheckingOptions().iterations(10).invocationsPerIteration(200).check(WithZeroTimeoutWaiters.class);
    }

    /** The settings of a thorough run (excluded by default: tag stress-long). */
    @Test
    @Tag("stress-long")
    void thorough() {
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(WithZeroTimeoutWaiters.class);
        new ModelCheckingOptions().iterations(20).invocationsPerIteration(1000).check(getClass());
        new StressOptions().iterations(20).invocationsPerIteration(1000).check(getClass());
    }
}
