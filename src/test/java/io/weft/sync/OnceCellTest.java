package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** OnceCell [Tokio: tests/sync_once_cell.rs]. */
@Timeout(20)
class OnceCellTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void initialisesOnceUnderContention() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<String>();
            var calls = new AtomicInteger();
            List<JoinHandle<String>> hs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int id = i;
                hs.add(rt.spawn(() -> cell.getOrInit(() -> {
                    calls.incrementAndGet();
                    SyncTests.sleep(Duration.ofMillis(20)); // long enough for the others to park
                    return "init by " + id;
                })));
            }
            String first = hs.get(0).join(Duration.ofSeconds(5));
            for (var h : hs) {
                assertThat(h.join(Duration.ofSeconds(5))).isEqualTo(first);
            }
            assertThat(calls).hasValue(1);
            assertThat(cell.get()).contains(first);
            assertThat(cell.isInitialized()).isTrue();
            assertThat(cell.waiterCount()).isZero();
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void aFailedInitialiserLeavesTheCellEmptyAndTheNextWaiterInitialises() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<Integer>();
            var release = new Notify();
            var failing = spawn(rt, () -> cell.getOrInit(() -> {
                release.notified();
                throw new IllegalStateException("boom");
            })).awaitParked();
            var waiter = spawn(rt, () -> cell.getOrInit(() -> 2)).awaitParked();
            assertThat(cell.waiterCount()).isEqualTo(1);
            release.notifyOne();
            assertThatThrownBy(() -> failing.handle.join(Duration.ofSeconds(5)))
                .isInstanceOf(JoinException.class).hasRootCauseMessage("boom");
            assertThat(waiter.handle.join(Duration.ofSeconds(5))).isEqualTo(2);
            assertThat(cell.get()).contains(2);
        }
    }

    @Test
    void aFailedInitialisationIsRetriedByTheNextCaller() {
        var cell = new OnceCell<String>();
        assertThatThrownBy(() -> cell.getOrInit(() -> {
            throw new IllegalArgumentException("first");
        })).hasMessage("first");
        assertThat(cell.get()).isEmpty();
        assertThat(cell.getOrInit(() -> "second")).isEqualTo("second");
        assertThat(cell.getOrInit(() -> "third")).isEqualTo("second");
    }

    @Test
    void setStoresOnlyOnce() {
        var cell = new OnceCell<String>();
        assertThat(cell.get()).isEqualTo(Optional.empty());
        assertThat(cell.set("a")).isTrue();
        assertThat(cell.set("b")).isFalse();
        assertThat(cell.get()).contains("a");
        assertThat(cell.getOrInit(() -> "c")).isEqualTo("a");
        assertThat(new OnceCell<>("x").get()).contains("x");
        assertThat(cell).hasToString("OnceCell[a]");
    }

    @Test
    void setWaitsForARunningInitialiserAndIsDefinitive() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<String>();
            var release = new Notify();
            var init = spawn(rt, () -> cell.getOrInit(() -> {
                release.notified();
                return "init";
            })).awaitParked();
            var setter = spawn(rt, () -> cell.set("set")).awaitParked();
            release.notifyOne();
            assertThat(init.handle.join(Duration.ofSeconds(5))).isEqualTo("init");
            assertThat(setter.handle.join(Duration.ofSeconds(5))).isFalse();

            var cell2 = new OnceCell<String>();
            var release2 = new Notify();
            var failing = spawn(rt, () -> cell2.getOrInit(() -> {
                release2.notified();
                throw new IllegalStateException("no");
            })).awaitParked();
            var setter2 = spawn(rt, () -> cell2.set("set")).awaitParked();
            release2.notifyOne();
            assertThatThrownBy(() -> failing.handle.join(Duration.ofSeconds(5))).isInstanceOf(JoinException.class);
            assertThat(setter2.handle.join(Duration.ofSeconds(5))).as("set fills the cell the failure left empty").isTrue();
            assertThat(cell2.get()).contains("set");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void nullsAreRejected() {
        var cell = new OnceCell<String>();
        assertThatThrownBy(() -> cell.set(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cell.getOrInit(() -> null)).isInstanceOf(NullPointerException.class);
        assertThat(cell.isInitialized()).as("a null result is a failed initialisation").isFalse();
        assertThatThrownBy(() -> cell.getOrInit(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new OnceCell<String>(null)).isInstanceOf(NullPointerException.class);
        assertThat(cell.getOrInit(() -> "ok")).isEqualTo("ok");
    }

    @Test
    void reentrantInitialisationFailsInsteadOfDeadlocking() {
        var cell = new OnceCell<String>();
        assertThatThrownBy(() -> cell.getOrInit(() -> cell.getOrInit(() -> "inner")))
            .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> cell.getOrInit(() -> {
            cell.set("inner");
            return "outer";
        })).isInstanceOf(IllegalStateException.class);
        assertThat(cell.isInitialized()).isFalse();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void awaitParksUntilSomebodyFillsTheCell() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<Integer>();
            var a = spawn(rt, () -> cell.await()).awaitParked();
            var b = spawn(rt, () -> cell.await(Duration.ofSeconds(10))).awaitParked();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> cell.await(Duration.ofMillis(20))).isInstanceOf(ElapsedException.class);
                return null;
            });
            cell.set(9);
            assertThat(a.handle.join(Duration.ofSeconds(5))).isEqualTo(9);
            assertThat(b.handle.join(Duration.ofSeconds(5))).isEqualTo(9);
            assertThat(rt.blockOn(() -> cell.await())).isEqualTo(9);
        }
    }

    @Test
    void aFailureWakesAnInitialiserNotAnAwaiter() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<String>();
            var release = new Notify();
            var failing = spawn(rt, () -> cell.getOrInit(() -> {
                release.notified();
                throw new IllegalStateException("no");
            })).awaitParked();
            var awaiter = spawn(rt, () -> cell.await()).awaitParked(); // queued first
            var initialiser = spawn(rt, () -> cell.getOrInit(() -> "second")).awaitParked();
            release.notifyOne();
            assertThatThrownBy(() -> failing.handle.join(Duration.ofSeconds(5))).isInstanceOf(JoinException.class);
            assertThat(initialiser.handle.join(Duration.ofSeconds(5))).isEqualTo("second");
            assertThat(awaiter.handle.join(Duration.ofSeconds(5))).isEqualTo("second");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void anAbortedWaiterLeavesTheCellAlone() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<String>();
            var release = new Notify();
            var init = spawn(rt, () -> cell.getOrInit(() -> {
                release.notified();
                return "v";
            })).awaitParked();
            var waiter = spawn(rt, () -> cell.getOrInit(() -> "w")).awaitParked();
            waiter.abortAndAssertCancelled();
            assertThat(cell.waiterCount()).isZero();
            release.notifyOne();
            assertThat(init.handle.join(Duration.ofSeconds(5))).isEqualTo("v");
        }
    }

    @Test
    void anAbortedInitialiserHandsTheTurnToTheNextWaiter() {
        try (Runtime rt = runtime()) {
            var cell = new OnceCell<String>();
            var never = new Notify();
            var init = spawn(rt, () -> cell.getOrInit(() -> {
                never.notified(); // throws CancelledException when aborted
                return "never";
            })).awaitParked();
            var next = spawn(rt, () -> cell.getOrInit(() -> "next")).awaitParked();
            init.abortAndAssertCancelled();
            assertThat(next.handle.join(Duration.ofSeconds(5))).isEqualTo("next");
        }
    }

    @Test
    void aWaiterAbortedAsItIsHandedTheTurnPassesItOn() {
        try (Runtime rt = runtime()) {
            for (int round = 0; round < 100; round++) {
                var cell = new OnceCell<String>();
                var release = new Notify();
                var failing = spawn(rt, () -> cell.getOrInit(() -> {
                    release.notified();
                    throw new IllegalStateException("no");
                })).awaitParked();
                var victim = spawn(rt, () -> cell.getOrInit(() -> "victim")).awaitParked();
                var last = spawn(rt, () -> cell.getOrInit(() -> "last")).awaitParked();
                release.notifyOne();      // the failure hands the turn to victim...
                victim.handle.abort();    // ...which may be aborted at the same moment
                String v = last.handle.join(Duration.ofSeconds(5));
                assertThat(v).as("round %d", round).isIn("victim", "last");
                assertThatThrownBy(() -> failing.handle.join(Duration.ofSeconds(5))).isInstanceOf(JoinException.class);
            }
        }
    }
}
