package io.weft.io;

import static io.weft.io.IoTesting.bytes;
import static io.weft.io.IoTesting.randomBytes;
import static io.weft.testing.SyncProbes.LONG;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.io.IoTesting.PipeEnd;
import io.weft.io.IoTesting.SocketDuplex;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Io.copyBidirectional [Tokio: tests/io_copy_bidirectional.rs].
 *
 * <p>The set-up: {@code client1 <-> a} and {@code b <-> client2} are in-memory pipe pairs, and the
 * copy splices {@code a} to {@code b}, so {@code client1} and {@code client2} talk through it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IoCopyBidirectionalTest {

    /** client1, a, b, client2 over pipes of {@code capacity} bytes. */
    record Setup(PipeEnd client1, PipeEnd a, PipeEnd b, PipeEnd client2) {
        static Setup create(int capacity) {
            PipeEnd[] p1 = IoTesting.duplexPair(capacity);
            PipeEnd[] p2 = IoTesting.duplexPair(capacity);
            return new Setup(p1[0], p1[1], p2[0], p2[1]);
        }

        JoinHandle<Io.Copied> start() {
            return Task.spawn(() -> Io.copyBidirectional(a, b));
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void basicTransfer(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Io.Copied c = rt.blockOn(() -> {
                Setup s = Setup.create(1024);
                var copy = s.start();
                s.client1.writeAll(bytes("hello"));
                assertThat(s.client2.readExactly(5)).isEqualTo(bytes("hello"));
                s.client2.writeAll(bytes("world!"));
                assertThat(s.client1.readExactly(6)).isEqualTo(bytes("world!"));
                s.client1.shutdownOutput();
                s.client2.shutdownOutput();
                return copy.join(LONG);
            });
            assertThat(c).isEqualTo(new Io.Copied(5, 6));
        }
    }

    /** Half-close passes through: client2 sees the end of client1's bytes and can still answer. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void halfCloseIsPropagatedAndTheOtherWayGoesOn(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Setup s = Setup.create(1024);
                var copy = s.start();
                s.client1.writeAll(bytes("request"));
                s.client1.shutdownOutput();
                assertThat(s.client2.readAll()).isEqualTo(bytes("request")); // then end of stream
                assertThat(s.b.shutdowns).hasValue(1);
                assertThat(copy.isFinished()).isFalse();
                s.client2.writeAll(bytes("late reply"));
                s.client2.shutdownOutput();
                assertThat(s.client1.readAll()).isEqualTo(bytes("late reply"));
                assertThat(copy.join(LONG)).isEqualTo(new Io.Copied(7, 10));
                assertThat(s.a.shutdowns).hasValue(1);
                return null;
            });
        }
    }

    /** One direction stalled on a full pipe does not hold up the other [blocking_one_side_does_not_block_other]. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void aStalledDirectionDoesNotBlockTheOther(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Setup s = Setup.create(64);
                var copy = s.start();
                // client2 never reads: a->b fills both pipes and the copy parks writing to b.
                var writer = Task.spawn(() -> {
                    s.client1.writeAll(new byte[10_000]);
                    return null;
                });
                WeftTesting.eventually(LONG, () -> s.b.out.parked() == 1 && s.client1.out.parked() == 1,
                    () -> "a->b never stalled");
                for (int i = 0; i < 100; i++) {
                    s.client2.writeAll(bytes("ping" + i));
                    assertThat(s.client1.readExactly(("ping" + i).length())).isEqualTo(bytes("ping" + i));
                }
                assertThat(s.client2.readExactly(10_000)).hasSize(10_000);
                writer.join(LONG);
                s.client1.shutdownOutput();
                s.client2.shutdownOutput();
                Io.Copied c = copy.join(LONG);
                assertThat(c.aToB()).isEqualTo(10_000);
                return null;
            });
        }
    }

    /** A read error on one side ends the copy at once: the other direction is aborted, not waited out. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void aReadErrorStopsTheOtherDirectionAndIsThrown(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Setup s = Setup.create(1024);
                var copy = s.start();
                // Both directions parked in read.
                WeftTesting.eventually(LONG, () -> s.a.in.parkedReaders() == 1 && s.b.in.parkedReaders() == 1,
                    () -> "copy directions never parked");
                s.a.in.fail(new IOException("connection reset (test)"));
                assertThatThrownBy(() -> copy.join(LONG))
                    .isInstanceOfSatisfying(JoinException.class, e -> {
                        assertThat(e.isFailed()).isTrue();
                        assertThat(e.getCause()).isInstanceOf(IOException.class).hasMessage("connection reset (test)");
                    });
                // The b->a direction was aborted and has ended: nobody is parked on b any more.
                assertThat(s.b.in.parkedReaders()).isZero();
                return null;
            });
        }
    }

    /** A write error (the far side went away) is thrown [immediate_exit_on_write_error]. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void aWriteErrorIsThrown(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Setup s = Setup.create(1024);
                var copy = s.start();
                s.client2.close();
                s.client1.writeAll(bytes("into the void"));
                assertThatThrownBy(() -> copy.join(LONG))
                    .isInstanceOfSatisfying(JoinException.class,
                        e -> assertThat(e.getCause()).isInstanceOf(IOException.class).hasMessageContaining("broken pipe"));
                return null;
            });
        }
    }

    /** Aborting the calling task aborts both directions before it ends: no copying task is left. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void abortingTheCallerAbortsBothDirections(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            Setup s = Setup.create(1024);
            JoinHandle<Io.Copied> copy = rt.spawn(() -> Io.copyBidirectional(s.a, s.b));
            WeftTesting.eventually(LONG, () -> s.a.in.parkedReaders() == 1 && s.b.in.parkedReaders() == 1,
                () -> "copy directions never parked");
            long aliveBefore = rt.metrics().aliveTasks();
            assertThat(aliveBefore).isEqualTo(3);
            copy.abort();
            assertThatThrownBy(() -> copy.join(LONG))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            // tryJoinAll waited for both directions before the caller ended.
            assertThat(s.a.in.parkedReaders()).isZero();
            assertThat(s.b.in.parkedReaders()).isZero();
            WeftTesting.eventually(LONG, () -> rt.metrics().aliveTasks() == 0,
                () -> "tasks still alive: " + rt.metrics().aliveTasks());
        }
    }

    @Test
    void needsARuntime() {
        PipeEnd[] p = IoTesting.duplexPair(16);
        assertThatThrownBy(() -> Io.copyBidirectional(p[0], p[1]))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("Weft runtime");
    }

    /** Hundreds of kilobytes both ways at once through small pipes, one side serving 7 bytes a read. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void bulkBothWaysAtOnce(RuntimeFlavor flavor) {
        byte[] up = randomBytes(300_000, 11);
        byte[] down = randomBytes(200_000, 12);
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                Setup s = Setup.create(4096);
                s.a.in.maxReadChunk = 7;
                var copy = s.start();
                // Each client writes and reads at once (writing everything first would deadlock on full pipes).
                var w1 = Task.spawn(() -> {
                    s.client1.writeAll(up);
                    s.client1.shutdownOutput();
                    return null;
                });
                var w2 = Task.spawn(() -> {
                    s.client2.writeAll(down);
                    s.client2.shutdownOutput();
                    return null;
                });
                var r1 = Task.spawn(() -> s.client1.readAll());
                var r2 = Task.spawn(() -> s.client2.readAll());
                w1.join(LONG);
                w2.join(LONG);
                assertThat(r2.join(LONG)).isEqualTo(up);
                assertThat(r1.join(LONG)).isEqualTo(down);
                assertThat(copy.join(LONG)).isEqualTo(new Io.Copied(up.length, down.length));
                return null;
            });
        }
    }

    /** A proxy over real loopback sockets: client <-> [a | copy | b] <-> server, with half-close. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag(WeftTesting.CONTRACT)
    void proxiesLoopbackSockets(RuntimeFlavor flavor) throws Exception {
        byte[] request = randomBytes(2 << 20, 21);
        byte[] response = randomBytes(1 << 20, 22);
        SocketDuplex[] front = IoTesting.loopbackPair(); // client, a
        SocketDuplex[] back = IoTesting.loopbackPair();  // b, server
        try (Runtime rt = runtime(flavor); var client = front[0]; var a = front[1]; var b = back[0]; var server = back[1]) {
            rt.blockOn(() -> {
                var proxy = Task.spawn(() -> Io.copyBidirectional(a, b));
                var serverTask = Task.spawn(() -> {
                    byte[] got = server.readAll(); // until the proxied half-close
                    Io.writeFully(server, java.nio.ByteBuffer.wrap(response));
                    server.shutdownOutput();
                    return got;
                });
                var clientSend = Task.spawn(() -> {
                    Io.writeFully(client, java.nio.ByteBuffer.wrap(request));
                    client.shutdownOutput();
                    return null;
                });
                byte[] reply = client.readAll();
                clientSend.join(LONG);
                assertThat(serverTask.join(LONG)).isEqualTo(request);
                assertThat(reply).isEqualTo(response);
                assertThat(proxy.join(LONG)).isEqualTo(new Io.Copied(request.length, response.length));
                return null;
            });
        }
    }

    /** With JDK sockets, an abort closes the channel (ClosedByInterruptException), yet the copy still ends cancelled and leaves no task. */
    @Test
    void abortOverJdkSockets() throws Exception {
        SocketDuplex[] front = IoTesting.loopbackPair();
        SocketDuplex[] back = IoTesting.loopbackPair();
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD); var client = front[0]; var a = front[1];
             var b = back[0]; var server = back[1]) {
            JoinHandle<Io.Copied> copy = rt.spawn(() -> Io.copyBidirectional(a, b));
            WeftTesting.eventually(LONG, () -> rt.metrics().aliveTasks() == 3, () -> "directions never started");
            WeftTesting.sleep(Duration.ofMillis(50));
            copy.abort();
            assertThatThrownBy(() -> copy.join(LONG))
                .isInstanceOfSatisfying(JoinException.class, e -> assertThat(e.isCancelled()).isTrue());
            WeftTesting.eventually(LONG, () -> rt.metrics().aliveTasks() == 0,
                () -> "tasks still alive: " + rt.metrics().aliveTasks());
            assertThat(a.isOpen()).as("the JDK closes a channel on interrupt").isFalse();
        }
    }
}
