/**
 * HTTP on Weft: Helidon 4 WebServer (Níma) with its connections and handlers running as Weft tasks.
 *
 * <p>{@link io.weft.helidon.WeftWebServer} is Helidon's {@code WebServer}, built from Helidon's own
 * configuration and routing, whose per-connection virtual threads run on a Weft
 * {@link io.weft.runtime.Runtime}. Pick it when handlers should use Weft: fan out with
 * {@code Task.spawn}, wait on several things with {@code Select}, stream from a channel, time out
 * with {@code Time.timeout}. A server that uses no Weft API still gains Weft's reactor: its
 * connections park on the runtime's edge-triggered epoll driver, and {@code docs/benchmarks.md}
 * measures hello world at least level with Helidon on the JDK scheduler, with a lower p99.
 *
 * <p>The path of a request: Helidon's accept thread (a platform thread per listener) accepts a socket
 * and hands it to Weft, which spawns one task for the connection on the runtime; that task reads the
 * connection's requests and runs each handler. Blocking socket reads and writes park the task on the
 * runtime's own reactor, as a {@code TcpStream} read does (TLS included, on Helidon's default NIO
 * sockets); the carrier runs other tasks meanwhile.
 *
 * <h2>Hello, World!</h2>
 * {@snippet :
 * try (var rt = Runtime.create();
 *      var server = WeftWebServer.builder(rt)
 *          .port(3000)
 *          .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")))
 *          .build()
 *          .start()) {
 *     System.out.println("Listening on http://127.0.0.1:" + server.port());
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 *
 * <h2>A handler that uses Weft</h2>
 * {@snippet :
 * var news = Broadcast.<String>channel(64);
 * var server = WeftWebServer.create(rt, r -> r.get("/poll", (req, res) -> {
 *     try (var rx = news.sender().subscribe()) {
 *         String next = Select.<String>create()
 *             .recv(rx, v -> v)
 *             .sleep(Duration.ofSeconds(30), () -> "nothing new")
 *             .run();
 *         res.send(next);
 *     }
 * })).start();
 * }
 *
 * <h2>Requirements</h2>
 * Helidon's {@code io.helidon.webserver} module, version 4.5.0 (Weft's module requires it only
 * statically, so applications without Helidon are unaffected). Weft's hook replaces private fields of
 * Helidon's listeners: on the module path open them with
 * {@code --add-opens io.helidon.webserver/io.helidon.webserver=io.weft}.
 */
package io.weft.helidon;
