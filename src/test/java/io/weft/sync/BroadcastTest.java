package io.weft.sync;

import static io.weft.sync.SyncTests.runtime;
import static io.weft.sync.SyncTests.spawn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.internal.sync.SyncArms;
import io.weft.runtime.Runtime;
import io.weft.task.JoinHandle;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Broadcast [Tokio: tests/sync_broadcast.rs]. */
@Timeout(20)
class BroadcastTest {

    @Test
    @Tag(SyncTests.CONTRACT)
    void sendTryRecvBounded() {
        var ch = Broadcast.<String>channel(16);
        var tx = ch.sender();
        var rx = ch.receiver();
        assertThat(rx.tryRecv()).isNull();
        assertThat(tx.send("hello")).isEqualTo(1);
        assertThat(rx.len()).isEqualTo(1);
        assertThat(rx.tryRecv()).isEqualTo("hello");
        assertThat(rx.tryRecv()).isNull();
        assertThat(rx.isEmpty()).isTrue();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void everyReceiverSeesEveryValueInOrder() {
        var ch = Broadcast.<Integer>channel(8);
        var tx = ch.sender();
        var rx1 = ch.receiver();
        var rx2 = tx.subscribe();
        assertThat(tx.receiverCount()).isEqualTo(2);
        for (int i = 0; i < 5; i++) {
            assertThat(tx.send(i)).isEqualTo(2);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(rx1.tryRecv()).isEqualTo(i);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(rx2.tryRecv()).isEqualTo(i);
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void recvParksUntilASend() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<String>channel(4);
            var rx2 = ch.sender().subscribe();
            var a = spawn(rt, () -> ch.receiver().recv()).awaitParked();
            var b = spawn(rt, () -> rx2.recv()).awaitParked();
            assertThat(Broadcast.waiterCount(rx2)).isEqualTo(2);
            ch.sender().send("x");
            assertThat(a.handle.join(Duration.ofSeconds(5))).isEqualTo("x");
            assertThat(b.handle.join(Duration.ofSeconds(5))).isEqualTo("x");
        }
    }

    @Test
    void subscribersSeeOnlyLaterValues() {
        var ch = Broadcast.<Integer>channel(4);
        var tx = ch.sender();
        tx.send(1);
        var late = tx.subscribe();
        tx.send(2);
        assertThat(late.tryRecv()).isEqualTo(2);
        assertThat(late.tryRecv()).isNull();
        assertThat(ch.receiver().tryRecv()).isEqualTo(1);
        var again = ch.receiver().resubscribe();
        assertThat(again.tryRecv()).as("resubscribe starts at the tail").isNull();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void sendWithoutReceiversFailsAndGivesTheValueBack() {
        var ch = Broadcast.<String>channel(2);
        ch.receiver().close();
        assertThatThrownBy(() -> ch.sender().send("lost?"))
            .isInstanceOfSatisfying(SendException.class, e -> assertThat(e.<String>value()).isEqualTo("lost?"));
        var rx = ch.sender().subscribe();
        assertThat(ch.sender().send("ok")).isEqualTo(1);
        assertThat(rx.tryRecv()).isEqualTo("ok");
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void aLaggingReceiverIsToldExactlyHowManyItMissed() {
        var ch = Broadcast.<Integer>channel(2);
        var tx = ch.sender();
        var rx = ch.receiver();
        for (int i = 1; i <= 5; i++) {
            tx.send(i);
        }
        assertThat(rx.len()).isEqualTo(2);
        assertThatThrownBy(rx::tryRecv).isInstanceOfSatisfying(LaggedException.class,
            e -> assertThat(e.skipped()).isEqualTo(3));
        assertThat(rx.tryRecv()).as("resumes at the oldest kept value").isEqualTo(4);
        assertThat(rx.tryRecv()).isEqualTo(5);
        assertThat(rx.tryRecv()).isNull();
        tx.send(6);
        tx.send(7);
        tx.send(8);
        assertThatThrownBy(rx::tryRecv).isInstanceOfSatisfying(LaggedException.class,
            e -> assertThat(e.skipped()).isEqualTo(1));
        assertThat(rx.tryRecv()).isEqualTo(7);
    }

    @Test
    void recvAlsoReportsLag() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<Integer>channel(3);
            for (int i = 0; i < 10; i++) {
                ch.sender().send(i);
            }
            var rx = ch.receiver();
            rt.blockOn(() -> {
                assertThatThrownBy(rx::recv).isInstanceOfSatisfying(LaggedException.class,
                    e -> assertThat(e.skipped()).isEqualTo(7));
                assertThat(rx.recv()).isEqualTo(7);
                return null;
            });
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void closingEverySenderEndsTheReceiversAfterTheBufferedValues() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<String>channel(4);
            var tx = ch.sender();
            var tx2 = tx.cloneSender();
            var rx = ch.receiver();
            tx.send("a");
            tx.send("b");
            tx.close();
            tx.close();
            assertThat(rx.isClosed()).isFalse();
            assertThatThrownBy(() -> tx.send("c")).isInstanceOf(IllegalStateException.class);
            tx2.send("c");
            var parked = spawn(rt, () -> {
                var got = new ArrayList<String>();
                String v;
                while ((v = rx.recv()) != null) {
                    got.add(v);
                }
                return got;
            });
            rt.blockOn(() -> {
                while (!rx.isEmpty()) {
                    Thread.sleep(1);
                }
                return null;
            });
            parked.awaitParked();
            tx2.close();
            assertThat(parked.handle.join(Duration.ofSeconds(5))).containsExactly("a", "b", "c");
            assertThat(rx.isClosed()).isTrue();
            assertThatThrownBy(rx::tryRecv).isInstanceOf(ClosedException.class);
            String last = rt.blockOn(() -> rx.recv());
            assertThat(last).isNull();
        }
    }

    @Test
    void closingAReceiverStopsItCountingAndEndsItsRecv() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<Integer>channel(4);
            var tx = ch.sender();
            var rx = ch.receiver();
            var other = tx.subscribe();
            var p = spawn(rt, () -> rx.recv()).awaitParked();
            rx.close();
            assertThat(p.handle.join(Duration.ofSeconds(5))).isNull();
            assertThat(tx.send(1)).isEqualTo(1);
            assertThat(tx.receiverCount()).isEqualTo(1);
            assertThat(other.tryRecv()).isEqualTo(1);
            rx.close();
            assertThat(tx.receiverCount()).isEqualTo(1);
        }
    }

    @Test
    void aValueIsReleasedOnceEveryReceiverHasSeenIt() {
        var ch = Broadcast.<Object>channel(4);
        var tx = ch.sender();
        var rx1 = ch.receiver();
        var rx2 = tx.subscribe();
        var rx3 = tx.subscribe();
        tx.send(new Object());
        assertThat(Broadcast.slotValue(rx1, 0)).isNotNull();
        rx1.tryRecv();
        rx2.tryRecv();
        assertThat(Broadcast.slotValue(rx1, 0)).as("rx3 has not read it").isNotNull();
        rx3.close(); // a closing receiver releases what it never read
        assertThat(Broadcast.slotValue(rx1, 0)).isNull();
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void nullsAreRejected() {
        var ch = Broadcast.<String>channel(1);
        assertThatThrownBy(() -> ch.sender().send(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Broadcast.channel(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void recvWithTimeoutElapsesAndTakesNothing() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<String>channel(2);
            var rx = ch.receiver();
            rt.blockOn(() -> {
                assertThatThrownBy(() -> rx.recv(Duration.ofMillis(20))).isInstanceOf(ElapsedException.class);
                return null;
            });
            ch.sender().send("v");
            assertThat(rt.blockOn(() -> rx.recv(Duration.ofSeconds(1)))).isEqualTo("v");
        }
    }

    @Test
    @Tag(SyncTests.CONTRACT)
    void anAbortedRecvLosesNothing() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<String>channel(2);
            var rx = ch.receiver();
            var p = spawn(rt, () -> rx.recv()).awaitParked();
            p.abortAndAssertCancelled();
            assertThat(Broadcast.waiterCount(rx)).isZero();
            ch.sender().send("kept");
            assertThat(rx.tryRecv()).isEqualTo("kept");
        }
    }

    @Test
    void aReceiverSharedByTwoTasksHandsEachValueToOne() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<Integer>channel(1024);
            var rx = ch.receiver();
            Set<Integer> seen = ConcurrentHashMap.newKeySet();
            List<JoinHandle<Integer>> hs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                hs.add(rt.spawn(() -> {
                    int n = 0;
                    Integer v;
                    while ((v = rx.recv()) != null) {
                        assertThat(seen.add(v)).as("%d delivered twice", v).isTrue();
                        n++;
                    }
                    return n;
                }));
            }
            for (int i = 0; i < 1000; i++) {
                ch.sender().send(i);
            }
            ch.sender().close();
            int total = 0;
            for (var h : hs) {
                total += h.join(Duration.ofSeconds(5));
            }
            assertThat(total).isEqualTo(1000);
        }
    }

    @Test
    void selectArmTakesAValueOnlyWhenItWins() {
        try (Runtime rt = runtime()) {
            var ch = Broadcast.<String>channel(4);
            var rx = ch.receiver();
            Object[] out = new Object[1];
            var token = new CancellationToken();
            token.cancel();
            ch.sender().send("stays");
            // Both arms are ready; the biased token arm wins and the value stays in the channel.
            assertThat(SyncTests.select(token.arm(), rx.arm(out))).isZero();
            assertThat(out[0]).isNull();
            assertThat(rx.tryRecv()).isEqualTo("stays");
            var p = spawn(rt, () -> SyncTests.select(rx.arm(out), new CancellationToken().arm())).awaitParked();
            ch.sender().send("taken");
            assertThat(p.handle.join(Duration.ofSeconds(5))).isZero();
            assertThat(out[0]).isEqualTo("taken");
            ch.sender().close();
            assertThat(SyncTests.select(rx.arm(out))).isZero();
            assertThat(out[0]).as("null at the end of the channel").isNull();
        }
    }

    @Test
    void theSelectRecvHookAcceptsBroadcastReceivers() {
        var ch = Broadcast.<String>channel(4);
        Object[] out = new Object[1];
        var arm = SyncArms.get().recv(ch.receiver(), out);
        ch.sender().send("s");
        assertThat(arm.poll(null)).isTrue();
        assertThat(out[0]).isEqualTo("s");
    }
}
