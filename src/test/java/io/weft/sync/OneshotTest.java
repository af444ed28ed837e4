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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Oneshot channels [Tokio: tests/sync_oneshot.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OneshotTest {

    @Test
    @Tag(WeftTesting.CONTRACT)
    void sendThenRecv() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            assertThat(rt.blockOn(() -> {
                var ch = Oneshot.<Integer>channel();
                ch.sender().send(1);
                return ch.receiver().recv();
            })).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void recvParksUntilSent(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Oneshot.<String>channel();
                CountDownLatch receiving = new CountDownLatch(1);
                JoinHandle<String> r = Task.spawn(() -> {
                    receiving.countDown();
                    return ch.receiver().recv();
                });
                receiving.await();
                settle();
                assertThat(r.isFinished()).as("recv parks until the value is sent").isFalse();
                ch.sender().send("hello");
                assertThat(r.join(LONG)).isEqualTo("hello");
                return null;
            });
        }
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void senderClosedWithoutSendingFailsTheReceiver() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                // Closed before recv.
                var ch = Oneshot.<Integer>channel();
                ch.sender().close();
                ch.sender().close(); // idempotent
                assertThatThrownBy(ch.receiver()::recv).isInstanceOf(ClosedException.class);
                assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
                assertThatThrownBy(() -> ch.receiver().recv(Duration.ofSeconds(1))).isInstanceOf(ClosedException.class);

                // Closed while the receiver is parked.
                var ch2 = Oneshot.<Integer>channel();
                JoinHandle<Object> r = Task.spawn(() -> {
                    try {
                        return ch2.receiver().recv();
                    } catch (ClosedException e) {
                        return e;
                    }
                });
                settle();
                ch2.sender().close();
                assertThat(r.join(LONG)).isInstanceOf(ClosedException.class);
                // A send after close is a second use of the sender.
                assertThatThrownBy(() -> ch2.sender().send(1)).isInstanceOf(IllegalStateException.class);
                return null;
            });
        }
    }

    @Test
    void closingTheSenderAfterSendingHasNoEffect() {
        var ch = Oneshot.<Integer>channel();
        ch.sender().send(5);
        ch.sender().close();
        assertThat(ch.receiver().tryRecv()).isEqualTo(5);
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void receiverClosedSendFailsWithTheValue() {
        var ch = Oneshot.<String>channel();
        assertThat(ch.sender().isClosed()).isFalse();
        ch.receiver().close();
        ch.receiver().close(); // idempotent
        assertThat(ch.sender().isClosed()).isTrue();
        assertThatThrownBy(() -> ch.sender().send("v"))
            .isInstanceOfSatisfying(SendException.class, e -> assertThat((String) e.value()).isEqualTo("v"));
    }

    @Test
    void valueSentBeforeTheReceiverClosedCanStillBeTaken() {
        var ch = Oneshot.<String>channel();
        ch.sender().send("kept");
        ch.receiver().close();
        assertThat(ch.receiver().tryRecv()).isEqualTo("kept");
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void doubleSendIsRejectedAndKeepsTheFirstValue() {
        var ch = Oneshot.<Integer>channel();
        ch.sender().send(1);
        assertThatThrownBy(() -> ch.sender().send(2)).isInstanceOf(IllegalStateException.class);
        assertThat(ch.receiver().tryRecv()).isEqualTo(1);
        assertThatThrownBy(ch.receiver()::tryRecv).as("already received").isInstanceOf(ClosedException.class);
    }

    @Test
    void nullIsRejected() {
        var ch = Oneshot.<Integer>channel();
        assertThatThrownBy(() -> ch.sender().send(null)).isInstanceOf(NullPointerException.class);
        ch.sender().send(3); // the sender is still usable
        assertThat(ch.receiver().tryRecv()).isEqualTo(3);
    }

    @Test
    @Tag(WeftTesting.CONTRACT)
    void tryRecvBeforeAndAfterSend() {
        var ch = Oneshot.<Integer>channel();
        assertThat(ch.receiver().tryRecv()).as("not sent yet").isNull();
        assertThat(ch.receiver().tryRecv()).isNull();
        ch.sender().send(9);
        assertThat(ch.receiver().tryRecv()).isEqualTo(9);
        assertThatThrownBy(ch.receiver()::tryRecv).isInstanceOf(ClosedException.class);
        assertThatThrownBy(ch.receiver()::recv).as("recv after the value was taken").isInstanceOf(ClosedException.class);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void recvWithTimeout(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Oneshot.<Integer>channel();
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> ch.receiver().recv(Duration.ofMillis(50))).isInstanceOf(ElapsedException.class);
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(45));
                // "The value may still come: call again."
                Task.spawn(() -> {
                    WeftTesting.sleep(Duration.ofMillis(20));
                    ch.sender().send(4);
                });
                assertThat(ch.receiver().recv(LONG)).isEqualTo(4);
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortWhileParkedKeepsTheValueForTheNextRecv(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                var ch = Oneshot.<String>channel();
                AtomicReference<Throwable> seen = new AtomicReference<>();
                CountDownLatch receiving = new CountDownLatch(1);
                JoinHandle<String> r = Task.spawn(() -> {
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
                assertThat(ch.sender().isClosed()).as("aborting a recv does not close the receiver").isFalse();
                ch.sender().send("after");
                assertThat(Task.spawn(() -> ch.receiver().recv()).join(LONG)).isEqualTo("after");
                return null;
            });
        }
    }

    @Test
    void manyChannelsAcrossTasks() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (int i = 0; i < 2000; i++) {
                    var ch = Oneshot.<Integer>channel();
                    int v = i;
                    if (i % 2 == 0) {
                        Task.spawn(() -> ch.sender().send(v));
                        assertThat(ch.receiver().recv(LONG)).isEqualTo(v);
                    } else {
                        JoinHandle<Integer> r = Task.spawn(() -> ch.receiver().recv());
                        ch.sender().send(v);
                        assertThat(r.join(LONG)).isEqualTo(v);
                    }
                }
                return null;
            });
        }
    }

    /**
     * A send that races with {@code Receiver.close()} must either deliver the value (send returns) or
     * hand it back (send throws {@link SendException}), never both: the caller of a failed send owns the
     * value again and may well send it elsewhere.
     */
    @Test
    @Tag("stress")
    void sendRacingWithReceiverCloseEitherDeliversOrReturnsTheValue() throws Exception {
        int delivered = 0;
        int refused = 0;
        for (int i = 0; i < 1000; i++) {
            var ch = Oneshot.<Integer>channel();
            AtomicReference<Object> got = new AtomicReference<>();
            Thread receiver = Thread.ofPlatform().start(() -> {
                try {
                    got.set(ch.receiver().recv());
                } catch (RuntimeException e) {
                    got.set(e);
                }
            });
            while (receiver.getState() != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            CyclicBarrier go = new CyclicBarrier(2);
            int spins = (i * 37) % 300;
            Thread closer = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int k = 0; k < spins; k++) {
                    Thread.onSpinWait();
                }
                ch.receiver().close();
            });
            go.await();
            boolean sendFailed;
            try {
                ch.sender().send(i);
                sendFailed = false;
            } catch (SendException e) {
                sendFailed = true;
                assertThat((Integer) e.value()).isEqualTo(i);
            }
            closer.join();
            if (sendFailed) {
                receiver.interrupt(); // it waits for a value that was refused
            }
            receiver.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(receiver.isAlive()).isFalse();
            boolean received = Integer.valueOf(i).equals(got.get());
            if (!received && !sendFailed) {
                received = Integer.valueOf(i).equals(ch.receiver().tryRecv());
            }
            assertThat(received && sendFailed)
                .as("iteration %d: send threw SendException but the receiver got the value", i).isFalse();
            assertThat(received || sendFailed).as("iteration %d: the value vanished", i).isTrue();
            if (sendFailed) {
                refused++;
            } else {
                delivered++;
            }
        }
        assertThat(delivered + refused).isEqualTo(1000);
    }
}
