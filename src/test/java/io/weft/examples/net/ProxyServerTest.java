package io.weft.examples.net;

import static io.weft.examples.net.Loopback.ANY;
import static io.weft.examples.net.Loopback.connect;
import static io.weft.examples.net.Loopback.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The proxy example ({@code scripts/demo proxy}) driven over loopback by plain JDK sockets. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class ProxyServerTest {
    private final Loopback.Log log = new Loopback.Log();

    private ProxyServer.Config config(InetSocketAddress upstream) {
        return ProxyServer.Config.defaults(ANY, upstream).withLog(log);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void manyClientsThroughTheProxyToTheEchoServerGetTheirExactBytesBack(RuntimeFlavor flavor) throws Exception {
        int clients = 48;
        int size = 128 * 1024;
        try (Runtime rt = runtime(flavor);
             EchoServer echo = rt.blockOn(() -> EchoServer.start(EchoServer.Config.defaults(ANY).withLog(log)));
             ProxyServer proxy = rt.blockOn(() -> ProxyServer.start(config(echo.address())))) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int seed = i;
                    results.add(pool.submit(() -> {
                        byte[] data = new byte[size];
                        new Random(seed).nextBytes(data);
                        try (Socket s = connect(proxy.address())) {
                            return Arrays.equals(EchoServerTest.roundTrip(s, data), data);
                        }
                    }));
                }
                for (Future<Boolean> r : results) {
                    assertThat(r.get()).as("a client got its own bytes back through the proxy").isTrue();
                }
            }
            eventually("every proxied connection has ended", () -> proxy.active() == 0);
            assertThat(proxy.completed()).isEqualTo(clients);
            assertThat(proxy.bytesUp()).isEqualTo((long) clients * size);
            assertThat(proxy.bytesDown()).isEqualTo((long) clients * size);
            assertThat(proxy.failed()).isZero();
            assertThat(echo.bytesEchoed()).isEqualTo((long) clients * size);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aHalfClosePassesThroughAndTheReplyStillComesBack(RuntimeFlavor flavor) throws Exception {
        // An upstream that answers only once the request has ended: it needs the client's half-close.
        try (ServerSocket upstream = new ServerSocket(0, 50, ANY.getAddress());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             Runtime rt = runtime(flavor);
             ProxyServer proxy = rt.blockOn(() -> ProxyServer.start(config(
                 new InetSocketAddress(ANY.getAddress(), upstream.getLocalPort()))))) {
            Future<?> server = pool.submit(() -> {
                try (Socket s = upstream.accept()) {
                    byte[] request = s.getInputStream().readAllBytes(); // to end of stream
                    s.getOutputStream().write(("got " + request.length + " bytes: " + new String(request, UTF_8))
                        .getBytes(UTF_8));
                }
                return null;
            });
            try (Socket client = connect(proxy.address())) {
                client.getOutputStream().write("GET /".getBytes(UTF_8));
                client.shutdownOutput();
                assertThat(new String(Loopback.readToEnd(client.getInputStream()), UTF_8))
                    .isEqualTo("got 5 bytes: GET /");
            }
            server.get();
            eventually("the proxied connection has ended", () -> proxy.completed() == 1);
            assertThat(proxy.bytesUp()).isEqualTo(5);
            assertThat(proxy.bytesDown()).isEqualTo("got 5 bytes: GET /".length());
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anUpstreamThatIsDownGivesTheClientACleanClose(RuntimeFlavor flavor) throws Exception {
        InetSocketAddress nobody;
        try (ServerSocket s = new ServerSocket(0, 50, ANY.getAddress())) {
            nobody = new InetSocketAddress(ANY.getAddress(), s.getLocalPort()); // closed again: refused
        }
        InetSocketAddress down = nobody;
        try (Runtime rt = runtime(flavor); ProxyServer proxy = rt.blockOn(() -> ProxyServer.start(config(down)))) {
            try (Socket quiet = connect(proxy.address())) {
                assertThat(quiet.getInputStream().read()).as("end of stream, not a reset").isEqualTo(-1);
            }
            try (Socket eager = connect(proxy.address())) {
                eager.getOutputStream().write("hello?".getBytes(UTF_8));
                assertThat(eager.getInputStream().read()).as("end of stream, not a reset").isEqualTo(-1);
            }
            eventually("both connections have ended", () -> proxy.active() == 0);
            assertThat(proxy.upstreamFailures()).isEqualTo(2);
            assertThat(log.contains("unreachable")).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void anUpstreamThatResetsEndsThatConnectionOnly(RuntimeFlavor flavor) throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, ANY.getAddress());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             Runtime rt = runtime(flavor);
             EchoServer echo = rt.blockOn(() -> EchoServer.start(EchoServer.Config.defaults(ANY).withLog(log)));
             ProxyServer toRude = rt.blockOn(() -> ProxyServer.start(config(
                 new InetSocketAddress(ANY.getAddress(), upstream.getLocalPort()))));
             ProxyServer toEcho = rt.blockOn(() -> ProxyServer.start(config(echo.address())))) {
            Future<?> rude = pool.submit(() -> {
                Socket s = upstream.accept();
                s.getInputStream().readNBytes(1);
                Loopback.reset(s);
                return null;
            });
            try (Socket steady = connect(toEcho.address()); Socket client = connect(toRude.address())) {
                steady.getOutputStream().write(1);
                assertThat(steady.getInputStream().read()).isEqualTo(1);
                client.getOutputStream().write('x');
                rude.get();
                assertThat(client.getInputStream().read()).as("the client's connection ends").isEqualTo(-1);
                eventually("the failure was counted", () -> toRude.failed() == 1);
                steady.getOutputStream().write(2);
                assertThat(steady.getInputStream().read()).as("another connection goes on").isEqualTo(2);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closingTheProxyAbortsItsParkedCopiesAndClosesBothSidesOfEachConnection(RuntimeFlavor flavor)
        throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 50, ANY.getAddress());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             Runtime rt = runtime(flavor);
             EchoServer echo = rt.blockOn(() -> EchoServer.start(EchoServer.Config.defaults(ANY).withLog(log)))) {
            ProxyServer proxy = rt.blockOn(() -> ProxyServer.start(config(
                new InetSocketAddress(ANY.getAddress(), upstream.getLocalPort()))));
            Future<Integer> upstreamSide = pool.submit(() -> {
                try (Socket s = upstream.accept()) {
                    s.setSoTimeout(Loopback.SO_TIMEOUT_MS);
                    int first = s.getInputStream().read();
                    s.getOutputStream().write(first); // a reply, then nothing: both copies park in read
                    return s.getInputStream().read(); // the proxy's close: end of stream
                }
            });
            try (Socket client = connect(proxy.address()); Socket direct = connect(echo.address())) {
                client.getOutputStream().write(7);
                assertThat(client.getInputStream().read()).isEqualTo(7);

                proxy.close();

                assertThat(proxy.active()).isZero();
                assertThat(client.getInputStream().read()).as("the client side was closed").isEqualTo(-1);
                assertThat(upstreamSide.get()).as("the upstream side was closed").isEqualTo(-1);
                direct.getOutputStream().write(8);
                assertThat(direct.getInputStream().read()).as("the echo server in the same runtime is untouched")
                    .isEqualTo(8);
            }
        }
    }
}
