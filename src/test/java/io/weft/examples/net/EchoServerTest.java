package io.weft.examples.net;

import static io.weft.examples.net.Loopback.ANY;
import static io.weft.examples.net.Loopback.connect;
import static io.weft.examples.net.Loopback.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The echo example ({@code scripts/demo echo}) driven over loopback by plain JDK sockets. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class EchoServerTest {
    private final Loopback.Log log = new Loopback.Log();

    private EchoServer.Config config() {
        return EchoServer.Config.defaults(ANY).withLog(log);
    }

    /** Sends {@code data} from another thread while reading the echo here; half-closes; expects EOF. */
    static byte[] roundTrip(Socket s, byte[] data) throws Exception {
        try (ExecutorService writer = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> sent = writer.submit(() -> {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < data.length; off += 1000) {
                    out.write(data, off, Math.min(1000, data.length - off));
                }
                s.shutdownOutput();
                return null;
            });
            byte[] got = Loopback.readToEnd(s.getInputStream());
            sent.get();
            return got;
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void manyClientsAtOnceGetExactlyTheirOwnBytesBack(RuntimeFlavor flavor) throws Exception {
        int clients = 64;
        int size = 64 * 1024;
        try (Runtime rt = runtime(flavor); EchoServer echo = rt.blockOn(() -> EchoServer.start(config()))) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int seed = i;
                    results.add(pool.submit(() -> {
                        byte[] data = new byte[size];
                        new Random(seed).nextBytes(data);
                        try (Socket s = connect(echo.address())) {
                            return Arrays.equals(roundTrip(s, data), data);
                        }
                    }));
                }
                for (Future<Boolean> r : results) {
                    assertThat(r.get()).as("a client got its own bytes back, exactly").isTrue();
                }
            }
            eventually("every connection has ended", () -> echo.active() == 0);
            assertThat(echo.accepted()).isEqualTo(clients);
            assertThat(echo.bytesEchoed()).isEqualTo((long) clients * size);
            assertThat(echo.failed()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aClientThatResetsEndsOnlyItsOwnConnection(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor); EchoServer echo = rt.blockOn(() -> EchoServer.start(config()))) {
            try (Socket steady = connect(echo.address())) {
                byte[] one = "before".getBytes();
                steady.getOutputStream().write(one);
                assertThat(steady.getInputStream().readNBytes(one.length)).isEqualTo(one);

                Socket rude = connect(echo.address());
                rude.getOutputStream().write("hello".getBytes());
                assertThat(rude.getInputStream().readNBytes(5)).isEqualTo("hello".getBytes());
                Loopback.reset(rude);
                eventually("the reset connection has failed", () -> echo.failed() == 1);
                assertThat(log.contains("Connection reset") || log.contains("Broken pipe"))
                    .as("the log names the reset: " + log.lines).isTrue();

                byte[] two = "after".getBytes();
                steady.getOutputStream().write(two);
                assertThat(steady.getInputStream().readNBytes(two.length)).as("the other client is still served")
                    .isEqualTo(two);
                try (Socket fresh = connect(echo.address())) {
                    assertThat(roundTrip(fresh, "new".getBytes())).isEqualTo("new".getBytes());
                }
            }
            eventually("every connection has ended", () -> echo.active() == 0);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aClientThatSendsNothingIsDisconnectedByTheIdleTimeout(RuntimeFlavor flavor) throws Exception {
        var cfg = config().withIdleTimeout(Duration.ofMillis(300));
        try (Runtime rt = runtime(flavor); EchoServer echo = rt.blockOn(() -> EchoServer.start(cfg))) {
            try (Socket silent = connect(echo.address())) {
                assertThat(silent.getInputStream().read()).as("end of stream after the idle timeout").isEqualTo(-1);
            }
            assertThat(echo.timedOut()).isEqualTo(1);
            assertThat(echo.failed()).isZero();
            try (Socket next = connect(echo.address())) {
                assertThat(roundTrip(next, "still here".getBytes())).isEqualTo("still here".getBytes());
            }
        }
    }

    @Test
    void aClientThatNeverReadsIsDisconnectedByTheWriteTimeoutWithoutTheServerBuffering() throws Exception {
        var cfg = config().withWriteTimeout(Duration.ofMillis(300));
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD); EchoServer echo = rt.blockOn(() -> EchoServer.start(cfg));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            try (Socket hog = connect(echo.address(), 4096)) {
                OutputStream out = hog.getOutputStream();
                // The server holds one 8 KiB buffer plus what the kernel buffers: far less than this.
                Future<?> writing = pool.submit(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    for (long n = 0; n < 512L * 1024 * 1024; n += chunk.length) {
                        out.write(chunk);
                    }
                    return null;
                });
                eventually("the server's write timed out", () -> echo.timedOut() == 1);
                eventually("the connection has ended", () -> echo.active() == 0);
                try {
                    writing.get(20, java.util.concurrent.TimeUnit.SECONDS);
                    org.assertj.core.api.Assertions.fail("the client wrote 512 MiB to a server that does not read");
                } catch (java.util.concurrent.TimeoutException e) {
                    org.assertj.core.api.Assertions.fail("the server closed the connection (" + log.lines
                        + "), but the client's write is still blocked 20 s later: no reset reached it");
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).as("the client's write fails: the server closed with bytes unread")
                        .isInstanceOf(IOException.class);
                }
            }
            try (Socket next = connect(echo.address())) {
                assertThat(roundTrip(next, "ok".getBytes())).isEqualTo("ok".getBytes());
            }
        }
    }

    static boolean refused(java.net.InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closingOneServerEndsItsParkedConnectionsAndLeavesAnotherServerAlone(RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(flavor);
             EchoServer other = rt.blockOn(() -> EchoServer.start(config()))) {
            EchoServer echo = rt.blockOn(() -> EchoServer.start(config()));
            try (Socket parked = connect(echo.address()); Socket elsewhere = connect(other.address())) {
                parked.getOutputStream().write(1);
                assertThat(parked.getInputStream().read()).isEqualTo(1); // its task is now parked in read
                elsewhere.getOutputStream().write(2);
                assertThat(elsewhere.getInputStream().read()).isEqualTo(2);

                echo.close(); // aborts the accept loop and the parked connection task

                assertThat(echo.active()).isZero();
                InputStream in = parked.getInputStream();
                assertThat(in.read()).as("the aborted task closed its stream").isEqualTo(-1);
                // TcpListener.close() cancels the key; the JDK closes the socket at the reactor's next
                // select, so for a moment the kernel may still complete a handshake.
                eventually("the port refuses connections", () -> refused(echo.address()));

                elsewhere.getOutputStream().write(3);
                assertThat(elsewhere.getInputStream().read()).as("the other server's connection is untouched")
                    .isEqualTo(3);
                assertThat(echo.failed()).isZero();
            }
        }
    }
}
