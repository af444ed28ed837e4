package io.weft.internal.net;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ReactorSocketChannel}: a JDK channel's blocking contract (reads, writes, close, interrupt) and
 * a {@code java.net.Socket} view (streams, {@code setSoTimeout}), parked on Weft's reactor. This is
 * what Helidon's connections run on, so the cases follow what Helidon does with a socket.
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReactorSocketChannelTest {
    private ServerSocketChannel server;

    @BeforeEach
    void listen() throws IOException {
        // a backlog for every client of the many-connection case, which all connect at once
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    }

    @AfterEach
    void close() throws IOException {
        server.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(server.getLocalAddress(), 5000);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Accepts the next connection (the client must have connected) and wraps it, inside the runtime. */
    private ReactorSocketChannel accept() throws IOException {
        SocketChannel accepted = server.accept();
        return ReactorSocketChannel.wrap(accepted);
    }

    private static byte[] readN(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        assertThat(b).hasSize(n);
        return b;
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void echoesThroughTheChannelAndTheSocketStreamsAndRegistersWithTheRuntimesReactor(RuntimeFlavor flavor)
        throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            long registeredBefore = rt.metrics().ioDriverFdRegisteredCount();
            long deregisteredBefore = rt.metrics().ioDriverFdDeregisteredCount();
            JoinHandle<String> served = rt.spawn(() -> {
                try (ReactorSocketChannel ch = accept()) {
                    assertThat(ch.isBlocking()).isTrue();
                    assertThat(ch.isConnected()).isTrue();
                    assertThat(ch.getRemoteAddress()).isEqualTo(client.getLocalSocketAddress());
                    assertThat(ch.socket().getRemoteSocketAddress()).isEqualTo(client.getLocalSocketAddress());
                    assertThat(ch.socket().getLocalPort()).isEqualTo(client.getPort());
                    assertThat(ch.socket().getChannel()).isSameAs(ch);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    assertThat(ch.socket().getTcpNoDelay()).isTrue();
                    // channel: read what there is, write it back
                    ByteBuffer buf = ByteBuffer.allocate(5);
                    while (buf.hasRemaining()) {
                        assertThat(ch.read(buf)).isPositive();
                    }
                    assertThat(ch.write(buf.flip())).isEqualTo(5);
                    // streams: the same over java.net
                    InputStream in = ch.socket().getInputStream();
                    OutputStream out = ch.socket().getOutputStream();
                    byte[] line = readN(in, 6);
                    out.write(line);
                    out.write('!');
                    assertThat(in.read()).isEqualTo(-1); // the client shut its output
                    return new String(line, UTF_8);
                }
            });
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            out.write("hello".getBytes(UTF_8));
            assertThat(new String(readN(in, 5), UTF_8)).isEqualTo("hello");
            out.write("world?".getBytes(UTF_8));
            assertThat(new String(readN(in, 7), UTF_8)).isEqualTo("world?!");
            client.shutdownOutput();
            assertThat(served.join(Duration.ofSeconds(20))).isEqualTo("world?");
            assertThat(in.read()).isEqualTo(-1); // closed by the server
            assertThat(rt.metrics().ioDriverFdRegisteredCount() - registeredBefore).isEqualTo(1);
            WeftTesting.eventually(Duration.ofSeconds(5),
                () -> rt.metrics().ioDriverFdDeregisteredCount() - deregisteredBefore == 1,
                () -> "the closed connection left the driver");
        }
    }

    /**
     * Helidon's idle check: the socket's read timeout is set, a read times out with
     * SocketTimeoutException, and the connection is still good; the channel's own reads ignore it.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void soTimeoutBoundsStreamReadsAndLosesNothing(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            CountDownLatch timedOut = new CountDownLatch(1);
            JoinHandle<String> served = rt.spawn(() -> {
                try (ReactorSocketChannel ch = accept()) {
                    Socket s = ch.socket();
                    s.setSoTimeout(50);
                    assertThat(s.getSoTimeout()).isEqualTo(50);
                    InputStream in = s.getInputStream();
                    long t0 = System.nanoTime();
                    assertThatThrownBy(in::read).isInstanceOf(SocketTimeoutException.class);
                    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
                    assertThat(ch.isOpen()).isTrue();
                    timedOut.countDown();
                    s.setSoTimeout(0);
                    byte[] got = in.readNBytes(3);
                    // the channel's read has no timeout even while the socket has one
                    s.setSoTimeout(1);
                    ByteBuffer more = ByteBuffer.allocate(2);
                    while (more.hasRemaining()) {
                        ch.read(more);
                    }
                    return new String(got, UTF_8) + new String(more.array(), UTF_8);
                }
            });
            assertThat(timedOut.await(20, TimeUnit.SECONDS)).isTrue();
            client.getOutputStream().write("abc".getBytes(UTF_8));
            Thread.sleep(100); // the channel read must wait past the socket's 1 ms timeout
            client.getOutputStream().write("de".getBytes(UTF_8));
            assertThat(served.join(Duration.ofSeconds(20))).isEqualTo("abcde");
        }
    }

    /** Helidon stops idle connections by interrupting their threads: the JDK's contract holds. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anAbortWhileReadingClosesTheChannelWithClosedByInterrupt(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<ReactorSocketChannel> channel = new AtomicReference<>();
            CountDownLatch reading = new CountDownLatch(1);
            JoinHandle<Void> reader = rt.spawn(() -> {
                ReactorSocketChannel ch = accept();
                channel.set(ch);
                reading.countDown();
                try {
                    ch.socket().getInputStream().read();
                } catch (Throwable t) {
                    thrown.set(t);
                }
                return null;
            });
            assertThat(reading.await(20, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(50); // let it park
            reader.abort();
            WeftTesting.eventually(Duration.ofSeconds(10), reader::isFinished, () -> "the aborted reader ended");
            assertThat(thrown.get()).isInstanceOf(ClosedByInterruptException.class);
            assertThat(channel.get().isOpen()).isFalse();
            assertThat(channel.get().socket().isClosed()).isTrue();
            assertThat(client.getInputStream().read()).isEqualTo(-1); // the peer sees the close
        }
    }

    /**
     * An interrupt already pending when a call starts closes the channel even when the call would not
     * wait (data ready, room to write), as the JDK's begin() does: Helidon's forced stop only
     * interrupts, and a connection streaming to a fast client never parks.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aPendingInterruptClosesTheChannelEvenWhenTheCallWouldNotWait(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            client.getOutputStream().write("ready".getBytes(UTF_8));
            JoinHandle<String> reader = rt.spawn(() -> {
                ReactorSocketChannel ch = accept();
                Thread.sleep(50); // the bytes are there
                Thread.currentThread().interrupt();
                try {
                    ch.read(ByteBuffer.allocate(16));
                    return "read despite the interrupt";
                } catch (ClosedByInterruptException e) {
                    return "closed=" + !ch.isOpen() + " interrupted=" + Thread.interrupted();
                }
            });
            assertThat(reader.join(Duration.ofSeconds(20))).isEqualTo("closed=true interrupted=true");
            // closed with "ready" unread, so the kernel resets the connection rather than sending FIN
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(java.net.SocketException.class)
                .hasMessageContaining("reset");
        }
        // a writer streaming to a client that keeps up: the interrupt ends it at its next write
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            CountDownLatch streaming = new CountDownLatch(1);
            JoinHandle<Long> writer = rt.spawn(() -> {
                ReactorSocketChannel ch = accept();
                OutputStream out = ch.socket().getOutputStream();
                byte[] chunk = new byte[1024];
                long writes = 0;
                try {
                    while (true) {
                        out.write(chunk);
                        if (++writes == 100) {
                            streaming.countDown();
                        }
                    }
                } catch (ClosedByInterruptException e) {
                    return writes;
                }
            });
            Thread drain = Thread.ofVirtual().start(() -> {
                try {
                    client.getInputStream().transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // the server closed
                }
            });
            assertThat(streaming.await(20, TimeUnit.SECONDS)).isTrue();
            writer.abort(); // an interrupt, as Helidon's forceTerminate
            WeftTesting.eventually(Duration.ofSeconds(10), writer::isFinished, () -> "the streaming writer stopped");
            drain.join(10_000);
            assertThat(drain.isAlive()).as("the client saw the connection end").isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void shutdownsAndCloseGiveTheJdkChannelsAnswers(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            JoinHandle<String> served = rt.spawn(() -> {
                ReactorSocketChannel ch = accept();
                ch.shutdownOutput();
                assertThatThrownBy(() -> ch.write(ByteBuffer.wrap(new byte[] {1}))).isInstanceOf(ClosedChannelException.class);
                ch.shutdownInput();
                assertThat(ch.read(ByteBuffer.allocate(4))).isEqualTo(-1);
                assertThat(ch.socket().getInputStream().read()).isEqualTo(-1);
                assertThat(ch.isOpen()).isTrue();
                ch.close();
                assertThatThrownBy(ch::shutdownInput).isInstanceOf(ClosedChannelException.class);
                assertThatThrownBy(ch::shutdownOutput).isInstanceOf(ClosedChannelException.class);
                assertThatThrownBy(() -> ch.read(new ByteBuffer[] {ByteBuffer.allocate(0)}))
                    .isInstanceOf(ClosedChannelException.class);
                return "ok";
            });
            assertThat(served.join(Duration.ofSeconds(20))).isEqualTo("ok");
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aCloseFromAnotherThreadWakesTheReaderWithAsynchronousCloseAndLaterCallsSeeClosed(RuntimeFlavor flavor)
        throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            AtomicReference<ReactorSocketChannel> channel = new AtomicReference<>();
            CountDownLatch reading = new CountDownLatch(1);
            JoinHandle<Throwable> reader = rt.spawn(() -> {
                ReactorSocketChannel ch = accept();
                channel.set(ch);
                reading.countDown();
                try {
                    ch.read(ByteBuffer.allocate(8));
                    return null;
                } catch (IOException e) {
                    return e;
                }
            });
            assertThat(reading.await(20, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(50);
            channel.get().socket().getOutputStream().close(); // java.net: closing a stream closes the socket
            assertThat(reader.join(Duration.ofSeconds(20))).isInstanceOf(AsynchronousCloseException.class);
            assertThatThrownBy(() -> channel.get().write(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> channel.get().socket().getInputStream()).hasMessageContaining("closed");
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void halfCloseAndTheRefusedOperations(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor); Socket client = connect()) {
            JoinHandle<String> served = rt.spawn(() -> {
                try (ReactorSocketChannel ch = accept()) {
                    assertThatThrownBy(() -> ch.configureBlocking(false)).isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("Weft's reactor");
                    assertThat(ch.isBlocking()).isTrue();
                    assertThatThrownBy(() -> ch.connect(client.getLocalSocketAddress()))
                        .isInstanceOf(java.nio.channels.AlreadyConnectedException.class);
                    ch.socket().getOutputStream().write("bye".getBytes(UTF_8));
                    ch.socket().shutdownOutput();
                    assertThat(ch.socket().isOutputShutdown()).isTrue();
                    // still reads after shutting its output
                    return new String(ch.socket().getInputStream().readNBytes(4), UTF_8);
                }
            });
            assertThat(new String(client.getInputStream().readAllBytes(), UTF_8)).isEqualTo("bye");
            client.getOutputStream().write("late".getBytes(UTF_8));
            assertThat(served.join(Duration.ofSeconds(20))).isEqualTo("late");
        }
    }

    /** Many connections at once, random sizes, every byte echoed through the stream adapters. */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void manyConnectionsEchoEveryByte(RuntimeFlavor flavor) throws Exception {
        int conns = 200;
        try (Runtime rt = WeftTesting.runtime(flavor)) {
            JoinHandle<Long> acceptor = rt.spawn(() -> {
                List<JoinHandle<Long>> echoes = new ArrayList<>();
                for (int i = 0; i < conns; i++) {
                    SocketChannel accepted = server.accept();
                    echoes.add(Task.spawn(() -> {
                        long total = 0;
                        try (ReactorSocketChannel ch = ReactorSocketChannel.wrap(accepted)) {
                            InputStream in = ch.socket().getInputStream();
                            OutputStream out = ch.socket().getOutputStream();
                            byte[] buf = new byte[1 + (int) (Math.random() * 3000)];
                            int n;
                            while ((n = in.read(buf)) > 0) {
                                out.write(buf, 0, n);
                                total += n;
                            }
                        }
                        return total;
                    }));
                }
                long sum = 0;
                for (JoinHandle<Long> e : echoes) {
                    sum += e.join();
                }
                return sum;
            });
            List<Thread> clients = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            long[] sent = new long[conns];
            for (int i = 0; i < conns; i++) {
                int id = i;
                clients.add(Thread.ofVirtual().start(() -> {
                    Random rnd = new Random(id);
                    try (Socket s = connect()) {
                        byte[] data = new byte[1 + rnd.nextInt(200_000)];
                        rnd.nextBytes(data);
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                s.getOutputStream().write(data);
                                s.shutdownOutput();
                            } catch (IOException e) {
                                failures.add(e);
                            }
                        });
                        byte[] back = s.getInputStream().readAllBytes();
                        writer.join();
                        if (!Arrays.equals(back, data)) {
                            failures.add(new AssertionError("connection " + id + ": " + back.length + " of " + data.length
                                + " bytes came back intact? " + Arrays.equals(Arrays.copyOf(back, Math.min(back.length, data.length)),
                                Arrays.copyOf(data, Math.min(back.length, data.length)))));
                        }
                        sent[id] = data.length;
                    } catch (Exception e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : clients) {
                t.join();
            }
            assertThat(failures).isEmpty();
            assertThat(acceptor.join(Duration.ofSeconds(60))).isEqualTo(Arrays.stream(sent).sum());
        }
    }
}
