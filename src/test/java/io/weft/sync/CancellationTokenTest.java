package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.Select;
import io.weft.runtime.Runtime;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** CancellationToken [tokio-util: tests/sync_cancellation_token.rs]. */
@Timeout(20)
class CancellationTokenTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void cancelWakesEveryWaiterAndIsIdempotent() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            assertThat(token.isCancelled()).isFalse();
            var a = spawn(rt, () -> {
                token.cancelled();
                return "a";
            }).awaitParked();
            var b = spawn(rt, () -> {
                token.cancelled();
                return "b";
            }).awaitParked();
            assertThat(token.waiterCount()).isEqualTo(2);
            token.cancel();
            token.cancel();
            assertThat(token.isCancelled()).isTrue();
            assertThat(a.handle.join(Duration.ofSeconds(5))).isEqualTo("a");
            assertThat(b.handle.join(Duration.ofSeconds(5))).isEqualTo("b");
            assertThat(rt.blockOn(() -> {
                token.cancelled(); // returns at once
                return token.cancelled(Duration.ZERO);
            })).isTrue();
            assertThat(token).hasToString("CancellationToken[cancelled]");
        }
    }

    @Test
    void timedWaitReturnsFalseWhenTimeRunsOut() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            assertThat(rt.blockOn(() -> token.cancelled(Duration.ofMillis(20)))).isFalse();
            assertThat(token.waiterCount()).isZero();
            var p = spawn(rt, () -> token.cancelled(Duration.ofSeconds(10))).awaitParked();
            token.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void cancellingAParentCancelsTheWholeSubtree() {
        try (Runtime rt = runtime()) {
            var root = new CancellationToken();
            var child = root.child();
            var grandchild = child.child();
            var sibling = root.child();
            var p = spawn(rt, () -> {
                grandchild.cancelled();
                return true;
            }).awaitParked();
            root.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isTrue();
            assertThat(List.of(child, grandchild, sibling)).allMatch(CancellationToken::isCancelled);
            assertThat(root.childCount()).isZero();
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void cancellingAChildLeavesItsParentAndSiblingsAlone() {
        var root = new CancellationToken();
        var a = root.child();
        var b = root.child();
        var aa = a.child();
        assertThat(root.childCount()).isEqualTo(2);
        a.cancel();
        assertThat(a.isCancelled()).isTrue();
        assertThat(aa.isCancelled()).isTrue();
        assertThat(root.isCancelled()).isFalse();
        assertThat(b.isCancelled()).isFalse();
        assertThat(root.childCount()).as("the cancelled child is unlinked at once").isEqualTo(1);
        b.cancel();
        assertThat(root.childCount()).isZero();
    }

    @Test
    void aChildOfACancelledTokenIsBornCancelled() {
        var root = new CancellationToken();
        root.cancel();
        var c = root.child();
        assertThat(c.isCancelled()).isTrue();
        assertThat(root.childCount()).isZero();
    }

    @Test
    void droppedChildrenAreCollectedAndTheirSlotsReused() {
        var root = new CancellationToken();
        var kept = root.child();
        WeakReference<CancellationToken> probe = new WeakReference<>(root.child());
        for (int i = 0; i < 10_000; i++) {
            root.child(); // dropped at once, never cancelled
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (probe.get() != null || root.childCount() > 1) {
            assertThat(System.nanoTime() - deadline).as("dropped children are never collected: %d live links", root.childCount())
                .isNegative();
            System.gc();
            root.sweepForTest();
        }
        assertThat(root.childCount()).isEqualTo(1);
        assertThat(root.childCapacity()).as("the array shrinks once the dropped children are gone").isLessThan(10_000);
        root.cancel();
        assertThat(kept.isCancelled()).isTrue();
    }

    @Test
    void childrenCreatedAndDroppedInALoopDoNotGrowTheParentWithoutBound() {
        var root = new CancellationToken();
        for (int i = 0; i < 200_000; i++) {
            root.child();
            if ((i & 0xffff) == 0) {
                System.gc();
            }
        }
        assertThat(root.childCapacity()).as("swept while full, so it tracks the live children").isLessThan(200_000);
    }

    @Test
    void aChildWithAParkedTaskIsNotCollected() {
        try (Runtime rt = runtime()) {
            var root = new CancellationToken();
            var woke = new AtomicBoolean();
            // The only reference to the grandchild is the parked task's own stack.
            var p = spawn(rt, () -> {
                root.child().child().cancelled();
                woke.set(true);
                return null;
            }).awaitParked();
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            root.sweepForTest();
            assertThat(root.childCount()).isEqualTo(1);
            root.cancel();
            p.handle.join(Duration.ofSeconds(5));
            assertThat(woke).isTrue();
        }
    }

    @Test
    void aVeryDeepChainCancelsWithoutOverflowingTheStack() {
        var root = new CancellationToken();
        var t = root;
        for (int i = 0; i < 100_000; i++) {
            t = t.child();
        }
        root.cancel();
        assertThat(t.isCancelled()).isTrue();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void anAbortedWaiterLeavesTheTokenUntouched() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken().child();
            var p = spawn(rt, () -> {
                token.cancelled();
                return null;
            }).awaitParked();
            p.abortAndAssertCancelled();
            assertThat(token.isCancelled()).isFalse();
            assertThat(token.waiterCount()).isZero();
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void runUntilCancelledReturnsTheValueWhenTheWorkFinishesFirst() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            assertThat(rt.blockOn(() -> token.runUntilCancelled(() -> 42))).isEqualTo(42);
            assertThat(token.waiterCount()).isZero();
            assertThatThrownBy(() -> rt.blockOn(() -> token.runUntilCancelled(() -> {
                throw new java.io.IOException("io");
            }))).isInstanceOf(JoinException.class).hasRootCauseMessage("io");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void runUntilCancelledAbortsTheWorkAndReturnsNullWhenCancelledFirst() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            var workThread = new AtomicReference<Thread>();
            var workSaw = new AtomicReference<Throwable>();
            var workEnded = new AtomicBoolean();
            var never = new Notify();
            var p = spawn(rt, () -> token.runUntilCancelled(() -> {
                workThread.set(Thread.currentThread());
                try {
                    never.notified();
                    return "never";
                } catch (Throwable t) {
                    workSaw.set(t);
                    throw t;
                } finally {
                    workEnded.set(true);
                }
            }));
            SyncTests.awaitParked(workThread);
            p.awaitParked();
            token.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isNull();
            assertThat(workSaw.get()).isInstanceOf(CancelledException.class);
            assertThat(workEnded).as("the work has unwound when runUntilCancelled returns").isTrue();
        }
    }

    @Test
    void runUntilCancelledDoesNotStartWorkOnACancelledToken() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            token.cancel();
            var ran = new AtomicBoolean();
            assertThat(rt.blockOn(() -> token.runUntilCancelled(() -> {
                ran.set(true);
                return 1;
            }))).isNull();
            assertThat(ran).isFalse();
        }
    }

    @Test
    void runUntilCancelledKeepsAValueProducedBeforeTheAbortTookEffect() throws Exception {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            var started = new CountDownLatch(1);
            var p = spawn(rt, () -> token.runUntilCancelled(() -> {
                started.countDown();
                // Ignores the abort: finishes with a value however it is asked to stop.
                SyncTests.spin(20_000);
                return "kept";
            }));
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            token.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo("kept");
        }
    }

    @Test
    void abortingTheCallerOfRunUntilCancelledAbortsTheWork() throws Exception {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken();
            var workThread = new AtomicReference<Thread>();
            var workSaw = new AtomicReference<Throwable>();
            var done = new CountDownLatch(1);
            var p = spawn(rt, () -> token.runUntilCancelled(() -> {
                workThread.set(Thread.currentThread());
                try {
                    new Notify().notified();
                    return 1;
                } catch (Throwable t) {
                    workSaw.set(t);
                    throw t;
                } finally {
                    done.countDown();
                }
            }));
            SyncTests.awaitParked(workThread);
            p.awaitParked();
            p.abortAndAssertCancelled();
            assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(workSaw.get()).isInstanceOf(CancelledException.class);
            assertThat(token.waiterCount()).isZero();
        }
    }

    @Test
    void dropGuardCancelsOnCloseUnlessDisarmed() {
        var token = new CancellationToken();
        try (var g = token.dropGuard()) {
            assertThat(g.token()).isSameAs(token);
        }
        assertThat(token.isCancelled()).isTrue();
        var kept = new CancellationToken();
        try (var g = kept.dropGuard()) {
            assertThat(g.disarm()).isSameAs(kept);
        }
        assertThat(kept.isCancelled()).isFalse();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void selectOnATokenWinsWhenItIsCancelled() {
        try (Runtime rt = runtime()) {
            var token = new CancellationToken().child();
            var p = spawn(rt, () -> Select.<String>create()
                .cancelled(token, () -> "cancelled")
                .sleep(Duration.ofSeconds(30), () -> "slept")
                .run()).awaitParked();
            SyncTests.eventually(Duration.ofSeconds(5), () -> token.waiterCount() == 1, () -> "select never registered");
            token.cancel();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo("cancelled");
            var other = new CancellationToken();
            assertThat(rt.blockOn(() -> Select.<String>create()
                .cancelled(other, () -> "cancelled")
                .sleep(Duration.ofMillis(10), () -> "slept")
                .run())).isEqualTo("slept");
            assertThat(other.waiterCount()).as("the losing arm deregistered").isZero();
        }
    }

    @Test
    void manyChildrenCancelledConcurrentlyWithTheirParent() throws Exception {
        try (Runtime rt = runtime()) {
            for (int round = 0; round < 50; round++) {
                var root = new CancellationToken();
                List<CancellationToken> kids = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    kids.add(root.child());
                }
                var h1 = rt.spawn(() -> kids.forEach(CancellationToken::cancel));
                var h2 = rt.spawn(root::cancel);
                h1.join(Duration.ofSeconds(5));
                h2.join(Duration.ofSeconds(5));
                assertThat(kids).allMatch(CancellationToken::isCancelled);
                assertThat(root.childCount()).isZero();
            }
        }
    }
}
