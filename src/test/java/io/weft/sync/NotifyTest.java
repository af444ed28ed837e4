package io.weft.sync;

import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.awaitWaiters;
import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Notify with Tokio's semantics [Tokio: tests/sync_notify.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NotifyTest {

    @Test
    @Tag(WeftTesting.CONTRACT)
    void notifyOneWithNobodyWaitingStoresExactlyOnePermit() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                n.notifyOne();
                n.notifyOne(); // coalesces with the first
                n.notified(); // returns at once
                assertThat(n.notified(Duration.ofMillis(50))).as("the second notified() parks: only one permit")
                    .isFalse();
                assertThat(n.tryNotified()).isFalse();
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void tryNotifiedConsumesTheStoredPermit() {
        Notify n = new Notify();
        assertThat(n.tryNotified()).isFalse();
        n.notifyOne();
        assertThat(n.tryNotified()).isTrue();
        assertThat(n.tryNotified()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void notifyOneWakesAParkedWaiter(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                JoinHandle<Void> w = Task.spawn((Runnable) n::notified);
                awaitWaiters(n, 1);
                assertThat(w.isFinished()).isFalse();
                n.notifyOne();
                w.join(LONG);
                assertThat(n.tryNotified()).as("the notification was used, not stored").isFalse();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void notifyWaitersWakesEveryWaiterAndStoresNothing(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                List<JoinHandle<Void>> ws = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    ws.add(Task.spawn((Runnable) n::notified));
                }
                awaitWaiters(n, 5);
                n.notifyWaiters();
                for (JoinHandle<Void> w : ws) {
                    w.join(LONG);
                }
                assertThat(n.tryNotified()).as("notifyWaiters stores no permit").isFalse();
                assertThat(n.notified(Duration.ofMillis(30))).isFalse();
                // With nobody waiting it does nothing at all.
                n.notifyWaiters();
                assertThat(n.tryNotified()).isFalse();
                return null;
            });
        }
    }

    @Test
    void notifyWaitersOnlyWakesThoseAlreadyWaiting() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                JoinHandle<Void> early = Task.spawn((Runnable) n::notified);
                awaitWaiters(n, 1);
                n.notifyWaiters();
                early.join(LONG);
                JoinHandle<Boolean> late = Task.spawn(() -> n.notified(Duration.ofMillis(50)));
                assertThat(late.join(LONG)).as("a waiter that came after notifyWaiters is not woken").isFalse();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void notifyOneWakesWaitersInFifoOrder(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                List<Integer> order = Collections.synchronizedList(new ArrayList<>());
                List<JoinHandle<Void>> ws = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int id = i;
                    ws.add(Task.spawn(() -> {
                        n.notified();
                        order.add(id);
                    }));
                    awaitWaiters(n, i + 1); // queued in this order
                }
                for (int i = 0; i < 6; i++) {
                    n.notifyOne();
                    ws.get(i).join(LONG); // the i-th waiter, and only it, is woken
                    assertThat(order).as("after notification %d", i).hasSize(i + 1);
                }
                assertThat(order).containsExactly(0, 1, 2, 3, 4, 5);
                return null;
            });
        }
    }

    @Test
    void notifiedWithTimeout() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                long t0 = System.nanoTime();
                assertThat(n.notified(Duration.ofMillis(50))).isFalse();
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(45_000_000L);
                awaitWaiters(n, 0);
                n.notifyOne();
                assertThat(n.tryNotified()).as("a timed-out waiter is no longer queued: the permit is stored")
                    .isTrue();
                Task.spawn(() -> {
                    WeftTesting.sleep(Duration.ofMillis(20));
                    n.notifyOne();
                });
                assertThat(n.notified(LONG)).isTrue();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedThrowsCancelledAndLeavesTheQueue(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                AtomicReference<Throwable> seen = new AtomicReference<>();
                JoinHandle<Void> w = Task.spawn(() -> {
                    try {
                        n.notified();
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                awaitWaiters(n, 1);
                abortAndAssertCancelled(w);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);
                awaitWaiters(n, 0);
                n.notifyOne();
                assertThat(n.tryNotified()).as("nobody is left to take it: the permit is stored").isTrue();
                return null;
            });
        }
    }

    /**
     * On a current-thread runtime the order is deterministic: the notifier aborts the first waiter and
     * then calls notifyOne before either waiter runs, so notifyOne chooses the aborted waiter. That
     * notification must not be lost: either the aborted waiter takes it (its notified() returned before
     * it saw the abort) or it is handed on to the second waiter.
     */
    @Test
    void notificationChosenForAnAbortedWaiterIsNotLost() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                Notify n = new Notify();
                AtomicInteger woken = new AtomicInteger();
                JoinHandle<Void> first = Task.spawn(() -> {
                    n.notified();
                    woken.incrementAndGet();
                });
                awaitWaiters(n, 1);
                JoinHandle<Boolean> second = Task.spawn(() -> {
                    boolean got = n.notified(LONG);
                    if (got) {
                        woken.incrementAndGet();
                    }
                    return got;
                });
                awaitWaiters(n, 2);
                first.abort();
                n.notifyOne();
                boolean firstTookIt;
                try {
                    first.join(LONG);
                    firstTookIt = true;
                } catch (JoinException e) {
                    assertThat(e.isCancelled()).isTrue();
                    firstTookIt = false;
                }
                if (firstTookIt) {
                    assertThat(second.isFinished()).isFalse();
                    n.notifyOne();
                }
                assertThat(second.join(LONG)).as("the notification reached the second waiter").isTrue();
                assertThat(woken.get()).isEqualTo(2 - (firstTookIt ? 0 : 1));
                assertThat(n.tryNotified()).as("and it was not also stored").isFalse();
                return null;
            });
        }
    }

    /**
     * notifyOne racing with aborts of its waiters: each notifyOne must produce exactly one successful
     * notified() (Tokio's guarantee), whether the chosen waiter returns, or is aborted and forwards it.
     *
     * <p>What is exactly guaranteed: a permit stored while another is stored coalesces, so the count is
     * only exact if no two notifications are outstanding at once. So the notifier sends one notification,
     * then waits until one more notified() has succeeded (at most one permit is ever stored; a lost
     * notification stalls the count and fails; a duplicated one overshoots and fails).
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag("stress")
    void everyNotifyOneIsConsumedExactlyOnceDespiteAborts(RuntimeFlavor flavor) {
        final long seed = System.nanoTime();
        final int rounds = 1500;
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                Notify n = new Notify();
                AtomicInteger successes = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                List<JoinHandle<Void>> waiters = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    waiters.add(spawnWaiter(n, successes, stop, i % 2 == 0));
                }
                int aborts = 0;
                for (int r = 1; r <= rounds; r++) {
                    n.notifyOne();
                    if (rnd.nextInt(3) == 0) {
                        int k = rnd.nextInt(waiters.size());
                        waiters.get(k).abort(); // maybe the chosen one, maybe parked, maybe running
                        waiters.set(k, spawnWaiter(n, successes, stop, rnd.nextBoolean()));
                        aborts++;
                    }
                    int want = r;
                    eventually(LONG, () -> successes.get() >= want,
                        () -> "seed " + seed + ": notification " + want + " was lost; successes=" + successes + " " + n);
                    assertThat(successes.get()).as("seed %d: round %d: a notification was consumed twice", seed, want)
                        .isEqualTo(want);
                }
                stop.set(true);
                for (JoinHandle<Void> w : waiters) {
                    w.abort();
                }
                for (JoinHandle<Void> w : waiters) {
                    try {
                        w.join(LONG);
                    } catch (JoinException e) {
                        assertThat(e.isCancelled()).as("seed %d: %s", seed, e.getCause()).isTrue();
                    }
                }
                assertThat(successes.get()).as("seed %d", seed).isEqualTo(rounds);
                assertThat(n.tryNotified()).as("seed %d: no permit left over", seed).isFalse();
                assertThat(aborts).isPositive();
                return null;
            });
        }
    }

    private static JoinHandle<Void> spawnWaiter(Notify n, AtomicInteger successes, AtomicBoolean stop, boolean timed) {
        return Task.spawn(() -> {
            while (!stop.get()) {
                if (timed) {
                    // Short timeouts exercise the give-up path racing with a notification.
                    if (n.notified(Duration.ofNanos(200_000))) {
                        successes.incrementAndGet();
                    }
                } else {
                    n.notified();
                    successes.incrementAndGet();
                }
            }
        });
    }

    @Test
    void notifyOneBeforeNotifiedIsNotLost() {
        // Tokio's notify_notified_one: a notification that arrives before the waiter registers is kept.
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (int i = 0; i < 2000; i++) {
                    Notify n = new Notify();
                    CountDownLatch ready = new CountDownLatch(1);
                    JoinHandle<Boolean> w = Task.spawn(() -> {
                        ready.countDown();
                        return n.notified(LONG);
                    });
                    ready.await();
                    n.notifyOne();
                    assertThat(w.join(LONG)).as("iteration %d", i).isTrue();
                    assertThat(n.tryNotified()).isFalse();
                }
                return null;
            });
        }
    }
}
