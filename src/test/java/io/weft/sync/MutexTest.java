package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.internal.sync.SelectArm;
import io.weft.runtime.Runtime;
import io.weft.task.JoinHandle;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Mutex [Tokio: tests/sync_mutex.rs]. */
@Timeout(20)
class MutexTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void lockGivesTheValueAndCloseUnlocks() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(1);
            int v = rt.blockOn(() -> {
                try (var g = m.lock()) {
                    assertThat(m.isLocked()).isTrue();
                    g.value(g.value() + 41);
                }
                assertThat(m.isLocked()).isFalse();
                try (var g = m.lock()) {
                    return g.value();
                }
            });
            assertThat(v).isEqualTo(42);
        }
    }

    @Test
    void tryLockFailsWhileHeld() {
        var m = new Mutex<>("x");
        var g = m.tryLock();
        assertThat(g).isNotNull();
        assertThat(m.tryLock()).isNull();
        g.close();
        try (var g2 = m.tryLock()) {
            assertThat(g2).isNotNull();
            assertThat(g2.value()).isEqualTo("x");
        }
    }

    @Test
    void guardCloseIsIdempotentAndAClosedGuardThrows() {
        var m = new Mutex<>(0);
        var g = m.tryLock();
        g.close();
        g.close(); // must not release a second permit
        assertThat(g.isClosed()).isTrue();
        assertThatThrownBy(g::value).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> g.value(3)).isInstanceOf(IllegalStateException.class);
        var a = m.tryLock();
        assertThat(a).isNotNull();
        assertThat(m.tryLock()).as("one permit only, despite the double close").isNull();
        a.close();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void waitersGetTheLockInArrivalOrder() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var order = new CopyOnWriteArrayList<Integer>();
            var held = m.tryLock();
            List<SyncTests.Probe<Object>> waiters = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int id = i;
                var p = spawn(rt, () -> {
                    try (var g = m.lock()) {
                        order.add(id);
                    }
                    return null;
                });
                p.awaitParked(); // queue them one by one, in a known order
                waiters.add(p);
            }
            held.close();
            for (var p : waiters) {
                p.handle.join(Duration.ofSeconds(5));
            }
            assertThat(order).containsExactly(0, 1, 2, 3, 4, 5);
        }
    }

    @Test
    void tryLockDoesNotJumpTheQueue() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var held = m.tryLock();
            var waiter = spawn(rt, () -> {
                try (var g = m.lock()) {
                    return g.value();
                }
            }).awaitParked();
            held.close();
            // Whatever tryLock says now, the queued waiter must get the lock.
            var sneaky = m.tryLock();
            if (sneaky != null) {
                sneaky.close();
            }
            assertThat(waiter.handle.join(Duration.ofSeconds(5))).isZero();
        }
    }

    @Test
    void aGuardMayBeClosedByAnotherTask() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            rt.blockOn(() -> {
                var g = m.lock();
                rt.spawn(() -> g.close()).join();
                try (var g2 = m.lock(Duration.ofSeconds(5))) {
                    return g2.value();
                }
            });
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void lockWithTimeoutElapsesAndLeavesTheMutexUsable() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var held = m.tryLock();
            rt.blockOn(() -> {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> m.lock(Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(45).toNanos());
                return null;
            });
            held.close();
            rt.blockOn(() -> {
                try (var g = m.lock(Duration.ofSeconds(1))) {
                    return g.value();
                }
            });
            assertThat(m.isLocked()).isFalse();
        }
    }

    @Test
    void timedLockSucceedsWhenReleasedInTime() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>("v");
            var held = m.tryLock();
            var p = spawn(rt, () -> {
                try (var g = m.lock(Duration.ofSeconds(10))) {
                    return g.value();
                }
            }).awaitParked();
            held.close();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo("v");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void abortWhileParkedLeavesTheMutexFree() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var held = m.tryLock();
            var p = spawn(rt, () -> m.lock()).awaitParked();
            p.abortAndAssertCancelled();
            held.close();
            var g = m.tryLock();
            assertThat(g).as("nobody holds the mutex after the aborted waiter").isNotNull();
            g.close();
        }
    }

    @Test
    void abortRacingTheHandOffNeverStrandsTheLock() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            for (int round = 0; round < 200; round++) {
                var held = m.tryLock();
                assertThat(held).as("round %d: free at start", round).isNotNull();
                var p = spawn(rt, () -> {
                    m.lock().close();
                    return null;
                }).awaitParked();
                rt.spawn(held::close); // races with the abort
                p.handle.abort();
                try {
                    p.handle.join(Duration.ofSeconds(5));
                } catch (io.weft.task.JoinException e) {
                    assertThat(e.isCancelled()).isTrue();
                }
                SyncTests.eventually(Duration.ofSeconds(5), () -> !m.isLocked(), () -> "lock stranded: " + m);
            }
        }
    }

    @Test
    void anAlreadyAbortedTaskDoesNotTakeTheLock() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var p = spawn(rt, () -> {
                Thread.currentThread().interrupt();
                return m.lock();
            });
            assertThatThrownBy(() -> p.handle.join(Duration.ofSeconds(5))).isInstanceOf(io.weft.task.JoinException.class);
            assertThat(p.thrown.get()).isInstanceOf(io.weft.task.CancelledException.class);
            assertThat(m.isLocked()).isFalse();
        }
    }

    @Test
    void mutualExclusionUnderContention() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(0);
            var inside = new AtomicInteger();
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                hs.add(rt.spawn(() -> {
                    for (int i = 0; i < 500; i++) {
                        try (var g = m.lock()) {
                            assertThat(inside.incrementAndGet()).isEqualTo(1);
                            int v = g.value();
                            if ((i & 7) == 0) {
                                Thread.yield();
                            }
                            g.value(v + 1);
                            inside.decrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (var h : hs) {
                h.join(Duration.ofSeconds(10));
            }
            try (var g = m.tryLock()) {
                assertThat(g.value()).isEqualTo(8 * 500);
            }
        }
    }

    @Test
    void selectArmTakesTheLockOnlyWhenItWins() {
        try (Runtime rt = runtime()) {
            var m = new Mutex<>(7);
            var token = new CancellationToken();
            var held = m.tryLock();
            @SuppressWarnings("unchecked")
            Mutex.Guard<Integer>[] out = new Mutex.Guard[1];
            var p = spawn(rt, () -> SyncTests.select(m.arm(out), token.arm())).awaitParked();
            token.cancel(); // the cancel arm wins; the lock arm must hold nothing
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo(1);
            assertThat(out[0]).isNull();
            held.close();
            assertThat(m.isLocked()).isFalse();

            var held2 = m.tryLock();
            SelectArm arm = m.arm(out);
            var q = spawn(rt, () -> SyncTests.select(arm, new CancellationToken().arm())).awaitParked();
            held2.close();
            assertThat(q.handle.join(Duration.ofSeconds(5))).isZero();
            assertThat(out[0]).isNotNull();
            assertThat(m.isLocked()).isTrue();
            assertThat(out[0].value()).isEqualTo(7);
            out[0].close();
            assertThat(m.isLocked()).isFalse();
        }
    }

    @Test
    void toStringShowsTheState() {
        var m = new Mutex<>(1);
        assertThat(m).hasToString("Mutex[unlocked]");
        try (var g = m.tryLock()) {
            assertThat(m).hasToString("Mutex[locked]");
            assertThat(g.mutex()).isSameAs(m);
        }
    }
}
