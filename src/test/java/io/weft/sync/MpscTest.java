package io.weft.sync;

import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.settle;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.CancelledException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Mpsc channels, bounded and unbounded [Tokio: tests/sync_mpsc.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MpscTest {

    /** A way to make a channel: bounded (small, so senders really park) or unbounded. */
    record Kind(String name, Supplier<Mpsc.Channel<Integer>> make) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Kind> kinds() {
        return Stream.of(new Kind("bounded(4)", () -> Mpsc.channel(4)), new Kind("unbounded", Mpsc::unboundedChannel));
    }

    static Stream<Arguments> kindsAndFlavors() {
        return kinds().flatMap(k -> Stream.of(RuntimeFlavor.values()).map(f -> Arguments.of(k, f)));
    }

    // ---------------------------------------------------------------- send / recv / FIFO

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kindsAndFlavors")
    @Tag(WeftTesting.CONTRACT)
    void sendRecvInOrder(Kind kind, RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            List<Integer> got = rt.blockOn(() -> {
                var ch = kind.make().get();
                JoinHandle<Void> producer = Task.spawn(() -> {
                    try (var tx = ch.sender()) {
                        for (int i = 0; i < 1000; i++) {
                            tx.send(i);
                        }
                    }
                });
                List<Integer> out = new ArrayList<>();
                Integer v;
                while ((v = ch.receiver().recv()) != null) {
                    out.add(v);
                }
                producer.join();
                return out;
            });
            assertThat(got).hasSize(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(got.get(i)).as("message %d in order", i).isEqualTo(i);
            }
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kindsAndFlavors")
    @Tag(WeftTesting.CONTRACT)
    void fifoPerSenderWithManySenders(Kind kind, RuntimeFlavor flavor) {
        final int senders = 4;
        final int perSender = 3000;
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var tx = ch.sender();
                for (int s = 0; s < senders; s++) {
                    var txs = tx.cloneSender();
                    int id = s;
                    Task.spawn(() -> {
                        try (txs) {
                            for (int i = 0; i < perSender; i++) {
                                txs.send(id * 1_000_000 + i);
                            }
                        }
                    });
                }
                tx.close();
                int[] next = new int[senders];
                int total = 0;
                for (Integer v : ch.receiver()) {
                    int id = v / 1_000_000;
                    int seq = v % 1_000_000;
                    assertThat(seq).as("sender %d: FIFO per sender", id).isEqualTo(next[id]);
                    next[id]++;
                    total++;
                }
                assertThat(total).isEqualTo(senders * perSender);
                assertThat(next).containsOnly(perSender);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- back-pressure

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void senderParksWhenFullAndResumesWhenOneIsTaken(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Integer>channel(3);
                var tx = ch.sender();
                var rx = ch.receiver();
                assertThat(tx.capacity()).isEqualTo(3);
                for (int i = 1; i <= 3; i++) {
                    assertThat(tx.trySend(i)).isEqualTo(Mpsc.TrySendResult.SENT);
                }
                assertThat(tx.trySend(99)).as("capacity is exact: a 4th message does not fit")
                    .isEqualTo(Mpsc.TrySendResult.FULL);
                assertThat(rx.size()).isEqualTo(3);

                CountDownLatch sending = new CountDownLatch(1);
                JoinHandle<Void> blocked = Task.spawn(() -> {
                    sending.countDown();
                    tx.send(4);
                });
                sending.await();
                settle();
                assertThat(blocked.isFinished()).as("send parks while the channel is full").isFalse();
                assertThat(rx.size()).isEqualTo(3);

                assertThat(rx.recv()).isEqualTo(1);
                blocked.join(LONG); // the freed slot lets the parked sender through
                assertThat(tx.trySend(5)).as("the parked sender used the freed slot")
                    .isEqualTo(Mpsc.TrySendResult.FULL);
                assertThat(List.of(rx.recv(), rx.recv(), rx.recv())).containsExactly(2, 3, 4);
                assertThat(rx.tryRecv()).isNull();
                return null;
            });
        }
    }

    @Test
    void capacityValidationAndReporting() {
        assertThatThrownBy(() -> Mpsc.channel(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Mpsc.channel(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Mpsc.<Integer>channel(1).sender().capacity()).isEqualTo(1);
        assertThat(Mpsc.<Integer>unboundedChannel().sender().capacity()).isEqualTo(Integer.MAX_VALUE);
        // Capacities that are not powers of two are exact too.
        for (int cap : new int[] {1, 2, 3, 5, 7, 100}) {
            var tx = Mpsc.<Integer>channel(cap).sender();
            for (int i = 0; i < cap; i++) {
                assertThat(tx.trySend(i)).as("capacity %d, message %d", cap, i).isEqualTo(Mpsc.TrySendResult.SENT);
            }
            assertThat(tx.trySend(cap)).as("capacity %d is exact", cap).isEqualTo(Mpsc.TrySendResult.FULL);
        }
    }

    @Test
    void unboundedNeverParks() {
        try (Runtime rt = runtime(RuntimeFlavor.CURRENT_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Integer>unboundedChannel();
                for (int i = 0; i < 100_000; i++) {
                    assertThat(ch.sender().trySend(i)).isEqualTo(Mpsc.TrySendResult.SENT);
                }
                for (int i = 0; i < 1000; i++) {
                    ch.sender().send(i);
                }
                assertThat(ch.receiver().size()).isEqualTo(101_000);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- closing

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    @Tag(WeftTesting.CONTRACT)
    void allSendersClosedRecvDrainsThenReturnsNull(Kind kind) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var tx = ch.sender();
                var tx2 = tx.cloneSender();
                tx.send(1);
                tx2.send(2);
                tx.close();
                assertThat(ch.receiver().isClosed()).as("one sender is still open").isFalse();
                tx2.send(3);
                tx2.close();
                var rx = ch.receiver();
                assertThat(rx.isClosed()).isTrue();
                assertThat(rx.recv()).isEqualTo(1);
                assertThat(rx.tryRecv()).isEqualTo(2);
                assertThat(rx.recv(Duration.ofSeconds(5))).isEqualTo(3);
                assertThat(rx.recv()).isNull();
                assertThat(rx.recv()).as("stays at the end").isNull();
                assertThat(rx.recv(Duration.ofSeconds(5))).isNull();
                assertThatThrownBy(rx::tryRecv).isInstanceOf(ClosedException.class);
                return null;
            });
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kindsAndFlavors")
    void parkedReceiverIsWokenWithNullWhenTheLastSenderCloses(Kind kind, RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var tx2 = ch.sender().cloneSender();
                CountDownLatch receiving = new CountDownLatch(1);
                JoinHandle<Integer> r = Task.spawn(() -> {
                    receiving.countDown();
                    return ch.receiver().recv();
                });
                receiving.await();
                settle();
                ch.sender().close();
                settle();
                assertThat(r.isFinished()).as("one sender is still open").isFalse();
                tx2.close();
                assertThat(r.join(LONG)).isNull();
                return null;
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    @Tag(WeftTesting.CONTRACT)
    void receiverClosedSendFailsWithTheMessage(Kind kind) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var tx = ch.sender();
                assertThat(tx.isClosed()).isFalse();
                ch.receiver().close();
                ch.receiver().close(); // idempotent
                assertThat(tx.isClosed()).isTrue();
                assertThat(ch.receiver().isClosed()).isTrue();
                assertThatThrownBy(() -> tx.send(42))
                    .isInstanceOfSatisfying(SendException.class, e -> assertThat((Integer) e.value()).isEqualTo(42));
                assertThatThrownBy(() -> tx.sendTimeout(43, Duration.ofSeconds(1)))
                    .isInstanceOfSatisfying(SendException.class, e -> assertThat((Integer) e.value()).isEqualTo(43));
                assertThat(tx.trySend(44)).isEqualTo(Mpsc.TrySendResult.CLOSED);
                assertThatThrownBy(tx::reserve).isInstanceOf(ClosedException.class);
                assertThatThrownBy(ch.receiver()::tryRecv).as("nothing got in: closed and empty")
                    .isInstanceOf(ClosedException.class);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void senderParkedOnAFullChannelIsWokenWithSendExceptionWhenTheReceiverCloses(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                ch.sender().send("first");
                CountDownLatch sending = new CountDownLatch(3);
                List<JoinHandle<Object>> parked = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String msg = "parked-" + i;
                    var tx = ch.sender().cloneSender();
                    parked.add(Task.spawn(() -> {
                        sending.countDown();
                        try {
                            tx.send(msg);
                            return "sent";
                        } catch (SendException e) {
                            return e.value();
                        }
                    }));
                }
                sending.await();
                settle();
                for (JoinHandle<Object> h : parked) {
                    assertThat(h.isFinished()).as("parked on the full channel").isFalse();
                }
                ch.receiver().close();
                for (int i = 0; i < 3; i++) {
                    assertThat(parked.get(i).join(LONG)).as("SendException carries the message back")
                        .isEqualTo("parked-" + i);
                }
                // What was queued before the close can still be received.
                assertThat(ch.receiver().tryRecv()).isEqualTo("first");
                assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
                return null;
            });
        }
    }

    /**
     * Tokio's {@code recv_close_gets_none_idle}: after {@code rx.close()} the receiver drains what is
     * queued and then sees the end of the channel ({@code None}), even while senders are still open.
     */
    @Test
    void recvAfterReceiverCloseDrainsThenReturnsNull() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (var ch : List.of(Mpsc.<Integer>channel(4), Mpsc.<Integer>unboundedChannel())) {
                    var tx = ch.sender(); // stays open
                    tx.send(1);
                    ch.receiver().close();
                    assertThat(ch.receiver().recv(Duration.ofSeconds(5))).isEqualTo(1);
                    Object after;
                    try {
                        after = ch.receiver().recv(Duration.ofSeconds(5));
                    } catch (ElapsedException e) {
                        after = e;
                    }
                    assertThat(after).as("closed and drained: the end of the channel").isNull();
                    assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
                    assertThat(tx.isClosed()).isTrue();
                }
                return null;
            });
        }
    }

    /**
     * A send racing with {@code Receiver.close()} is either received (the drain after the close gets it)
     * or refused (trySend says CLOSED / send throws SendException): a message a sender was told is SENT
     * must never be lost because the receiver already reported the end of the channel. Tokio only reports
     * the end after a close once no send is in flight (its semaphore is idle).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    @Tag("stress")
    void sendRacingWithReceiverCloseIsEitherReceivedOrRefused(Kind kind) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (int iteration = 0; iteration < 1000; iteration++) {
                    var ch = kind.make().get();
                    var tx = ch.sender();
                    var rx = ch.receiver();
                    JoinHandle<List<Integer>> sender = Task.spawn(() -> {
                        List<Integer> sent = new ArrayList<>();
                        for (int i = 0; ; i++) {
                            Mpsc.TrySendResult r = tx.trySend(i);
                            if (r == Mpsc.TrySendResult.CLOSED) {
                                return sent;
                            }
                            if (r == Mpsc.TrySendResult.SENT) {
                                sent.add(i);
                            } else {
                                i--; // full: retry the same number
                            }
                            if (r != Mpsc.TrySendResult.SENT || i % 8 == 0) {
                                Task.yieldNow(); // never hog the carrier the receiver is woken onto
                            }
                        }
                    });
                    List<Integer> received = new ArrayList<>();
                    Integer v;
                    while (received.size() < 3 && (v = rx.recv(LONG)) != null) {
                        received.add(v);
                    }
                    rx.close();
                    while ((v = rx.recv(LONG)) != null) { // drains, then sees the end
                        received.add(v);
                    }
                    List<Integer> sent = sender.join(LONG);
                    Integer late = null;
                    try {
                        late = rx.tryRecv();
                    } catch (ClosedException expected) {
                        // the end
                    }
                    assertThat(late).as("%s iteration %d: a message arrived after recv() reported the end "
                        + "(sent %d, received %d)", kind, iteration, sent.size(), received.size()).isNull();
                    assertThat(received).as("%s iteration %d: every message reported SENT is received", kind, iteration)
                        .isEqualTo(sent);
                }
                return null;
            });
        }
    }

    /**
     * Four senders on a channel of capacity 4 (so they park and are served from the waiter queue), one
     * through reserved permits and one with short timeouts, while the receiver takes a random number of
     * messages and closes. Every message a send returned for is received exactly once, in each sender's
     * order; a refused one (SendException, or a timeout) never is. Covers the send gate on every carrier
     * and the hand-over to parked senders racing with close.
     */
    @Test
    @Tag("stress")
    void parkedAndReservingSendersRacingWithReceiverCloseLoseNothing() {
        long seed = System.nanoTime();
        java.util.Random random = new java.util.Random(seed);
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (int iteration = 0; iteration < 300; iteration++) {
                    var ch = Mpsc.<Integer>channel(4);
                    var rx = ch.receiver();
                    List<JoinHandle<List<Integer>>> senders = new ArrayList<>();
                    for (int p = 0; p < 4; p++) {
                        int id = p;
                        var tx = ch.sender().cloneSender();
                        senders.add(Task.spawn(() -> {
                            List<Integer> sent = new ArrayList<>();
                            try (tx) {
                                for (int i = 0; ; i++) {
                                    int msg = id * 1_000_000 + i;
                                    try {
                                        switch (id) {
                                            case 0 -> {
                                                try (var permit = tx.reserve()) {
                                                    permit.send(msg);
                                                }
                                            }
                                            case 1 -> tx.sendTimeout(msg, Duration.ofMillis(1));
                                            default -> tx.send(msg);
                                        }
                                        sent.add(msg);
                                    } catch (SendException | ClosedException e) {
                                        return sent;
                                    } catch (ElapsedException e) {
                                        // not sent; try the next number
                                    }
                                }
                            }
                        }));
                    }
                    ch.sender().close();
                    int take = random.nextInt(40);
                    List<Integer> received = new ArrayList<>();
                    Integer v;
                    while (received.size() < take && (v = rx.recv(LONG)) != null) {
                        received.add(v);
                    }
                    rx.close();
                    while ((v = rx.recv(LONG)) != null) {
                        received.add(v);
                    }
                    List<Integer> allSent = new ArrayList<>();
                    for (JoinHandle<List<Integer>> h : senders) {
                        allSent.addAll(h.join(LONG));
                    }
                    for (int p = 0; p < 4; p++) {
                        int id = p;
                        List<Integer> mine = received.stream().filter(m -> m / 1_000_000 == id).toList();
                        List<Integer> sentByMe = allSent.stream().filter(m -> m / 1_000_000 == id).toList();
                        assertThat(mine).as("seed %d iteration %d sender %d: received = sent, in order", seed,
                            iteration, id).isEqualTo(sentByMe);
                    }
                    assertThat(received).as("seed %d iteration %d", seed, iteration).hasSameSizeAs(allSent);
                }
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- trySend, sendTimeout, reserve

    @Test
    @Tag(WeftTesting.CONTRACT)
    void trySendReportsSentFullAndClosed() {
        var ch = Mpsc.<String>channel(2);
        var tx = ch.sender();
        assertThat(tx.trySend("a")).isEqualTo(Mpsc.TrySendResult.SENT);
        assertThat(tx.trySend("b")).isEqualTo(Mpsc.TrySendResult.SENT);
        assertThat(tx.trySend("c")).isEqualTo(Mpsc.TrySendResult.FULL);
        assertThat(ch.receiver().tryRecv()).isEqualTo("a");
        assertThat(tx.trySend("d")).isEqualTo(Mpsc.TrySendResult.SENT);
        assertThat(tx.trySend("e")).isEqualTo(Mpsc.TrySendResult.FULL);
        ch.receiver().close();
        assertThat(tx.trySend("f")).isEqualTo(Mpsc.TrySendResult.CLOSED);
        assertThat(ch.receiver().tryRecv()).isEqualTo("b");
        assertThat(ch.receiver().tryRecv()).isEqualTo("d");
        // Closed and drained: the end of the channel (Tokio's TryRecvError::Disconnected).
        assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void sendTimeoutElapsesWhenFullAndSendsWhenThereIsRoom(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Integer>channel(1);
                var tx = ch.sender();
                tx.sendTimeout(1, Duration.ofMillis(10)); // room: no wait
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> tx.sendTimeout(2, Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
                assertThat(System.nanoTime() - t0).as("waited at least the timeout")
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
                assertThat(ch.receiver().size()).as("the timed-out message was not sent").isEqualTo(1);
                assertThat(ch.receiver().recv()).isEqualTo(1);
                assertThat(ch.receiver().tryRecv()).isNull();
                // A timed-out send does not keep the capacity it waited for.
                assertThat(tx.trySend(3)).isEqualTo(Mpsc.TrySendResult.SENT);
                assertThat(tx.trySend(4)).isEqualTo(Mpsc.TrySendResult.FULL);

                // A send that times out only if nobody makes room: a receiver takes one in time.
                JoinHandle<Integer> taker = Task.spawn(() -> {
                    WeftTesting.sleep(Duration.ofMillis(20));
                    return ch.receiver().recv();
                });
                tx.sendTimeout(5, LONG);
                assertThat(taker.join(LONG)).isEqualTo(3);
                assertThat(ch.receiver().recv()).isEqualTo(5);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void reservedPermitSendsWithoutParkingAndGivesCapacityBackWhenClosedUnused() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                var tx = ch.sender();
                var rx = ch.receiver();

                Mpsc.Permit<String> p = tx.reserve();
                assertThat(tx.trySend("x")).as("the permit holds the only slot").isEqualTo(Mpsc.TrySendResult.FULL);
                p.send("via permit");
                assertThatThrownBy(() -> p.send("again")).isInstanceOf(IllegalStateException.class);
                p.close(); // after a send: no effect
                assertThat(tx.trySend("x")).as("the sent message fills the channel").isEqualTo(Mpsc.TrySendResult.FULL);
                assertThat(rx.recv()).isEqualTo("via permit");

                Mpsc.Permit<String> unused = tx.reserve();
                assertThat(tx.trySend("y")).isEqualTo(Mpsc.TrySendResult.FULL);
                unused.close();
                unused.close(); // idempotent: gives back one slot, not two
                assertThatThrownBy(() -> unused.send("late")).isInstanceOf(IllegalStateException.class);
                assertThat(tx.trySend("y")).isEqualTo(Mpsc.TrySendResult.SENT);
                assertThat(tx.trySend("z")).as("capacity is still exactly 1").isEqualTo(Mpsc.TrySendResult.FULL);
                assertThat(rx.recv()).isEqualTo("y");
                assertThat(rx.tryRecv()).isNull();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void reserveParksWhileFull(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                var tx = ch.sender();
                tx.send("a");
                CountDownLatch reserving = new CountDownLatch(1);
                JoinHandle<Void> h = Task.spawn(() -> {
                    reserving.countDown();
                    try (var p = tx.reserve()) {
                        p.send("b");
                    }
                });
                reserving.await();
                settle();
                assertThat(h.isFinished()).as("reserve parks while full").isFalse();
                assertThat(ch.receiver().recv()).isEqualTo("a");
                h.join(LONG);
                assertThat(ch.receiver().recv()).isEqualTo("b");
                return null;
            });
        }
    }

    @Test
    void permitSendAfterReceiverClosedFailsWithTheMessage() {
        var ch = Mpsc.<String>channel(2);
        var p = ch.sender().reserve();
        ch.receiver().close();
        assertThatThrownBy(() -> p.send("m"))
            .isInstanceOfSatisfying(SendException.class, e -> assertThat((String) e.value()).isEqualTo("m"));
        assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
    }

    @Test
    void reserveOnUnboundedChannel() {
        var ch = Mpsc.<String>unboundedChannel();
        try (var p = ch.sender().reserve()) {
            p.send("u");
        }
        ch.sender().reserve().close();
        assertThat(ch.receiver().tryRecv()).isEqualTo("u");
        assertThat(ch.receiver().tryRecv()).isNull();
    }

    // ---------------------------------------------------------------- recv(Duration), tryRecv, recvMany, iteration

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void recvWithTimeout(Kind kind) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> ch.receiver().recv(Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
                ch.sender().send(7);
                assertThat(ch.receiver().recv(Duration.ofMillis(1))).isEqualTo(7);
                JoinHandle<Void> late = Task.spawn(() -> {
                    WeftTesting.sleep(Duration.ofMillis(20));
                    ch.sender().send(8);
                });
                assertThat(ch.receiver().recv(LONG)).isEqualTo(8);
                late.join();
                // A timeout does not lose a message that arrives afterwards.
                assertThatThrownBy(() -> ch.receiver().recv(Duration.ZERO)).isInstanceOf(ElapsedException.class);
                ch.sender().send(9);
                assertThat(ch.receiver().recv()).isEqualTo(9);
                ch.sender().close();
                assertThat(ch.receiver().recv(Duration.ofSeconds(5))).isNull();
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void tryRecvDistinguishesEmptyFromClosed() {
        var ch = Mpsc.<Integer>channel(4);
        var rx = ch.receiver();
        assertThat(rx.tryRecv()).as("empty").isNull();
        assertThat(rx.isEmpty()).isTrue();
        ch.sender().trySend(1);
        assertThat(rx.isEmpty()).isFalse();
        assertThat(rx.tryRecv()).isEqualTo(1);
        assertThat(rx.tryRecv()).isNull();
        ch.sender().trySend(2);
        ch.sender().close();
        assertThat(rx.tryRecv()).as("closed but not drained").isEqualTo(2);
        assertThatThrownBy(rx::tryRecv).isInstanceOf(ClosedException.class);
        assertThatThrownBy(rx::tryRecv).isInstanceOf(ClosedException.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void recvManyTakesUpToTheLimit(Kind kind) {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var rx = ch.receiver();
                assertThatThrownBy(() -> rx.recvMany(new ArrayList<>(), 0)).isInstanceOf(IllegalArgumentException.class);
                for (int i = 0; i < 4; i++) {
                    ch.sender().send(i);
                }
                List<Integer> buf = new ArrayList<>(List.of(-1));
                assertThat(rx.recvMany(buf, 3)).isEqualTo(3);
                assertThat(buf).as("appends to the buffer").containsExactly(-1, 0, 1, 2);
                buf.clear();
                assertThat(rx.recvMany(buf, 10)).isEqualTo(1);
                assertThat(buf).containsExactly(3);

                // Parks until at least one message is there.
                buf.clear();
                JoinHandle<Integer> h = Task.spawn(() -> rx.recvMany(buf, 10));
                settle();
                assertThat(h.isFinished()).isFalse();
                ch.sender().send(10);
                assertThat(h.join(LONG)).isGreaterThanOrEqualTo(1);
                assertThat(buf.getFirst()).isEqualTo(10);

                ch.sender().send(11);
                ch.sender().close();
                buf.clear();
                assertThat(rx.recvMany(buf, 10)).isEqualTo(1);
                assertThat(rx.recvMany(buf, 10)).as("0 only at the end of the channel").isZero();
                assertThat(buf).containsExactly(11);
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void iterationEndsWhenTheChannelEnds() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            List<Integer> got = rt.blockOn(() -> {
                var ch = Mpsc.<Integer>channel(2);
                Task.spawn(() -> {
                    try (var tx = ch.sender()) {
                        for (int i = 0; i < 50; i++) {
                            tx.send(i);
                        }
                    }
                });
                List<Integer> out = new ArrayList<>();
                for (int v : ch.receiver()) {
                    out.add(v);
                }
                var it = ch.receiver().iterator();
                assertThat(it.hasNext()).isFalse();
                assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
                return out;
            });
            assertThat(got).hasSize(50).isSorted().startsWith(0).endsWith(49);
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void nullMessagesAreRejected() {
        var ch = Mpsc.<String>channel(1);
        var tx = ch.sender();
        assertThatThrownBy(() -> tx.send(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> tx.trySend(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> tx.sendTimeout(null, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
        var p = tx.reserve();
        assertThatThrownBy(() -> p.send(null)).isInstanceOf(NullPointerException.class);
        p.close();
        // Nothing was queued and no capacity was spent by the rejected calls.
        assertThat(ch.receiver().tryRecv()).isNull();
        assertThat(tx.trySend("ok")).isEqualTo(Mpsc.TrySendResult.SENT);
        assertThatThrownBy(() -> Mpsc.<String>unboundedChannel().sender().send(null))
            .isInstanceOf(NullPointerException.class);
    }

    // ---------------------------------------------------------------- abort

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kindsAndFlavors")
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedInRecvLosesNoMessage(Kind kind, RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                AtomicReference<Throwable> seen = new AtomicReference<>();
                CountDownLatch receiving = new CountDownLatch(1);
                JoinHandle<Integer> r = Task.spawn(() -> {
                    receiving.countDown();
                    try {
                        return ch.receiver().recv();
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                receiving.await();
                settle();
                abortAndAssertCancelled(r);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);
                ch.sender().send(1);
                ch.sender().send(2);
                assertThat(Task.spawn(() -> ch.receiver().recv()).join(LONG)).as("the next recv gets it").isEqualTo(1);
                assertThat(ch.receiver().recv()).isEqualTo(2);
                return null;
            });
        }
    }

    /** Abort races with a send: the message is received exactly once, by the aborted recv or the next one. */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("kindsAndFlavors")
    void abortRacingWithSendDeliversTheMessageExactlyOnce(Kind kind, RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = kind.make().get();
                var rx = ch.receiver();
                for (int i = 0; i < 300; i++) {
                    JoinHandle<Integer> r = Task.spawn(() -> rx.recv());
                    if (i % 3 != 0) {
                        Task.yieldNow(); // vary whether the receiver has parked yet
                    }
                    ch.sender().send(i);
                    r.abort();
                    Integer got;
                    try {
                        got = r.join(LONG);
                    } catch (io.weft.task.JoinException e) {
                        assertThat(e.isCancelled()).isTrue();
                        got = null;
                    }
                    Integer left = rx.tryRecv();
                    assertThat(got == null ? left : got).as("iteration %d: received by one of them", i).isEqualTo(i);
                    if (got != null) {
                        assertThat(left).as("iteration %d: and not twice", i).isNull();
                    }
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedInSendOnAFullChannel(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<String>channel(1);
                var tx = ch.sender();
                tx.send("a");
                CountDownLatch sending = new CountDownLatch(1);
                AtomicReference<Throwable> seen = new AtomicReference<>();
                JoinHandle<Void> s = Task.spawn(() -> {
                    sending.countDown();
                    try {
                        tx.send("b");
                    } catch (Throwable t) {
                        seen.set(t);
                        throw t;
                    }
                });
                sending.await();
                settle();
                assertThat(s.isFinished()).isFalse();
                abortAndAssertCancelled(s);
                assertThat(seen.get()).isInstanceOf(CancelledException.class);

                assertThat(ch.receiver().recv()).isEqualTo("a");
                assertThat(ch.receiver().tryRecv()).as("the aborted send's message is not delivered").isNull();
                // The slot freed by recv went to nobody: capacity is not leaked and not doubled.
                assertThat(tx.trySend("c")).isEqualTo(Mpsc.TrySendResult.SENT);
                assertThat(tx.trySend("d")).isEqualTo(Mpsc.TrySendResult.FULL);
                assertThat(ch.receiver().recv()).isEqualTo("c");
                assertThat(tx.trySend("e")).isEqualTo(Mpsc.TrySendResult.SENT);
                return null;
            });
        }
    }

    /** A sender aborted while queued behind others on a full channel passes its turn on. */
    @Test
    void abortedParkedSenderDoesNotBlockTheSendersBehindIt() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Integer>channel(1);
                var tx = ch.sender();
                tx.send(0);
                List<JoinHandle<Void>> senders = new ArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    int v = i;
                    senders.add(Task.spawn(() -> tx.send(v)));
                    settle(); // queue them in order
                }
                abortAndAssertCancelled(senders.get(0));
                assertThat(ch.receiver().recv()).isEqualTo(0);
                assertThat(ch.receiver().recv(LONG)).isEqualTo(2);
                assertThat(ch.receiver().recv(LONG)).isEqualTo(3);
                senders.get(1).join(LONG);
                senders.get(2).join(LONG);
                assertThat(ch.receiver().tryRecv()).isNull();
                assertThat(tx.trySend(4)).isEqualTo(Mpsc.TrySendResult.SENT);
                assertThat(tx.trySend(5)).isEqualTo(Mpsc.TrySendResult.FULL);
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- senders

    @Test
    @Tag(WeftTesting.CONTRACT)
    void theChannelClosesWhenEverySenderIsClosedAndNotBefore() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Integer>channel(4);
                var tx = ch.sender();
                var a = tx.cloneSender();
                var b = a.cloneSender();
                var rx = ch.receiver();
                tx.close();
                tx.close(); // idempotent: must not count as a second sender closing
                tx.close();
                assertThatThrownBy(() -> tx.send(1)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> tx.trySend(1)).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(tx::cloneSender).isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> rx.recv(Duration.ofMillis(30))).isInstanceOf(ElapsedException.class);
                assertThat(rx.isClosed()).isFalse();
                a.close();
                a.close();
                assertThatThrownBy(() -> rx.recv(Duration.ofMillis(30))).as("b is still open")
                    .isInstanceOf(ElapsedException.class);
                b.send(5);
                b.close();
                assertThat(rx.isClosed()).isTrue();
                assertThat(rx.recv()).isEqualTo(5);
                assertThat(rx.recv()).isNull();
                return null;
            });
        }
    }

    @Test
    void actionsBeforeSendHappenBeforeRecv() {
        final class Box {
            int plain;
        }
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                var ch = Mpsc.<Box>channel(8);
                Task.spawn(() -> {
                    try (var tx = ch.sender()) {
                        for (int i = 1; i <= 20_000; i++) {
                            Box b = new Box();
                            b.plain = i;
                            tx.send(b);
                        }
                    }
                });
                int expect = 1;
                for (Box b : ch.receiver()) {
                    assertThat(b.plain).isEqualTo(expect++);
                }
                assertThat(expect).isEqualTo(20_001);
                return null;
            });
        }
    }
}
