package io.weft.net;

import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.settle;
import static io.weft.net.TcpTest.bytes;
import static io.weft.net.TcpTest.text;
import static io.weft.testing.WeftTesting.runtime;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.ElapsedException;
import io.weft.time.Time;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** UDP over Weft's reactor [Tokio: tests/udp.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class UdpTest {
    static final InetSocketAddress ANY_LOCAL = TcpTest.ANY_LOCAL;

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void sendToRecvFromCarriesTheSourceAddress(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    assertThat(a.sendTo(bytes("hello"), b.localAddress())).isEqualTo(5);
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    SocketAddress from = b.recvFrom(buf);
                    assertThat(from).isEqualTo(a.localAddress());
                    assertThat(text(buf)).isEqualTo("hello");
                    // And back, to the address recvFrom reported.
                    b.sendTo(bytes("world"), from);
                    buf.clear();
                    assertThat(a.recvFrom(buf)).isEqualTo(b.localAddress());
                    assertThat(text(buf)).isEqualTo("world");
                    assertThat(a.peerAddress()).as("not connected").isNull();
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void connectedSendRecv(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    a.connect(b.localAddress());
                    b.connect(a.localAddress());
                    assertThat(a.peerAddress()).isEqualTo(b.localAddress());
                    assertThat(a.send(bytes("ping"))).isEqualTo(4);
                    ByteBuffer buf = ByteBuffer.allocate(16);
                    assertThat(b.recv(buf)).isEqualTo(4);
                    assertThat(text(buf)).isEqualTo("ping");
                    b.send(bytes("pong"));
                    buf.clear();
                    assertThat(a.recv(buf)).isEqualTo(4);
                    assertThat(text(buf)).isEqualTo("pong");
                }
                return null;
            });
        }
    }

    @Test
    void connectedSocketDropsDatagramsFromOthers() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL);
                     UdpSocket peer = UdpSocket.bind(ANY_LOCAL);
                     UdpSocket stranger = UdpSocket.bind(ANY_LOCAL)) {
                    a.connect(peer.localAddress());
                    stranger.sendTo(bytes("intruder"), a.localAddress());
                    peer.sendTo(bytes("friend"), a.localAddress());
                    ByteBuffer buf = ByteBuffer.allocate(16);
                    a.recv(buf);
                    assertThat(text(buf)).isEqualTo("friend");
                }
                return null;
            });
        }
    }

    @Test
    void sendWithoutConnectIsAClearError() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL)) {
                    assertThatThrownBy(() -> a.send(bytes("x")))
                        .isInstanceOf(NotYetConnectedException.class)
                        .hasMessageContaining("connect(peer)").hasMessageContaining("sendTo");
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void longDatagramIsTruncatedToTheBuffer(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    a.sendTo(bytes("0123456789"), b.localAddress());
                    a.sendTo(bytes("next"), b.localAddress());
                    ByteBuffer small = ByteBuffer.allocate(4);
                    assertThat(b.recvFrom(small)).isEqualTo(a.localAddress());
                    assertThat(text(small)).as("the first 4 bytes; the rest is discarded").isEqualTo("0123");
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    b.recvFrom(buf);
                    assertThat(text(buf)).as("the next datagram, not the tail of the first").isEqualTo("next");
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void recvParksUntilADatagramArrives(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    JoinHandle<String> receiver = Task.spawn(() -> {
                        ByteBuffer buf = ByteBuffer.allocate(64);
                        b.recvFrom(buf);
                        return text(buf);
                    });
                    settle();
                    assertThat(receiver.isFinished()).as("parked: nothing was sent yet").isFalse();
                    a.sendTo(bytes("wake"), b.localAddress());
                    assertThat(receiver.join(Duration.ofSeconds(10))).isEqualTo("wake");
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortWhileParkedInRecvLosesNothing(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    JoinHandle<SocketAddress> receiver = Task.spawn(() -> b.recvFrom(ByteBuffer.allocate(64)));
                    settle();
                    abortAndAssertCancelled(receiver);
                    assertThat(b.channel().isOpen()).as("an abort does not close the socket").isTrue();
                    a.sendTo(bytes("kept"), b.localAddress());
                    ByteBuffer buf = ByteBuffer.allocate(64);
                    assertThat(b.recvFrom(buf)).isEqualTo(a.localAddress());
                    assertThat(text(buf)).isEqualTo("kept");
                }
                return null;
            });
        }
    }

    @Test
    void timeoutAroundRecvIsCancelSafe() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    for (int i = 0; i < 3; i++) {
                        assertThatThrownBy(() -> Time.timeout(Duration.ofMillis(20), () -> b.recvFrom(ByteBuffer.allocate(8))))
                            .isInstanceOf(ElapsedException.class);
                    }
                    a.sendTo(bytes("late"), b.localAddress());
                    ByteBuffer buf = ByteBuffer.allocate(8);
                    b.recvFrom(buf);
                    assertThat(text(buf)).isEqualTo("late");
                }
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeWakesAParkedRecv(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                UdpSocket b = UdpSocket.bind(ANY_LOCAL);
                JoinHandle<SocketAddress> receiver = Task.spawn(() -> b.recvFrom(ByteBuffer.allocate(64)));
                settle();
                assertThat(receiver.isFinished()).isFalse();
                b.close();
                assertThatThrownBy(() -> receiver.join(Duration.ofSeconds(10)))
                    .hasRootCauseInstanceOf(SocketException.class);
                assertThatThrownBy(() -> b.recvFrom(ByteBuffer.allocate(8)))
                    .isInstanceOf(SocketException.class).hasMessageContaining("closed");
                assertThatThrownBy(() -> b.sendTo(bytes("x"), ANY_LOCAL))
                    .isInstanceOf(SocketException.class).hasMessageContaining("closed");
                b.close(); // idempotent
                return null;
            });
        }
    }

    @Test
    void emptyDatagram() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    assertThat(a.sendTo(ByteBuffer.allocate(0), b.localAddress())).isZero();
                    a.sendTo(bytes("after"), b.localAddress());
                    ByteBuffer buf = ByteBuffer.allocate(16);
                    assertThat(b.recvFrom(buf)).isEqualTo(a.localAddress());
                    assertThat(buf.position()).as("the empty datagram arrives as one").isZero();
                    b.recvFrom(buf);
                    assertThat(text(buf)).isEqualTo("after");
                }
                return null;
            });
        }
    }

    /**
     * A connected DatagramChannel cannot send an empty datagram (it goes through write(), which
     * returns 0 for an empty buffer without sending): send says so instead of reporting success.
     */
    @Test
    void emptyDatagramOnAConnectedSocketIsAClearError() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    a.connect(b.localAddress());
                    assertThatThrownBy(() -> a.send(ByteBuffer.allocate(0)))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty datagram");
                    assertThatThrownBy(() -> a.sendTo(ByteBuffer.allocate(0), b.localAddress()))
                        .isInstanceOf(IllegalArgumentException.class);
                    a.send(bytes("after"));
                    ByteBuffer buf = ByteBuffer.allocate(16);
                    assertThat(b.recvFrom(buf)).isEqualTo(a.localAddress());
                    assertThat(text(buf)).as("nothing phantom arrived before").isEqualTo("after");
                }
                return null;
            });
        }
    }

    /**
     * Several client tasks, each with its own socket, run a request/reply protocol against one
     * server socket; a client resends a request whose reply has not come within a timeout, and the
     * server answers every copy, so the check is robust to the odd loopback drop: every request gets
     * exactly its own reply, and each client sees every sequence number.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void manyDatagramsFromSeveralTasks(RuntimeFlavor flavor) {
        int clients = 8;
        int requests = 250;
        try (Runtime rt = runtime(flavor)) {
            long served = rt.blockOn(() -> {
                try (UdpSocket server = UdpSocket.bind(ANY_LOCAL)) {
                    JoinHandle<Long> serverTask = Task.spawn(() -> {
                        long n = 0;
                        ByteBuffer buf = ByteBuffer.allocate(64);
                        while (true) {
                            SocketAddress from = server.recvFrom(buf.clear());
                            buf.flip();
                            if (buf.remaining() == 1 && buf.get(0) == 'q') {
                                return n;
                            }
                            n++;
                            // The reply is the request with its first byte marked.
                            buf.put(0, (byte) 'R');
                            server.sendTo(buf, from);
                        }
                    });
                    List<JoinHandle<Integer>> tasks = new ArrayList<>();
                    for (int c = 0; c < clients; c++) {
                        int id = c;
                        tasks.add(Task.spawn(() -> {
                            try (UdpSocket s = UdpSocket.bind(ANY_LOCAL)) {
                                s.connect(server.localAddress());
                                Set<Integer> seen = new HashSet<>();
                                ByteBuffer in = ByteBuffer.allocate(64);
                                for (int i = 0; i < requests; i++) {
                                    String req = "Q" + id + ":" + i;
                                    while (true) {
                                        s.send(bytes(req));
                                        String reply;
                                        try {
                                            reply = Time.timeout(Duration.ofMillis(500), () -> {
                                                in.clear();
                                                s.recv(in);
                                                return text(in);
                                            });
                                        } catch (ElapsedException e) {
                                            continue; // lost: resend
                                        }
                                        assertThat(reply).as("a reply to this client").startsWith("R" + id + ":");
                                        int seq = Integer.parseInt(reply.substring(reply.indexOf(':') + 1));
                                        assertThat(seq).as("never a reply to a later request").isLessThanOrEqualTo(i);
                                        seen.add(seq);
                                        if (seq == i) {
                                            break;
                                        }
                                        // a late reply to an earlier (resent) request: wait for ours
                                    }
                                }
                                assertThat(seen).hasSize(requests);
                                return seen.size();
                            }
                        }));
                    }
                    int total = 0;
                    for (JoinHandle<Integer> t : tasks) {
                        total += t.join();
                    }
                    assertThat(total).isEqualTo(clients * requests);
                    server.sendTo(bytes("q"), server.localAddress());
                    return serverTask.join(Duration.ofSeconds(10));
                }
            });
            assertThat(served).as("every request served at least once").isGreaterThanOrEqualTo((long) clients * requests);
        }
    }

    @Test
    void bindToAnAddressInUseFails() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL)) {
                    assertThatThrownBy(() -> UdpSocket.bind(a.localAddress()))
                        .isInstanceOf(java.net.BindException.class);
                }
                return null;
            });
        }
    }
}
