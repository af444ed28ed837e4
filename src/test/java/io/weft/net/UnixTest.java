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
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Unix domain sockets over Weft's reactor [Tokio: tests/uds_stream.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class UnixTest {
    @TempDir
    Path dir;

    /** An echo server task on {@code listener}: one connection, echoes until EOF, then closes. */
    static JoinHandle<Long> echoOnce(UnixListener listener) {
        return Task.spawn(() -> {
            try (UnixStream s = listener.accept()) {
                ByteBuffer buf = ByteBuffer.allocate(64);
                long total = 0;
                int n;
                while ((n = s.read(buf.clear())) >= 0) {
                    total += n;
                    s.writeAll(buf.flip());
                }
                return total;
            }
        });
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void echoOverASocketFile(RuntimeFlavor flavor) {
        Path file = dir.resolve("echo.sock");
        try (Runtime rt = runtime(flavor)) {
            String got = rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    assertThat(Files.exists(file)).as("bind creates the socket file").isTrue();
                    assertThat(((UnixDomainSocketAddress) listener.localAddress()).getPath()).isEqualTo(file);
                    JoinHandle<Long> server = echoOnce(listener);
                    try (UnixStream c = UnixStream.connect(file)) {
                        assertThat(((UnixDomainSocketAddress) c.peerAddress()).getPath()).isEqualTo(file);
                        c.writeAll(bytes("hello, unix"));
                        ByteBuffer in = ByteBuffer.allocate(11);
                        c.readExact(in);
                        c.shutdownOutput();
                        assertThat(c.read(ByteBuffer.allocate(1))).as("EOF after the server closes").isEqualTo(-1);
                        assertThat(server.join()).isEqualTo(11L);
                        return text(in);
                    }
                }
            });
            assertThat(got).isEqualTo("hello, unix");
        }
    }

    @Test
    void connectAndBindWithSocketAddresses() {
        UnixDomainSocketAddress addr = UnixDomainSocketAddress.of(dir.resolve("addr.sock"));
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            String got = rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(addr, 16)) {
                    echoOnce(listener);
                    try (UnixStream c = UnixStream.connect(addr, Duration.ofSeconds(5))) {
                        c.writeAll(bytes("addr"));
                        ByteBuffer in = ByteBuffer.allocate(4);
                        c.readExact(in);
                        return text(in);
                    }
                }
            });
            assertThat(got).isEqualTo("addr");
        }
    }

    @Test
    void socketFileStaysAfterCloseAndBlocksARebind() {
        Path file = dir.resolve("stays.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                UnixListener.bind(file).close();
                assertThat(Files.exists(file)).as("documented: the file stays after close").isTrue();
                assertThatThrownBy(() -> UnixListener.bind(file)).isInstanceOf(IOException.class);
                Files.delete(file);
                UnixListener.bind(file).close();
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void splitHalvesRunFullDuplex(RuntimeFlavor flavor) {
        int size = 2 << 20;
        Path file = dir.resolve("duplex.sock");
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    Task.spawn(() -> {
                        StreamHalves h = listener.accept().split();
                        ByteBuffer buf = ByteBuffer.allocate(8192);
                        while (h.readHalf().read(buf.clear()) >= 0) {
                            h.writeHalf().writeAll(buf.flip());
                        }
                        h.writeHalf().close();
                        h.readHalf().close();
                        return null;
                    });
                    UnixStream c = UnixStream.connect(file);
                    StreamHalves h = c.split();
                    byte[] data = new byte[size];
                    new Random(7).nextBytes(data);
                    // Writing everything before reading would deadlock once both socket buffers fill.
                    JoinHandle<Void> writer = Task.spawn(() -> {
                        h.writeHalf().writeAll(ByteBuffer.wrap(data));
                        h.writeHalf().close();
                        return null;
                    });
                    ByteBuffer in = ByteBuffer.allocate(size);
                    h.readHalf().readExact(in);
                    writer.join();
                    assertThat(h.readHalf().read(ByteBuffer.allocate(1))).isEqualTo(-1);
                    h.readHalf().close();
                    assertThat(c.isOpen()).as("closing both halves closes the stream").isFalse();
                    assertThat(in.array()).isEqualTo(data);
                }
                return null;
            });
        }
    }

    @Test
    void halfCloseKeepsTheOtherDirection() {
        Path file = dir.resolve("half.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            String reply = rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    Task.spawn(() -> {
                        try (UnixStream s = listener.accept()) {
                            ByteBuffer all = ByteBuffer.allocate(100);
                            while (s.read(all) >= 0) {
                                // to EOF: the client half-closed
                            }
                            s.writeAll(bytes("got " + all.position()));
                        }
                        return null;
                    });
                    try (UnixStream c = UnixStream.connect(file)) {
                        c.writeAll(bytes("1234567"));
                        c.shutdownOutput();
                        assertThatThrownBy(() -> c.write(bytes("x"))).as("no writes after shutdownOutput")
                            .isInstanceOf(IOException.class);
                        ByteBuffer in = ByteBuffer.allocate(100);
                        while (c.read(in) >= 0) {
                            // until the server closes
                        }
                        assertThat(c.read(ByteBuffer.allocate(1))).as("EOF again").isEqualTo(-1);
                        return text(in);
                    }
                }
            });
            assertThat(reply).isEqualTo("got 7");
        }
    }

    @Test
    void readExactReportsEarlyEof() {
        Path file = dir.resolve("eof.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    Task.spawn(() -> {
                        try (UnixStream s = listener.accept()) {
                            s.writeAll(bytes("ab"));
                        }
                        return null;
                    });
                    try (UnixStream c = UnixStream.connect(file)) {
                        ByteBuffer buf = ByteBuffer.allocate(8);
                        assertThatThrownBy(() -> c.readExact(buf))
                            .isInstanceOf(EOFException.class).hasMessageContaining("2 of 8");
                    }
                }
                return null;
            });
        }
    }

    @Test
    void connectToAMissingFileFailsClearly() {
        Path missing = dir.resolve("nobody-here.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            assertThatThrownBy(() -> rt.blockOn(() -> UnixStream.connect(missing)))
                .hasRootCauseInstanceOf(SocketException.class)
                .rootCause().hasMessageContaining("No such file");
            assertThat(Files.exists(missing)).as("connect does not create the file").isFalse();
        }
    }

    /**
     * Once close() returns nobody listens any more: a connect right after it is refused. (The JDK
     * defers closing a channel still registered with a selector until the selector deregisters it, so
     * the listening socket can outlive close() until the driver's next select.)
     */
    @Test
    void connectRightAfterTheListenerClosedIsRefused() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                for (int i = 0; i < 200; i++) {
                    Path file = dir.resolve("dead" + i + ".sock");
                    UnixListener.bind(file).close();
                    int round = i;
                    assertThatThrownBy(() -> UnixStream.connect(file).close()).as("round %d", round)
                        .isInstanceOf(SocketException.class).hasMessageContaining("refused");
                }
                return null;
            });
        }
    }

    @Test
    void inetAddressIsRejectedWithAHelpfulMessage() {
        InetSocketAddress inet = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                assertThatThrownBy(() -> UnixStream.connect(inet)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a Unix domain socket address")
                    .hasMessageContaining("UnixDomainSocketAddress.of").hasMessageContaining("TcpStream");
                assertThatThrownBy(() -> UnixStream.connect(inet, Duration.ofSeconds(1)))
                    .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> UnixListener.bind(inet)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a Unix domain socket address");
                return null;
            });
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void abortWhileParkedInReadIsCancelSafe(RuntimeFlavor flavor) {
        Path file = dir.resolve("abort.sock");
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file);
                     UnixStream c = UnixStream.connect(file);
                     UnixStream s = listener.accept()) {
                    JoinHandle<Integer> reader = Task.spawn(() -> c.read(ByteBuffer.allocate(8)));
                    settle();
                    assertThat(reader.isFinished()).isFalse();
                    abortAndAssertCancelled(reader);
                    assertThat(c.isOpen()).as("an abort does not close the stream").isTrue();
                    // A timeout around a read is the same kind of cancellation.
                    assertThatThrownBy(() -> Time.timeout(Duration.ofMillis(20), () -> c.read(ByteBuffer.allocate(8))))
                        .isInstanceOf(ElapsedException.class);
                    s.writeAll(bytes("after"));
                    ByteBuffer in = ByteBuffer.allocate(5);
                    c.readExact(in);
                    assertThat(text(in)).isEqualTo("after");
                }
                return null;
            });
        }
    }

    @Test
    void abortWhileParkedInAcceptKeepsThePendingConnection() {
        Path file = dir.resolve("accept.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    JoinHandle<UnixStream> acceptor = Task.spawn(listener::accept);
                    settle();
                    abortAndAssertCancelled(acceptor);
                    try (UnixStream c = UnixStream.connect(file); UnixStream s = listener.accept()) {
                        c.writeAll(bytes("k"));
                        ByteBuffer in = ByteBuffer.allocate(1);
                        s.readExact(in);
                        assertThat(text(in)).isEqualTo("k");
                    }
                }
                return null;
            });
        }
    }

    @Test
    void closeWakesAParkedReader() {
        Path file = dir.resolve("close.sock");
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (UnixListener listener = UnixListener.bind(file)) {
                    UnixStream c = UnixStream.connect(file);
                    UnixStream s = listener.accept();
                    JoinHandle<Integer> reader = Task.spawn(() -> c.read(ByteBuffer.allocate(8)));
                    settle();
                    c.close();
                    assertThatThrownBy(() -> reader.join(Duration.ofSeconds(10)))
                        .hasRootCauseInstanceOf(SocketException.class);
                    assertThat(s.read(ByteBuffer.allocate(1))).as("the peer sees the close").isEqualTo(-1);
                    s.close();
                }
                return null;
            });
        }
    }
}
