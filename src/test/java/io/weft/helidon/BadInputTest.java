package io.weft.helidon;

import static io.weft.testing.WeftTesting.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.weft.runtime.Runtime;
import io.weft.testing.WeftTesting;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Helidon's answers to bad input hold on Weft: each case is sent to a plain Helidon server (JDK
 * default scheduler) and to the same server on Weft, and both must answer alike; the Weft server
 * keeps serving, and after the run no connection task is left.
 */
@Tag(WeftTesting.CONTRACT)
@Timeout(120)
class BadInputTest {
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
    private static Runtime rt;
    private static WeftWebServer weft;
    private static WebServer plain;

    static WebServerConfig.Builder config() {
        return WebServer.builder()
            .host("127.0.0.1")
            .maxPayloadSize(1024)
            .idleConnectionTimeout(IDLE_TIMEOUT)
            .idleConnectionPeriod(Duration.ofMillis(250))
            .protocolsDiscoverServices(false)
            .addProtocol(io.helidon.webserver.http1.Http1Config.builder().maxHeadersSize(4096).build())
            .routing(r -> r
                .get("/", (req, res) -> res.send("ok"))
                .post("/echo", (req, res) -> res.send(req.content().as(String.class)))
                .get("/boom", (req, res) -> {
                    throw new IllegalStateException("handler failed on purpose");
                }));
    }

    @BeforeAll
    static void start() {
        rt = Runtime.builder().workerThreads(2).threadName(WeftTesting.uniquePrefix("bad-input"))
            .shutdownTimeout(Duration.ofSeconds(5)).build();
        weft = WeftWebServer.builder(rt).config(config()).build().start();
        plain = config().build().start();
    }

    @AfterAll
    static void stop() {
        if (weft != null) {
            weft.stop();
        }
        if (plain != null) {
            plain.stop();
        }
        if (rt != null) {
            assertThat(rt.shutdown(Duration.ofSeconds(5))).as("runtime shut down cleanly").isTrue();
        }
    }

    /** Sends {@code request} to both servers; returns the Weft answer after checking the statuses match. */
    private static String both(String request, int expectedStatus) throws Exception {
        String p = Http.raw(plain.port(), request, Duration.ofSeconds(5));
        String w = Http.raw(weft.port(), request, Duration.ofSeconds(5));
        assertThat(Http.status(w)).as("Weft's answer to %s%nplain: %s%nweft: %s", request.lines().findFirst().orElse(""), p, w)
            .isEqualTo(Http.status(p))
            .isEqualTo(expectedStatus);
        return w;
    }

    @Test
    void malformedRequestLineGets400() throws Exception {
        both("GARBAGE\r\n\r\n", 400);
        both("GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n", 400);
        both("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        assertStillServing();
    }

    @Test
    void oversizedHeadersAndBodyAreRefused() throws Exception {
        String big = "x".repeat(8192);
        String r = Http.raw(plain.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", Duration.ofSeconds(5));
        int expected = Http.status(r);
        assertThat(expected).as("Helidon refuses oversized headers: %s", r).isBetween(400, 499);
        both("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", expected);
        both("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n" + "y".repeat(4096), 413);
        assertStillServing();
    }

    @Test
    void throwingHandlerGets500() throws Exception {
        both("GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 500);
        assertStillServing();
    }

    @Test
    void slowClientsDoNotHoldTheServerAndIdleConnectionsAreClosed() throws Exception {
        int clients = 20;
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<String>> slow = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                // Half a request, then silence for 2 s; then the client gives up and closes.
                Callable<String> c = () -> Http.raw(weft.port(), "GET / HTTP/1.1\r\nHost: x\r\n", Duration.ofSeconds(2));
                slow.add(pool.submit(c));
            }
            for (int i = 0; i < 20; i++) {
                assertStillServing(); // the slow clients hold a task each, never a carrier
            }
            for (Future<String> f : slow) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // An idle keep-alive connection: both servers answer, then close it at the idle timeout.
        for (int port : new int[] {plain.port(), weft.port()}) {
            long t0 = System.nanoTime();
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                s.setSoTimeout(15_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                String all = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(Http.status(all)).isEqualTo(200);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("closed by the idle timeout, port %d", port)
                .isLessThan(Duration.ofSeconds(8));
        }
        eventually(Duration.ofSeconds(10), () -> weft.activeTasks() == 0,
            () -> "connection tasks left after the slow clients: " + weft.activeTasks());
    }

    @Test
    void nothingLeaksAfterALoadOfBadAndGoodRequests() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<Integer>> all = new ArrayList<>();
            String[] requests = {
                "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "GARBAGE\r\n\r\n",
                "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n" + "z".repeat(2000),
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n", // keep-alive: the server closes it at its read timeout
            };
            for (int i = 0; i < 400; i++) {
                String req = requests[i % requests.length];
                all.add(pool.submit(() -> Http.status(Http.raw(weft.port(), req, Duration.ofSeconds(10)))));
            }
            for (Future<Integer> f : all) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isIn(200, 400, 413, 500);
            }
        } finally {
            pool.shutdownNow();
        }
        eventually(Duration.ofSeconds(10), () -> weft.activeTasks() == 0 && rt.metrics().aliveTasks() == 0,
            () -> "left after the load: " + weft.activeTasks() + " connection tasks, " + rt.metrics().aliveTasks() + " tasks");
        assertStillServing();
    }

    private static void assertStillServing() throws Exception {
        assertThat(Http.get(Http.client(), weft.port(), "/").body()).isEqualTo("ok");
    }
}
