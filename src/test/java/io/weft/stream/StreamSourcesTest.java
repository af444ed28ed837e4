package io.weft.stream;

import static io.weft.stream.StreamTests.on;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.sync.Broadcast;
import io.weft.sync.LaggedException;
import io.weft.sync.Mpsc;
import io.weft.sync.SendException;
import io.weft.sync.Watch;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Channel receivers as streams [tokio-stream: wrappers ReceiverStream, BroadcastStream, WatchStream]:
 * the end follows the channel's, closing the stream closes the receiver, an aborted consumer loses
 * nothing, and a lagging broadcast receiver surfaces its lag and carries on.
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(30)
class StreamSourcesTest {

    @Test
    void mpscStreamEndsWhenEverySenderIsClosed() {
        on(() -> {
            var ch = Mpsc.<Integer>channel(4);
            Task.spawn(() -> {
                try (var tx = ch.sender()) {
                    for (int i = 0; i < 10; i++) {
                        tx.send(i);
                    }
                }
            });
            assertThat(ch.receiver().stream().toList()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            return null;
        });
    }

    @Test
    void closingAnMpscStreamClosesTheReceiverSoSendersFail() {
        on(() -> {
            var ch = Mpsc.<Integer>channel(1);
            var tx = ch.sender();
            JoinHandle<Integer> producer = Task.spawn(() -> {
                int sent = 0;
                try {
                    for (;; sent++) {
                        tx.send(sent);
                    }
                } catch (SendException e) {
                    return sent;
                }
            });
            try (var s = ch.receiver().stream()) {
                assertThat(s.next()).isEqualTo(0);
                assertThat(s.next()).isEqualTo(1);
            }
            assertThat(producer.join()).as("the parked producer was failed by the close").isBetween(2, 4);
            assertThatThrownBy(() -> tx.send(99)).isInstanceOf(SendException.class);
            return null;
        });
    }

    @Test
    void closingFromAnotherTaskEndsAConsumerParkedInNext() {
        on(() -> {
            var ch = Mpsc.<Integer>channel(4);
            var tx = ch.sender();
            for (Stream<Integer> s : List.of(ch.receiver().stream(), Mpsc.<Integer>channel(1).receiver().stream()
                    .merge(Stream.<Integer>fromPull(() -> {
                        io.weft.time.Time.sleep(Duration.ofHours(1));
                        return 0;
                    }, () -> { })))) {
                AtomicReference<Thread> consumer = new AtomicReference<>();
                JoinHandle<Integer> h = Task.spawn(() -> {
                    consumer.set(Thread.currentThread());
                    return s.next();
                });
                WeftTesting.eventually(Duration.ofSeconds(5), () -> consumer.get() != null
                    && consumer.get().getState() == Thread.State.WAITING, () -> "consumer never parked");
                s.close();
                assertThat(h.join(Duration.ofSeconds(5))).isNull();
            }
            assertThatThrownBy(() -> tx.send(1)).isInstanceOf(SendException.class);
            return null;
        });
    }

    @Test
    void anAbortedConsumerLosesNoElement() {
        on(() -> {
            var ch = Mpsc.<String>channel(4);
            var s = ch.receiver().stream();
            AtomicReference<Thread> consumer = new AtomicReference<>();
            JoinHandle<String> h = Task.spawn(() -> {
                consumer.set(Thread.currentThread());
                return s.next();
            });
            WeftTesting.eventually(Duration.ofSeconds(5), () -> consumer.get() != null
                && consumer.get().getState() == Thread.State.WAITING, () -> "consumer never parked");
            h.abort();
            assertThatThrownBy(h::join).isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            ch.sender().send("kept");
            assertThat(s.next()).isEqualTo("kept");
            s.close();
            return null;
        });
    }

    @Test
    void abortingATaskThatConsumesWithTryWithResourcesClosesTheSource() {
        on(() -> {
            var ch = Mpsc.<Integer>channel(4);
            var tx = ch.sender();
            JoinHandle<Void> h = Task.spawn(() -> {
                try (var s = ch.receiver().stream().map(i -> i * 2)) {
                    for (int v : s) {
                        assertThat(v).isEven();
                    }
                }
            });
            tx.send(1);
            WeftTesting.eventually(Duration.ofSeconds(5), () -> ch.receiver().isEmpty(), () -> "not consumed");
            h.abort();
            assertThatThrownBy(h::join).isInstanceOf(JoinException.class);
            assertThat(tx.isClosed()).as("the receiver was closed by the stream's close").isTrue();
            return null;
        });
    }

    @Test
    void broadcastStreamSurfacesLagAndCarriesOn() {
        on(() -> {
            var ch = Broadcast.<Integer>channel(2);
            var tx = ch.sender();
            var s = ch.receiver().stream();
            for (int i = 0; i < 5; i++) {
                tx.send(i);
            }
            tx.close();
            assertThatThrownBy(s::next).isInstanceOfSatisfying(LaggedException.class,
                e -> assertThat(e.skipped()).isEqualTo(3));
            List<Integer> rest = new ArrayList<>();
            Integer v;
            while ((v = s.next()) != null) {
                rest.add(v);
            }
            assertThat(rest).containsExactly(3, 4);
            return null;
        });
    }

    @Test
    void closingABroadcastStreamUnsubscribes() {
        on(() -> {
            var ch = Broadcast.<Integer>channel(4);
            var tx = ch.sender();
            var s = ch.receiver().stream();
            assertThat(tx.receiverCount()).isEqualTo(1);
            s.close();
            assertThat(tx.receiverCount()).isZero();
            assertThatThrownBy(() -> tx.send(1)).isInstanceOf(SendException.class);
            return null;
        });
    }

    @Test
    void watchStreamYieldsTheCurrentValueThenChangesThenEnds() {
        on(() -> {
            var ch = Watch.channel("a");
            var tx = ch.sender();
            var s = ch.receiver().stream();
            assertThat(s.next()).isEqualTo("a");
            tx.send("b");
            tx.send("c"); // coalesces with b
            assertThat(s.next()).isEqualTo("c");
            JoinHandle<String> waiting = Task.spawn(s::next);
            tx.send("d");
            assertThat(waiting.join()).isEqualTo("d");
            tx.send("e");
            tx.close();
            assertThat(s.next()).as("the last value before the close").isEqualTo("e");
            assertThat(s.next()).isNull();
            return null;
        });
    }

    @Test
    void watchChangesSkipsTheCurrentValueAndClosingClosesTheReceiver() {
        on(() -> {
            var ch = Watch.channel(0);
            var tx = ch.sender();
            var s = ch.receiver().changes();
            tx.send(1);
            assertThat(s.next()).isEqualTo(1);
            s.close();
            assertThat(tx.receiverCount()).isZero();
            assertThat(s.next()).isNull();
            return null;
        });
    }
}
