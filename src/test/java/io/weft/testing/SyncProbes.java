package io.weft.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Helpers for the tests of Mpsc, Oneshot, Notify, Semaphore, Select and the Weft combinators.
 *
 * <p>{@link io.weft.sync.Notify} and {@link io.weft.sync.Semaphore} print their number of queued waiters
 * in {@code toString()} ({@code waiters=N}): that is how a test knows a task is really parked before it
 * acts, without sleeping and hoping.
 */
public final class SyncProbes {
    private SyncProbes() {}

    /** Generous: the machine is shared and slow at times; a correct test never waits this long. */
    public static final Duration LONG = Duration.ofSeconds(20);

    private static final Pattern WAITERS = Pattern.compile("waiters=(\\d+)");

    /** {@return the waiter count a Notify or Semaphore prints in its toString()} */
    public static int waiters(Object primitive) {
        Matcher m = WAITERS.matcher(primitive.toString());
        assertThat(m.find()).as("toString() of %s shows waiters=", primitive).isTrue();
        return Integer.parseInt(m.group(1));
    }

    /** Waits until {@code primitive} (a Notify or Semaphore) has exactly {@code n} waiters queued. */
    public static void awaitWaiters(Object primitive, int n) {
        WeftTesting.eventually(LONG, () -> waiters(primitive) == n,
            () -> "expected " + n + " waiters on " + primitive);
    }

    /** Aborts {@code h} and asserts that it ends as cancelled. */
    public static void abortAndAssertCancelled(JoinHandle<?> h) {
        h.abort();
        assertCancelled(h);
    }

    /** Asserts that {@code h} ends as cancelled (within {@link #LONG}). */
    public static void assertCancelled(JoinHandle<?> h) {
        assertThatThrownBy(() -> h.join(LONG))
            .isInstanceOfSatisfying(JoinException.class,
                e -> assertThat(e.isCancelled()).as("cancelled, not failed: %s", e.getCause()).isTrue());
    }

    /** Gives a task a moment to reach (and park in) the call it is about to make. */
    public static void settle() {
        WeftTesting.sleep(Duration.ofMillis(50));
    }
}
