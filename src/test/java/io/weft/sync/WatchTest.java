package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.internal.sync.SyncArms;
import io.weft.runtime.Runtime;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watch [Tokio: tests/sync_watch.rs]. */
@Timeout(20)
class WatchTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void singleReceiverSeesTheChange() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel("one");
            var tx = ch.sender();
            var rx = ch.receiver();
            assertThat(rx.borrow()).isEqualTo("one");
            assertThat(rx.hasChanged()).as("the initial value counts as seen").isFalse();
            var p = spawn(rt, () -> {
                rx.changed();
                return rx.borrow();
            }).awaitParked();
            tx.send("two");
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo("two");
            assertThat(rx.hasChanged()).isFalse();
            assertThat(tx.borrow()).isEqualTo("two");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void manySendsBeforeALookAreOneChange() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(0);
            var rx = ch.receiver();
            for (int i = 1; i <= 10; i++) {
                ch.sender().send(i);
            }
            assertThat(rx.hasChanged()).isTrue();
            rt.blockOn(() -> {
                rx.changed();                                       // one change...
                assertThat(rx.borrow()).isEqualTo(10);             // ...to the latest value
                assertThat(rx.changed(Duration.ofMillis(20))).isFalse(); // and no more
                return null;
            });
        }
    }

    @Test
    void everyReceiverTracksItsOwnVersion() {
        var ch = Watch.channel("a");
        var rx1 = ch.receiver();
        var rx2 = ch.sender().subscribe();
        ch.sender().send("b");
        assertThat(rx1.hasChanged()).isTrue();
        assertThat(rx2.hasChanged()).isTrue();
        assertThat(rx1.borrowAndUpdate()).isEqualTo("b");
        assertThat(rx1.hasChanged()).isFalse();
        assertThat(rx2.hasChanged()).isTrue();
        var rx3 = rx2.cloneReceiver();
        assertThat(rx3.hasChanged()).as("a clone has seen what its original had").isTrue();
        var rx4 = ch.sender().subscribe();
        assertThat(rx4.hasChanged()).as("subscribing marks the current value seen").isFalse();
        assertThat(ch.sender().receiverCount()).isEqualTo(4);
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void closingTheSenderReportsTheLastValueThenClosed() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(1);
            var tx = ch.sender();
            var rx = ch.receiver();
            tx.send(2);
            tx.close();
            tx.close();
            assertThat(rx.isClosed()).isTrue();
            assertThatThrownBy(() -> tx.send(3)).isInstanceOf(IllegalStateException.class);
            rt.blockOn(() -> {
                rx.changed(); // the unseen 2 comes first
                assertThat(rx.borrow()).isEqualTo(2);
                assertThatThrownBy(rx::changed).isInstanceOf(ClosedException.class);
                return null;
            });
            assertThat(rx.borrow()).as("the last value stays readable").isEqualTo(2);
        }
    }

    @Test
    void closingTheSenderWakesAParkedReceiver() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(1);
            var rx = ch.receiver();
            var p = spawn(rt, () -> {
                rx.changed();
                return null;
            }).awaitParked();
            ch.sender().close();
            assertThatThrownBy(() -> p.handle.join(Duration.ofSeconds(5)))
                .hasRootCauseInstanceOf(ClosedException.class);
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void sendFailsWithoutReceiversButSendReplaceAndSendModifyStore() {
        var ch = Watch.channel("a");
        var tx = ch.sender();
        ch.receiver().close();
        assertThat(tx.receiverCount()).isZero();
        assertThatThrownBy(() -> tx.send("b"))
            .isInstanceOfSatisfying(SendException.class, e -> assertThat(e.<String>value()).isEqualTo("b"));
        assertThat(tx.borrow()).as("a failed send stores nothing").isEqualTo("a");
        assertThat(tx.sendReplace("c")).isEqualTo("a");
        assertThat(tx.sendModify(s -> s + "d")).isEqualTo("cd");
        assertThat(tx.borrow()).isEqualTo("cd");
    }

    @Test
    void sendModifyIsAtomicAcrossTasks() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(0);
            List<JoinHandle<Void>> hs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                hs.add(rt.spawn(() -> {
                    for (int i = 0; i < 1000; i++) {
                        ch.sender().sendModify(n -> n + 1);
                    }
                    return null;
                }));
            }
            for (var h : hs) {
                h.join(Duration.ofSeconds(10));
            }
            assertThat(ch.receiver().borrow()).isEqualTo(8000);
        }
    }

    @Test
    void aThrowingOrNullModifierChangesNothing() {
        var ch = Watch.channel("a");
        var rx = ch.receiver();
        assertThatThrownBy(() -> ch.sender().sendModify(s -> {
            throw new IllegalStateException("no");
        })).hasMessage("no");
        assertThatThrownBy(() -> ch.sender().sendModify(s -> null)).isInstanceOf(NullPointerException.class);
        assertThat(rx.hasChanged()).isFalse();
        assertThat(rx.borrow()).isEqualTo("a");
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void nullsAreRejected() {
        assertThatThrownBy(() -> Watch.channel(null)).isInstanceOf(NullPointerException.class);
        var ch = Watch.channel("x");
        assertThatThrownBy(() -> ch.sender().send(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ch.sender().sendReplace(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void waitForTestsTheCurrentValueThenEachChange() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(0);
            var rx = ch.receiver();
            assertThat(rt.blockOn(() -> rx.waitFor(v -> v == 0))).isZero();
            var p = spawn(rt, () -> rx.waitFor(v -> v >= 3)).awaitParked();
            ch.sender().send(1);
            ch.sender().send(2);
            ch.sender().send(3);
            assertThat(p.handle.join(Duration.ofSeconds(5))).isEqualTo(3);
            assertThat(rx.hasChanged()).isFalse();
            var q = spawn(rt, () -> rx.waitFor(v -> v > 100)).awaitParked();
            ch.sender().close();
            assertThatThrownBy(() -> q.handle.join(Duration.ofSeconds(5))).hasRootCauseInstanceOf(ClosedException.class);
        }
    }

    @Test
    void markChangedAndMarkUnchanged() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(1);
            var rx = ch.receiver();
            rx.markChanged();
            assertThat(rx.hasChanged()).isTrue();
            assertThat(rt.blockOn(() -> rx.changed(Duration.ZERO))).isTrue();
            ch.sender().send(2);
            rx.markUnchanged();
            assertThat(rx.hasChanged()).isFalse();
        }
    }

    @Test
    void senderClosedParksUntilEveryReceiverIsClosed() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(1);
            var rx2 = ch.receiver().cloneReceiver();
            var p = spawn(rt, () -> {
                ch.sender().closed();
                return true;
            }).awaitParked();
            ch.receiver().close();
            assertThat(p.handle.isFinished()).isFalse();
            rx2.close();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isTrue();
            assertThat(rt.blockOn(() -> {
                ch.sender().closed(); // returns at once now
                return true;
            })).isTrue();
        }
    }

    @Test
    void aClosedReceiverThrowsClosedOnceNothingIsUnseen() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(1);
            var rx = ch.receiver();
            var p = spawn(rt, () -> {
                rx.changed();
                return null;
            }).awaitParked();
            rx.close();
            assertThatThrownBy(() -> p.handle.join(Duration.ofSeconds(5))).hasRootCauseInstanceOf(ClosedException.class);
            assertThat(rx.isClosed()).isTrue();
            assertThatThrownBy(() -> ch.sender().send(2)).isInstanceOf(SendException.class);
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void anAbortedChangedMarksNothingSeen() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel("a");
            var rx = ch.receiver();
            var p = spawn(rt, () -> {
                rx.changed();
                return null;
            }).awaitParked();
            p.abortAndAssertCancelled();
            assertThat(rx.waiterCount()).isZero();
            ch.sender().send("b");
            assertThat(rx.hasChanged()).isTrue();
            assertThat(rt.blockOn(() -> rx.changed(Duration.ofSeconds(1)))).isTrue();
        }
    }

    @Test
    void selectArmMarksSeenOnlyWhenItWins() {
        try (Runtime rt = runtime()) {
            var ch = Watch.channel(0);
            var rx = ch.receiver();
            var token = new CancellationToken();
            token.cancel();
            ch.sender().send(1);
            assertThat(SyncTests.select(token.arm(), rx.arm())).isZero();
            assertThat(rx.hasChanged()).as("the losing arm marked nothing").isTrue();
            assertThat(SyncTests.select(rx.arm())).isZero();
            assertThat(rx.hasChanged()).isFalse();
            var p = spawn(rt, () -> SyncTests.select(rx.arm(), new CancellationToken().arm())).awaitParked();
            ch.sender().send(2);
            assertThat(p.handle.join(Duration.ofSeconds(5))).isZero();
            assertThat(rx.hasChanged()).isFalse();
            var arm = SyncArms.get().changed(rx);
            assertThat(arm.poll(null)).isFalse();
            ch.sender().close();
            assertThatThrownBy(() -> arm.poll(null)).isInstanceOf(ClosedException.class);
        }
    }
}
