package io.weft.net;

import static io.weft.testing.SyncProbes.abortAndAssertCancelled;
import static io.weft.testing.SyncProbes.assertCancelled;
import static io.weft.testing.SyncProbes.settle;
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
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** TCP over Weft's reactor [Tokio: tests/tcp_*.rs]. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class TcpTest {
    static final InetSocketAddress ANY_LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(UTF_8));
    }

    static String text(ByteBuffer b) {
        b.flip();
        return UTF_8.decode(b).toString();
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void echoRoundTrip(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            String got = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    JoinHandle<Long> server = Task.spawn(() -> {
                        try (TcpStream s = listener.accept()) {
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
                    try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                        c.writeAll(bytes("hello, weft"));
                        ByteBuffer in = ByteBuffer.allocate(11);
                        c.readExact(in);
                        c.shutdownOutput();
                        assertThat(c.read(ByteBuffer.allocate(1))).as("EOF after the server closes").isEqualTo(-1);
                        assertThat(server.join()).isEqualTo(11L);
                        return text(in);
                    }
                }
            });
            assertThat(got).isEqualTo("hello, weft");
            assertThat(rt.metrics().ioDriverFdRegisteredCount()).as("listener, client, accepted").isEqualTo(3);
            assertThat(rt.metrics().ioDriverReadyCount()).isPositive();
        }
    }

    @Test
    void connectRefused() throws IOException {
        // A bound socket that is not listening holds its port, so nobody else can take it while the
        // test connects, and the kernel refuses connections to it.
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD);
             var holder = java.nio.channels.SocketChannel.open().bind(ANY_LOCAL)) {
            SocketAddress refusing = holder.getLocalAddress();
            assertThatThrownBy(() -> rt.blockOn(() -> TcpStream.connect(refusing)))
                .hasRootCauseInstanceOf(ConnectException.class);
        }
    }

    @Test
    void connectTimeoutIsValidated() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            assertThatThrownBy(() -> rt.blockOn(() -> TcpStream.connect(ANY_LOCAL, Duration.ZERO)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        }
    }

    @Test
    void halfCloseKeepsTheOtherDirection() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            String reply = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    Task.spawn(() -> {
                        try (TcpStream s = listener.accept()) {
                            ByteBuffer all = ByteBuffer.allocate(100);
                            while (s.read(all) >= 0) {
                                // read to EOF: the client half-closed
                            }
                            s.writeAll(bytes("got " + all.position()));
                        }
                        return null;
                    });
                    try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                        c.writeAll(bytes("12345"));
                        c.shutdownOutput();
                        ByteBuffer in = ByteBuffer.allocate(100);
                        while (c.read(in) >= 0) {
                            // until the server closes
                        }
                        return text(in);
                    }
                }
            });
            assertThat(reply).isEqualTo("got 5");
        }
    }

    @Test
    void readExactReportsEarlyEof() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    Task.spawn(() -> {
                        try (TcpStream s = listener.accept()) {
                            s.writeAll(bytes("abc"));
                        }
                        return null;
                    });
                    try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                        ByteBuffer buf = ByteBuffer.allocate(10);
                        assertThatThrownBy(() -> c.readExact(buf))
                            .isInstanceOf(EOFException.class).hasMessageContaining("3 of 10");
                        assertThat(buf.position()).as("the bytes read stay in the buffer").isEqualTo(3);
                    }
                }
                return null;
            });
        }
    }

    @Test
    void closeWakesParkedReaderAndAcceptor() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                TcpListener listener = TcpListener.bind(ANY_LOCAL);
                TcpStream c = TcpStream.connect(listener.localAddress());
                TcpStream s = listener.accept();
                JoinHandle<Integer> reader = Task.spawn(() -> c.read(ByteBuffer.allocate(8)));
                JoinHandle<TcpStream> acceptor = Task.spawn(listener::accept);
                settle();
                assertThat(reader.isFinished()).isFalse();
                assertThat(acceptor.isFinished()).isFalse();
                c.close();
                listener.close();
                assertThatThrownBy(reader::join).hasRootCauseInstanceOf(SocketException.class)
                    .rootCause().hasMessageContaining("closed");
                assertThatThrownBy(acceptor::join).hasRootCauseInstanceOf(SocketException.class);
                assertThat(s.read(ByteBuffer.allocate(1))).as("the peer sees the close").isEqualTo(-1);
                s.close();
                assertThatThrownBy(() -> c.read(ByteBuffer.allocate(1))).isInstanceOf(SocketException.class);
                return null;
            });
        }
    }

    @Test
    void abortedReadLosesNothing() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress());
                     TcpStream s = listener.accept()) {
                    JoinHandle<Integer> reader = Task.spawn(() -> c.read(ByteBuffer.allocate(8)));
                    settle();
                    abortAndAssertCancelled(reader);
                    assertThat(c.isOpen()).as("an abort does not close the stream").isTrue();
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
    void timeoutAroundReadIsCancelSafe() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress());
                     TcpStream s = listener.accept()) {
                    assertThatThrownBy(() -> Time.timeout(Duration.ofMillis(50), () -> c.read(ByteBuffer.allocate(4))))
                        .isInstanceOf(ElapsedException.class);
                    s.writeAll(bytes("late"));
                    ByteBuffer in = ByteBuffer.allocate(4);
                    c.readExact(in);
                    assertThat(text(in)).isEqualTo("late");
                }
                return null;
            });
        }
    }

    @Test
    void readTimeoutThrowsAndKeepsTheStream() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress());
                     TcpStream s = listener.accept()) {
                    c.readTimeout(Duration.ofMillis(50));
                    long t0 = System.nanoTime();
                    assertThatThrownBy(() -> c.read(ByteBuffer.allocate(4)))
                        .isInstanceOf(SocketTimeoutException.class).hasMessageContaining("read timed out");
                    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(45).toNanos());
                    s.writeAll(bytes("ok"));
                    ByteBuffer in = ByteBuffer.allocate(2);
                    c.readExact(in);
                    assertThat(text(in)).isEqualTo("ok");
                    assertThatThrownBy(() -> c.readTimeout(Duration.ofMillis(-1)))
                        .isInstanceOf(IllegalArgumentException.class);
                }
                return null;
            });
        }
    }

    @Test
    void writeTimeoutGuardsAgainstAPeerThatDoesNotRead() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress());
                     TcpStream s = listener.accept()) {
                    c.writeTimeout(Duration.ofMillis(100));
                    ByteBuffer big = ByteBuffer.allocate(64 << 20); // more than any socket buffer
                    assertThatThrownBy(() -> c.writeAll(big)).isInstanceOf(SocketTimeoutException.class);
                    assertThat(big.position()).as("part was written").isPositive().isLessThan(big.capacity());
                }
                return null;
            });
        }
    }

    @Test
    void splitHalvesRunFullDuplex() {
        int size = 4 << 20;
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            long[] got = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    // The server echoes with one task per direction, through a bounded buffer.
                    Task.spawn(() -> {
                        TcpStream s = listener.accept();
                        StreamHalves h = s.split();
                        ByteBuffer buf = ByteBuffer.allocate(8192);
                        while (h.readHalf().read(buf.clear()) >= 0) {
                            h.writeHalf().writeAll(buf.flip());
                        }
                        h.writeHalf().close();
                        h.readHalf().close();
                        return null;
                    });
                    TcpStream c = TcpStream.connect(listener.localAddress());
                    StreamHalves h = c.split();
                    byte[] data = new byte[size];
                    new Random(42).nextBytes(data);
                    // Writing all before reading would deadlock once both socket buffers fill: the halves
                    // must run at once.
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
                    return new long[] {in.position()};
                }
            });
            assertThat(got[0]).isEqualTo(size);
        }
    }

    @Test
    void javaIoAdaptersPark() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            List<String> lines = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    Task.spawn(() -> {
                        try (TcpStream s = listener.accept();
                             var r = new BufferedReader(new InputStreamReader(s.inputStream(), UTF_8));
                             var w = new PrintStream(s.outputStream(), true, UTF_8)) {
                            String line;
                            while ((line = r.readLine()) != null) {
                                w.println(line.toUpperCase());
                            }
                        }
                        return null;
                    });
                    try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                        var w = new PrintStream(c.outputStream(), true, UTF_8);
                        var r = new BufferedReader(new InputStreamReader(c.inputStream(), UTF_8));
                        List<String> out = new ArrayList<>();
                        for (String s : List.of("one", "two", "three")) {
                            w.println(s);
                            out.add(r.readLine());
                        }
                        return out;
                    }
                }
            });
            assertThat(lines).containsExactly("ONE", "TWO", "THREE");
        }
    }

    @Test
    void peerResetIsAClearError() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress())) {
                    TcpStream s = listener.accept();
                    JoinHandle<Integer> reader = Task.spawn(() -> c.read(ByteBuffer.allocate(8)));
                    settle();
                    // SO_LINGER 0: close sends RST instead of FIN.
                    javaChannel(s).setOption(StandardSocketOptions.SO_LINGER, 0);
                    s.close();
                    assertThatThrownBy(reader::join).hasRootCauseInstanceOf(IOException.class)
                        .rootCause().hasMessageContaining("reset");
                }
                return null;
            });
        }
    }

    @Test
    void noDelayOption() {
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL);
                     TcpStream c = TcpStream.connect(listener.localAddress())) {
                    assertThat(c.noDelay(true).noDelay()).isTrue();
                    assertThat(c.noDelay(false).noDelay()).isFalse();
                    assertThat(c.peerAddress()).isEqualTo(listener.localAddress());
                }
                return null;
            });
        }
    }

    @Test
    void runtimeShutdownAbortsParkedReadsAndLeavesOtherRuntimesAlone() throws Exception {
        try (Runtime other = runtime(RuntimeFlavor.MULTI_THREAD)) {
            TcpListener[] listener = new TcpListener[1];
            TcpStream[] client = new TcpStream[1];
            JoinHandle<Integer> parked;
            Runtime doomed = runtime(RuntimeFlavor.MULTI_THREAD);
            CountDownLatch reading = new CountDownLatch(1);
            parked = doomed.spawn(() -> {
                TcpListener l = TcpListener.bind(ANY_LOCAL);
                listener[0] = l;
                TcpStream s = other.spawn(() -> TcpStream.connect(l.localAddress())).join();
                client[0] = s;
                TcpStream accepted = l.accept();
                reading.countDown();
                return accepted.read(ByteBuffer.allocate(4));
            });
            reading.await();
            settle();
            doomed.shutdownNow();
            assertThat(doomed.awaitTermination(Duration.ofSeconds(10))).isTrue();
            assertCancelled(parked);
            // The client stream lives on the other runtime's reactor: still usable.
            String echoed = other.blockOn(() -> {
                try (TcpListener l2 = TcpListener.bind(ANY_LOCAL)) {
                    Task.spawn(() -> {
                        try (TcpStream s = l2.accept()) {
                            ByteBuffer b = ByteBuffer.allocate(2);
                            s.readExact(b);
                            s.writeAll(b.flip());
                        }
                        return null;
                    });
                    try (TcpStream c = TcpStream.connect(l2.localAddress())) {
                        c.writeAll(bytes("hi"));
                        ByteBuffer in = ByteBuffer.allocate(2);
                        c.readExact(in);
                        return text(in);
                    }
                }
            });
            assertThat(echoed).isEqualTo("hi");
            assertThat(client[0].isOpen()).isTrue();
            client[0].close();
            // Sockets of the dead runtime fail clearly.
            assertThatThrownBy(() -> other.blockOn(listener[0]::accept))
                .hasRootCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void manyConnectionsEveryByteEchoed() {
        int conns = 500;
        int msgs = 20;
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            long total = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL, 1024)) {
                    JoinHandle<Void> acceptLoop = Task.spawn(() -> {
                        for (int i = 0; i < conns; i++) {
                            TcpStream s = listener.accept();
                            Task.spawn(() -> {
                                try (s) {
                                    ByteBuffer buf = ByteBuffer.allocate(256);
                                    while (s.read(buf.clear()) >= 0) {
                                        s.writeAll(buf.flip());
                                    }
                                }
                                return null;
                            });
                        }
                        return null;
                    });
                    List<JoinHandle<Long>> clients = new ArrayList<>();
                    for (int i = 0; i < conns; i++) {
                        int id = i;
                        clients.add(Task.spawn(() -> {
                            try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                                long n = 0;
                                for (int m = 0; m < msgs; m++) {
                                    byte[] msg = ("client " + id + " message " + m).getBytes(UTF_8);
                                    c.writeAll(ByteBuffer.wrap(msg));
                                    ByteBuffer in = ByteBuffer.allocate(msg.length);
                                    c.readExact(in);
                                    assertThat(in.array()).isEqualTo(msg);
                                    n += msg.length;
                                }
                                return n;
                            }
                        }));
                    }
                    long sum = 0;
                    for (JoinHandle<Long> h : clients) {
                        sum += h.join();
                    }
                    acceptLoop.join();
                    return sum;
                }
            });
            assertThat(total).isPositive();
        }
    }

    /** The load test: two thousand connections open at once, every byte echoed, in bounded time. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void twoThousandConcurrentConnections() {
        int conns = 2_000;
        int msgs = 5;
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD)) {
            long[] seen = rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL, 4096)) {
                    var served = new java.util.concurrent.atomic.AtomicLong();
                    var open = new java.util.concurrent.atomic.AtomicInteger();
                    var maxOpen = new java.util.concurrent.atomic.AtomicInteger();
                    Task.spawn(() -> {
                        while (true) {
                            TcpStream s = listener.accept();
                            maxOpen.incrementAndGet(); // accepted so far
                            open.incrementAndGet();
                            Task.spawn(() -> {
                                try (s) {
                                    ByteBuffer buf = ByteBuffer.allocate(128);
                                    int n;
                                    while ((n = s.read(buf.clear())) >= 0) {
                                        served.addAndGet(n);
                                        s.writeAll(buf.flip());
                                    }
                                } finally {
                                    open.decrementAndGet();
                                }
                                return null;
                            });
                        }
                    });
                    // Every client connects, then waits for all the others before it talks: all the
                    // connections are open at once.
                    io.weft.sync.Barrier allConnected = new io.weft.sync.Barrier(conns);
                    List<JoinHandle<Long>> clients = new ArrayList<>();
                    for (int i = 0; i < conns; i++) {
                        int id = i;
                        clients.add(Task.spawn(() -> {
                            try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                                allConnected.await();
                                long n = 0;
                                for (int m = 0; m < msgs; m++) {
                                    byte[] msg = ("conn " + id + " msg " + m).getBytes(UTF_8);
                                    c.writeAll(ByteBuffer.wrap(msg));
                                    ByteBuffer in = ByteBuffer.allocate(msg.length);
                                    c.readExact(in);
                                    if (!java.util.Arrays.equals(in.array(), msg)) {
                                        throw new AssertionError("connection " + id + " got " + text(in));
                                    }
                                    n += msg.length;
                                }
                                return n;
                            }
                        }));
                    }
                    long sent = 0;
                    for (JoinHandle<Long> h : clients) {
                        sent += h.join();
                    }
                    return new long[] {sent, served.get(), maxOpen.get()};
                }
            });
            assertThat(seen[1]).as("every byte sent was echoed").isEqualTo(seen[0]);
            assertThat(seen[2]).as("connections accepted").isEqualTo(conns);
        }
    }

    static java.nio.channels.SocketChannel javaChannel(TcpStream s) {
        return s.socket.channel(); // package-private in SocketStream
    }
}
