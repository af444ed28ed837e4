package io.weft.sync;

import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.awaitWaiters;
import static io.weft.testing.SyncProbes.settle;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The FIFO semaphore [Tokio: tests/sync_semaphore.rs, sync_semaphore_owned.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SemaphoreTest {

    @Test
    @Tag(WeftTesting.CONTRACT)
    void acquireAndReleaseOne() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(3);
                assertThat(sem.availablePermits()).isEqualTo(3);
                Semaphore.Permit p = sem.acquire();
                assertThat(p.count()).isEqualTo(1);
                assertThat(sem.availablePermits()).isEqualTo(2);
                try (Semaphore.Permit q = sem.acquire()) {
                    assertThat(q.count()).isEqualTo(1);
                    assertThat(sem.availablePermits()).isEqualTo(1);
                }
                assertThat(sem.availablePermits()).isEqualTo(2);
                p.close();
                assertThat(sem.availablePermits()).isEqualTo(3);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void acquireManyTakesThemTogether() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(5);
                try (Semaphore.Permit p = sem.acquireMany(3)) {
                    assertThat(p.count()).isEqualTo(3);
                    assertThat(sem.availablePermits()).isEqualTo(2);
                    assertThat(sem.tryAcquireMany(3)).isNull();
                    Semaphore.Permit two = sem.tryAcquireMany(2);
                    assertThat(two).isNotNull();
                    assertThat(two.count()).isEqualTo(2);
                    assertThat(sem.availablePermits()).isZero();
                    two.close();
                }
                assertThat(sem.availablePermits()).isEqualTo(5);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void tryAcquireNeverParks() {
        Semaphore sem = new Semaphore(1);
        Semaphore.Permit p = sem.tryAcquire();
        assertThat(p).isNotNull();
        assertThat(sem.tryAcquire()).isNull();
        assertThat(sem.tryAcquireMany(1)).isNull();
        p.close();
        assertThat(sem.tryAcquireMany(2)).as("more than the semaphore has").isNull();
        assertThat(sem.availablePermits()).isEqualTo(1);
        assertThat(sem.tryAcquire()).isNotNull();
    }

    @Test
    void argumentsAreValidated() {
        assertThatThrownBy(() -> new Semaphore(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Semaphore(Semaphore.MAX_PERMITS + 1)).isInstanceOf(IllegalArgumentException.class);
        Semaphore sem = new Semaphore(1);
        assertThatThrownBy(() -> sem.acquireMany(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sem.tryAcquireMany(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sem.tryAcquireMany(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> sem.addPermits(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(sem.availablePermits()).isEqualTo(1);
        // Tokio panics past MAX_PERMITS; here it is refused and nothing changes.
        Semaphore full = new Semaphore(Semaphore.MAX_PERMITS);
        assertThatThrownBy(() -> full.addPermits(1)).isInstanceOf(IllegalStateException.class);
        assertThat(full.availablePermits()).isEqualTo(Semaphore.MAX_PERMITS);
        assertThatThrownBy(() -> Mpsc.channel(Semaphore.MAX_PERMITS + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void largeRequestAtTheHeadIsNotOvertakenBySmallOnes(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(2);
                Semaphore.Permit held = sem.acquireMany(2);
                List<String> order = Collections.synchronizedList(new ArrayList<>());
                JoinHandle<Semaphore.Permit> big = Task.spawn(() -> {
                    Semaphore.Permit p = sem.acquireMany(3);
                    order.add("big");
                    return p;
                });
                awaitWaiters(sem, 1);
                JoinHandle<Semaphore.Permit> small = Task.spawn(() -> {
                    Semaphore.Permit p = sem.acquire();
                    order.add("small");
                    return p;
                });
                awaitWaiters(sem, 2);

                held.close(); // 2 permits: not enough for big, enough for small; small must still wait
                settle();
                assertThat(order).as("nobody may overtake the head").isEmpty();
                assertThat(sem.availablePermits()).as("the head holds what it was given so far").isZero();
                assertThat(sem.tryAcquire()).as("tryAcquire does not overtake waiters either").isNull();

                sem.addPermits(1); // big now has 3
                Semaphore.Permit bigPermit = big.join(LONG);
                assertThat(bigPermit.count()).isEqualTo(3);
                settle();
                assertThat(order).containsExactly("big");
                assertThat(small.isFinished()).isFalse();

                bigPermit.close();
                Semaphore.Permit smallPermit = small.join(LONG);
                assertThat(order).containsExactly("big", "small");
                assertThat(sem.availablePermits()).isEqualTo(2);
                smallPermit.close();
                assertThat(sem.availablePermits()).isEqualTo(3);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void waitersAreServedInArrivalOrder(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(0);
                List<Integer> order = Collections.synchronizedList(new ArrayList<>());
                List<JoinHandle<Void>> hs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int id = i;
                    hs.add(Task.spawn(() -> {
                        // Forget the permits: returning them would grant the next waiters as well.
                        sem.acquireMany(1 + id % 3).forget();
                        order.add(id);
                    }));
                    awaitWaiters(sem, i + 1);
                }
                for (int i = 0; i < 8; i++) {
                    sem.addPermits(1 + i % 3); // exactly what the head needs
                    hs.get(i).join(LONG);
                    assertThat(order).as("grant %d", i).hasSize(i + 1);
                }
                assertThat(order).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
                assertThat(sem.availablePermits()).isZero();
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void addPermitsWakesWaitersAndMayExceedTheInitialCount() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(0);
                JoinHandle<Semaphore.Permit> w = Task.spawn(() -> sem.acquireMany(2));
                awaitWaiters(sem, 1);
                sem.addPermits(0); // nothing
                sem.addPermits(1);
                settle();
                assertThat(w.isFinished()).isFalse();
                sem.addPermits(4);
                assertThat(w.join(LONG).count()).isEqualTo(2);
                assertThat(sem.availablePermits()).isEqualTo(3);
                w.join().close();
                assertThat(sem.availablePermits()).isEqualTo(5);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void permitCloseIsIdempotentAndForgetKeepsThePermitsOut() {
        Semaphore sem = new Semaphore(3);
        Semaphore.Permit p = sem.tryAcquire();
        p.close();
        p.close();
        assertThat(sem.availablePermits()).as("closed twice, returned once").isEqualTo(3);
        assertThat(p.count()).isZero();

        Semaphore.Permit f = sem.tryAcquireMany(2);
        f.forget();
        assertThat(f.count()).isZero();
        f.close(); // nothing left to return
        assertThat(sem.availablePermits()).isEqualTo(1);
        sem.tryAcquire().forget();
        assertThat(sem.availablePermits()).isZero();
        assertThat(sem.tryAcquire()).isNull();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void closeFailsWaitersAndLaterAcquires(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(1);
                Semaphore.Permit held = sem.acquire();
                List<JoinHandle<Object>> ws = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int n = 1 + i;
                    ws.add(Task.spawn(() -> {
                        try {
                            return sem.acquireMany(n);
                        } catch (ClosedException e) {
                            return e;
                        }
                    }));
                    awaitWaiters(sem, i + 1);
                }
                assertThat(sem.isClosed()).isFalse();
                sem.close();
                assertThat(sem.isClosed()).isTrue();
                for (JoinHandle<Object> w : ws) {
                    assertThat(w.join(LONG)).isInstanceOf(ClosedException.class);
                }
                assertThat(sem.availablePermits()).isZero();
                assertThatThrownBy(sem::acquire).isInstanceOf(ClosedException.class);
                assertThatThrownBy(() -> sem.acquireMany(2)).isInstanceOf(ClosedException.class);
                assertThatThrownBy(sem::tryAcquire).isInstanceOf(ClosedException.class);
                assertThatThrownBy(() -> sem.tryAcquireMany(1)).isInstanceOf(ClosedException.class);
                assertThatThrownBy(() -> sem.acquire(Duration.ofSeconds(1))).isInstanceOf(ClosedException.class);
                held.close(); // harmless
                sem.addPermits(2); // harmless
                assertThat(sem.availablePermits()).isZero();
                assertThat(sem.isClosed()).isTrue();
                sem.close(); // idempotent
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void acquireWithTimeout(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(1);
                Semaphore.Permit held = sem.acquire(Duration.ofMillis(10));
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> sem.acquire(Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(45_000_000L);
                awaitWaiters(sem, 0);
                assertThat(sem.availablePermits()).isZero();
                held.close();
                assertThat(sem.availablePermits()).as("the timed-out waiter took nothing").isEqualTo(1);
                java.util.concurrent.CountDownLatch took = new java.util.concurrent.CountDownLatch(1);
                Task.spawn(() -> {
                    Semaphore.Permit p = sem.acquire();
                    took.countDown();
                    WeftTesting.sleep(Duration.ofMillis(20));
                    p.close();
                });
                took.await();
                try (Semaphore.Permit p = sem.acquire(LONG)) {
                    assertThat(p.count()).isEqualTo(1);
                }
                assertThat(sem.availablePermits()).isEqualTo(1);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedReturnsPartiallyAssignedPermits(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Semaphore sem = new Semaphore(2);
                AtomicReference<Throwable> seen = new AtomicReference<>();
                JoinHandle<Semaphore.Permit> big = Task.spawn(() -> {
                    try {
                        return sem.acquireMany(5);
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                awaitWaiters(sem, 1);
                assertThat(sem.availablePermits()).as("the head was given the 2 there were").isZero();
                JoinHandle<Semaphore.Permit> next = Task.spawn(() -> sem.acquireMany(2));
                awaitWaiters(sem, 2);

                abortAndAssertCancelled(big);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);
                Semaphore.Permit p = next.join(LONG);
                assertThat(p.count()).as("the aborted head's 2 permits went on to the next waiter").isEqualTo(2);
                p.close();
                assertThat(sem.availablePermits()).isEqualTo(2);
                awaitWaiters(sem, 0);
                return null;
            });
        }
    }

    /**
     * Many tasks acquire random amounts with random aborts and timeouts: never more permits are held
     * than exist, and once everything is over every permit is back.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag("stress")
    void permitsAreConservedUnderAbortsAndTimeouts(RuntimeFlavor flavor) {
        final long seed = System.nanoTime();
        final int permits = 5;
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                Semaphore sem = new Semaphore(permits);
                AtomicInteger inUse = new AtomicInteger();
                AtomicInteger maxInUse = new AtomicInteger();
                AtomicInteger completed = new AtomicInteger();
                List<JoinHandle<Void>> hs = new ArrayList<>();
                for (int i = 0; i < 400; i++) {
                    int n = 1 + rnd.nextInt(permits);
                    boolean timed = rnd.nextInt(4) == 0;
                    hs.add(Task.spawn(() -> {
                        Semaphore.Permit p;
                        if (timed && n == 1) {
                            try {
                                p = sem.acquire(Duration.ofNanos(100_000));
                            } catch (ElapsedException e) {
                                return;
                            }
                        } else {
                            p = sem.acquireMany(n);
                        }
                        try (p) {
                            int now = inUse.addAndGet(n);
                            maxInUse.accumulateAndGet(now, Math::max);
                            try {
                                Task.yieldNow(); // an abort may land here
                                completed.incrementAndGet();
                            } finally {
                                inUse.addAndGet(-n);
                            }
                        }
                    }));
                    if (rnd.nextInt(5) == 0) {
                        hs.get(rnd.nextInt(hs.size())).abort();
                    }
                    if (rnd.nextInt(8) == 0) {
                        Task.yieldNow();
                    }
                }
                for (JoinHandle<Void> h : hs) {
                    try {
                        h.join(LONG);
                    } catch (JoinException e) {
                        assertThat(e.isCancelled()).as("seed %d: %s", seed, e.getCause()).isTrue();
                    }
                }
                assertThat(maxInUse.get()).as("seed %d: never more held than exist", seed).isLessThanOrEqualTo(permits);
                assertThat(sem.availablePermits()).as("seed %d: every permit came back", seed).isEqualTo(permits);
                assertThat(completed.get()).as("seed %d", seed).isPositive();
                awaitWaiters(sem, 0);
                return null;
            });
        }
    }
}
