package io.weft.helidon;

import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.webserver.WebServer;
import io.weft.runtime.Handle;
import io.weft.runtime.Runtime;
import io.weft.sync.Mpsc;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.Time;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Helidon on Weft over loopback with {@code java.net.http.HttpClient}. */
@Tag(WeftTesting.CONTRACT)
@Timeout(120)
class WeftWebServerTest {
    private Runtime rt;

    @BeforeEach
    void setUp() {
        rt = Runtime.builder().workerThreads(2).threadName(WeftTesting.uniquePrefix("http"))
            .shutdownTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void tearDown() {
        rt.shutdownNow();
        rt.awaitTermination(Duration.ofSeconds(5));
    }

    private WeftWebServer hello() {
        return WeftWebServer.create(rt, r -> r.get("/", (req, res) -> res.send("Hello, World!"))).start();
    }

    @Test
    void servesHelloWorld() throws Exception {
        try (WeftWebServer server = hello()) {
            HttpResponse<String> r = Http.get(server.port(), "/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("Hello, World!");
            assertThat(Http.get(server.port(), "/nope").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void handlerRunsAsAWeftTask() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        try (WeftWebServer server = WeftWebServer.create(rt, r -> r.get("/", (req, res) -> {
            Thread t = Thread.currentThread();
            boolean inRuntime = Handle.tryCurrent().isPresent() && Task.currentId().isPresent();
            seen.set(t.isVirtual() + " " + inRuntime + " " + t);
            res.send("ok");
        })).start()) {
            long spawnedBefore = rt.metrics().spawnedTasks();
            assertThat(Http.get(server.port(), "/").body()).isEqualTo("ok");
            assertThat(seen.get()).startsWith("true true ");
            if (weftScheduler()) {
                // VirtualThread[#42]/runnable@weft-worker-http-1-0: mounted on one of this runtime's carriers
                assertThat(seen.get()).contains("@weft-worker-http-");
                assertThat(rt.usesWeftScheduler()).isTrue();
            }
            assertThat(rt.metrics().spawnedTasks()).as("the connection is a task of the runtime")
                .isGreaterThan(spawnedBefore);
        }
    }

    @Test
    void handlersUseWeftTasksTimeAndChannels() throws Exception {
        try (WeftWebServer server = WeftWebServer.create(rt, r -> r.get("/fan", (req, res) -> {
            var ch = Mpsc.<Integer>channel(8);
            for (int i = 1; i <= 4; i++) {
                int v = i;
                var tx = ch.sender().cloneSender();
                Task.spawn(() -> {
                    Time.sleep(Duration.ofMillis(5 * v));
                    tx.send(v * 10);
                    tx.close();
                });
            }
            ch.sender().close();
            int sum = 0;
            for (Integer v : ch.receiver()) {
                sum += v;
            }
            res.send("sum=" + sum);
        })).start()) {
            assertThat(Http.get(server.port(), "/fan").body()).isEqualTo("sum=100");
        }
    }

    @Test
    void throwingHandlerGets500AndTheServerKeepsServing() throws Exception {
        try (WeftWebServer server = WeftWebServer.create(rt, r -> r
            .get("/boom", (req, res) -> {
                throw new IllegalStateException("handler failed on purpose");
            })
            .get("/", (req, res) -> res.send("still here"))).start()) {
            for (int i = 0; i < 5; i++) {
                assertThat(Http.get(server.port(), "/boom").statusCode()).isEqualTo(500);
            }
            assertThat(Http.get(server.port(), "/").body()).isEqualTo("still here");
        }
    }

    @Test
    void thousandsOfRequestsOverManyConnections() throws Exception {
        int clients = 32;
        int perClient = 150;
        try (WeftWebServer server = hello()) {
            int port = server.port();
            long spawnedBefore = rt.metrics().spawnedTasks();
            long registeredBefore = rt.metrics().ioDriverFdRegisteredCount();
            long deregisteredBefore = rt.metrics().ioDriverFdDeregisteredCount();
            List<CompletableFuture<Integer>> all = new ArrayList<>();
            List<HttpClient> httpClients = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                HttpClient client = Http.client();
                httpClients.add(client);
                // Each client runs its requests one after another on a keep-alive connection.
                all.add(CompletableFuture.supplyAsync(() -> {
                    int ok = 0;
                    for (int i = 0; i < perClient; i++) {
                        try {
                            HttpResponse<String> r = Http.get(client, port, "/");
                            if (r.statusCode() == 200 && r.body().equals("Hello, World!")) {
                                ok++;
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }
                    return ok;
                }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()));
            }
            int ok = 0;
            for (CompletableFuture<Integer> f : all) {
                ok += f.get(90, TimeUnit.SECONDS);
            }
            assertThat(ok).isEqualTo(clients * perClient);
            assertThat(rt.metrics().spawnedTasks() - spawnedBefore).as("one task per connection")
                .isBetween((long) clients, (long) clients * perClient);
            httpClients.forEach(HttpClient::close);
            server.stop();
            assertThat(server.activeTasks()).isZero();
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0,
                () -> "tasks still alive after stop: " + rt.metrics().aliveTasks());
            // every connection the reactor took (one per connection on Weft's scheduler) was given back
            long registered = rt.metrics().ioDriverFdRegisteredCount() - registeredBefore;
            assertThat(registered).isEqualTo(weftScheduler() ? rt.metrics().spawnedTasks() - spawnedBefore : 0);
            eventually(Duration.ofSeconds(5),
                () -> rt.metrics().ioDriverFdDeregisteredCount() - deregisteredBefore == registered,
                () -> "reactor registrations left after stop: "
                    + (registered - (rt.metrics().ioDriverFdDeregisteredCount() - deregisteredBefore)));
            // Helidon's accept thread is gone too. (Helidon 4.5 never cancels its per-server daemon
            // "helidon-idle-connection-timer" Timer, on Weft or not: that thread is Helidon's to fix.)
            WeftTesting.assertNoThreadsEventually("server-@default-listener", Duration.ofSeconds(5));
        }
    }

    /**
     * Plain connections park on the runtime's own reactor (one registration each, all given back at
     * stop), by default on Weft's scheduler; {@code socketsOnReactor(false)} leaves them to the JDK's
     * poller. Requests on a keep-alive connection that idles between them still work (Helidon's idle
     * check reads with a short {@code setSoTimeout} meanwhile), and stop closes idle connections.
     */
    @Test
    void plainConnectionsParkOnTheRuntimesReactorUnlessAskedNotTo() throws Exception {
        // {on the reactor?, Helidon's NIO socket (its default) or its java.net socket path}
        for (boolean[] setUp : new boolean[][] {{true, true}, {true, false}, {false, true}}) {
            boolean onReactor = setUp[0];
            WeftWebServer.Builder b = WeftWebServer.builder(rt)
                .config(WebServer.builder().useNio(setUp[1]))
                .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")));
            if (!onReactor) {
                b.socketsOnReactor(false);
            }
            boolean expectReactor = onReactor && rt.usesWeftScheduler();
            WeftWebServer server = b.build().start();
            assertThat(server.socketsOnReactor()).isEqualTo(expectReactor);
            long registered = rt.metrics().ioDriverFdRegisteredCount();
            long deregistered = rt.metrics().ioDriverFdDeregisteredCount();
            int connections = 6;
            List<java.net.Socket> idle = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", server.port());
                s.setSoTimeout(10_000);
                idle.add(s);
                for (int i = 0; i < 2; i++) {
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                    String head = readResponse(s.getInputStream());
                    assertThat(head).startsWith("HTTP/1.1 200").endsWith("Hello, World!");
                    Thread.sleep(i == 0 && c == 0 ? 350 : 1); // past Helidon's 101 ms idle-check reads
                }
            }
            assertThat(rt.metrics().ioDriverFdRegisteredCount() - registered).as("registrations, reactor=" + expectReactor)
                .isEqualTo(expectReactor ? connections : 0);
            server.stop(); // the idle connections are closed by the server
            for (java.net.Socket s : idle) {
                assertThat(s.getInputStream().read()).isEqualTo(-1);
                s.close();
            }
            eventually(Duration.ofSeconds(5),
                () -> rt.metrics().ioDriverFdDeregisteredCount() - deregistered == (expectReactor ? connections : 0),
                () -> "connections still registered after stop: "
                    + (rt.metrics().ioDriverFdDeregisteredCount() - deregistered));
            eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0,
                () -> "tasks still alive after stop: " + rt.metrics().aliveTasks());
        }
    }

    /**
     * TLS connections are served both ways: on Helidon's NIO sockets (its default: an SSLEngine over
     * the channel) they move to the reactor; on its java.net path (an SSLSocket layered on the socket)
     * they keep the JDK's channel and poller.
     */
    @Test
    void tlsConnectionsAreServedOnTheReactorWithHelidonsNioSockets(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
        throws Exception {
        java.nio.file.Path store = dir.resolve("server.p12");
        char[] pass = "changeit".toCharArray();
        Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
            "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
            "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
            "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String keytoolOut = new String(keytool.getInputStream().readAllBytes());
        assertThat(keytool.waitFor()).as(keytoolOut).isZero();
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = java.nio.file.Files.newInputStream(store)) {
            ks.load(in, pass);
        }
        var kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        javax.net.ssl.SSLContext serverCtx = javax.net.ssl.SSLContext.getInstance("TLS");
        serverCtx.init(kmf.getKeyManagers(), null, null);
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks); // the client trusts the server's self-signed certificate
        javax.net.ssl.SSLContext clientCtx = javax.net.ssl.SSLContext.getInstance("TLS");
        clientCtx.init(null, tmf.getTrustManagers(), null);

        for (boolean nio : new boolean[] {true, false}) {
            try (WeftWebServer server = WeftWebServer.builder(rt)
                .config(WebServer.builder().useNio(nio).tls(t -> t.sslContext(serverCtx)))
                .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!"))
                    .get("/big", (req, res) -> res.send("x".repeat(300_000))))
                .build().start()) {
                long registered = rt.metrics().ioDriverFdRegisteredCount();
                for (int i = 0; i < 3; i++) {
                    try (var s = (javax.net.ssl.SSLSocket) clientCtx.getSocketFactory().createSocket("127.0.0.1", server.port())) {
                        s.setSoTimeout(10_000);
                        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                        s.getOutputStream().flush();
                        assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("Hello, World!");
                        // a response of many TLS records on the same connection
                        s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                        s.getOutputStream().flush();
                        assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("x".repeat(300_000));
                    }
                }
                assertThat(rt.metrics().ioDriverFdRegisteredCount() - registered).as("TLS connections on the reactor, nio=" + nio)
                    .isEqualTo(nio && server.socketsOnReactor() ? 3 : 0);
            }
        }
    }

    /** One HTTP/1.1 response with a Content-Length body, as text. */
    private static String readResponse(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("response so far: " + head).isNotNegative();
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        assertThat(m.find()).as(head.toString()).isTrue();
        byte[] body = in.readNBytes(Integer.parseInt(m.group(1)));
        return head.toString().strip() + "\n" + new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void stopWhileServingLetsTheRequestInFlightFinishAndLeaksNothing() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        WeftWebServer server = WeftWebServer.builder(rt)
            .config(WebServer.builder().shutdownGracePeriod(Duration.ofSeconds(3)))
            .routing(r -> r.get("/slow", (req, res) -> {
                entered.countDown();
                Time.sleep(Duration.ofMillis(300));
                res.send("done");
            }))
            .build().start();
        int port = server.port();
        CompletableFuture<HttpResponse<String>> inFlight = Http.CLIENT.sendAsync(
            HttpRequest.newBuilder(Http.uri(port, "/slow")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        server.stop();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).body()).isEqualTo("done");
        assertThat(server.isRunning()).isFalse();
        assertThat(server.activeTasks()).isZero();
        eventually(Duration.ofSeconds(5), () -> rt.metrics().aliveTasks() == 0,
            () -> "tasks still alive after stop: " + rt.metrics().aliveTasks());
        assertThatThrownBy(() -> Http.get(Http.client(), port, "/slow")).isInstanceOf(ConnectException.class);
    }

    @Test
    void runtimeShutdownStopsTheServerCleanly() throws Exception {
        WeftWebServer server = hello();
        int port = server.port();
        HttpClient keepAlive = Http.client();
        assertThat(Http.get(keepAlive, port, "/").statusCode()).isEqualTo(200); // an idle keep-alive connection stays
        long t0 = System.nanoTime();
        assertThat(rt.shutdown(Duration.ofSeconds(10))).as("every task ended within the timeout").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("idle connections do not hold the shutdown")
            .isLessThan(Duration.ofSeconds(5));
        assertThat(server.isRunning()).isFalse();
        assertThatThrownBy(() -> Http.get(Http.client(), port, "/")).isInstanceOf(ConnectException.class);
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
        // The JDK's socket pollers do not depend on the runtime that just ended: plain Helidon still serves.
        WebServer plain = WebServer.builder().routing(r -> r.get("/", (req, res) -> res.send("plain"))).build().start();
        try {
            assertThat(Http.get(Http.client(), plain.port(), "/").body()).isEqualTo("plain");
        } finally {
            plain.stop();
        }
        keepAlive.close();
    }

    @org.junit.jupiter.api.RepeatedTest(3) // a race: repeated
    void shutdownNowWhileServingAbortsHandlersAndStopsTheServer() throws Exception {
        CountDownLatch entered = new CountDownLatch(3);
        WeftWebServer server = WeftWebServer.create(rt, r -> r.get("/stuck", (req, res) -> {
            entered.countDown();
            Time.sleep(Duration.ofMinutes(5)); // aborted by shutdownNow: CancelledException
            res.send("never");
        })).start();
        int port = server.port();
        // Raw connections, not HttpClient: HttpClient retries a GET whose connection closed at once, and
        // the retry races the listener's close; one such connection, accepted as the listener closed,
        // was seen left open and unread (not yet diagnosed). Here each client sends once and reads
        // until the server answers or closes.
        List<CompletableFuture<String>> inFlight = new ArrayList<>();
        var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        for (int i = 0; i < 3; i++) {
            inFlight.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Http.raw(port, "GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofSeconds(20));
                } catch (java.io.IOException e) {
                    return "io: " + e;
                }
            }, pool));
        }
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        long t0 = System.nanoTime();
        rt.shutdownNow();
        assertThat(rt.awaitTermination(Duration.ofSeconds(10))).isTrue();
        for (CompletableFuture<String> f : inFlight) {
            // The aborted handler throws CancelledException with its interrupt status kept, so the
            // channel closes on Helidon's attempt to answer 500 (ClosedByInterruptException), or the
            // 500 gets out first: either way the client is not left hanging.
            String answer = f.get(15, TimeUnit.SECONDS);
            assertThat(Http.status(answer) == -1 || Http.status(answer) == 500).as("answer: %s", answer).isTrue();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("clients released promptly").isLessThan(Duration.ofSeconds(10));
        pool.close();
        eventually(Duration.ofSeconds(5), () -> !server.isRunning(), () -> "server still running after shutdownNow");
        assertThat(server.activeTasks()).isZero();
        assertThatThrownBy(() -> Http.get(Http.client(), port, "/stuck")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aShutDownRuntimeIsRefused() {
        rt.shutdownNow();
        assertThatThrownBy(() -> WeftWebServer.create(rt, r -> r.get("/", (req, res) -> res.send("x"))))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("shut down");
    }
}
