package io.weft.helidon;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import io.weft.internal.runtime.RuntimeAccess;
import io.weft.internal.runtime.RuntimeCore;
import io.weft.runtime.Runtime;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A Helidon 4 {@link WebServer} whose connection and request virtual threads are tasks of a Weft
 * {@link Runtime}.
 *
 * <p>Each accepted connection becomes one Weft task, which reads the connection's requests and runs
 * their handlers, so a handler may use every Weft API ({@code Task.spawn}, {@code Select}, channels,
 * {@code Time.sleep}, {@code Handle.current()}), and the runtime's metrics count the work. Helidon's
 * own answers to bad input (400, 413, 500, timeouts) are unchanged: only where its threads run moves.
 * Helidon offers no public hook for this; Weft replaces each listener's executors between
 * {@code build()} and {@code start()}, is written for Helidon 4.5.0, and fails at {@link Builder#build()}
 * with a message naming both versions if the Helidon present has moved the fields it needs.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (var rt = Runtime.create();
 *      var server = WeftWebServer.create(rt, routing -> routing
 *          .get("/", (req, res) -> res.send("Hello, World!"))).start()) {
 *     System.out.println("Listening on http://localhost:" + server.port());
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }
 *
 * <h2>Lifecycle</h2>
 * {@link #stop()} (or {@link #close()}) stops Helidon: the listener stops accepting, idle connections
 * are closed, requests in flight get Helidon's shutdown grace period, and Weft waits until every
 * connection task has ended. Shutting the runtime down stops the server first, so a graceful runtime
 * shutdown lets requests in flight finish and then ends cleanly; after it, the port is released.
 *
 * <h2>Sockets</h2>
 * Helidon's connections are blocking sockets. Weft hands each accepted connection to its own reactor
 * before Helidon first reads it, so a connection waiting for a request parks on the runtime's I/O
 * driver, as a {@code TcpStream} does, not on the JDK's socket poller (see
 * {@link Builder#socketsOnReactor(boolean)}; TLS connections on a listener with {@code useNio(false)}
 * keep the JDK's poller, since Helidon layers an {@code SSLSocket} on them). The JDK's poller
 * threads, which every other socket in the JVM uses, are started on the JDK default scheduler before
 * Weft's carriers run, so none of them depends on a Weft runtime; {@code docs/benchmarks.md} compares
 * the set-ups.
 */
public final class WeftWebServer implements AutoCloseable {
    private static volatile boolean versionWarned;

    private final Runtime runtime;
    private final RuntimeCore core;
    private final WebServer server;
    private final List<WeftExecutors.Tracker> trackers;
    private final boolean socketsOnReactor;
    private final Runnable stopOnRuntimeShutdown = this::stopServerOnly;

    private WeftWebServer(Runtime runtime, WebServer server, List<WeftExecutors.Tracker> trackers,
                          boolean socketsOnReactor) {
        this.runtime = runtime;
        this.core = RuntimeAccess.coreOf(runtime);
        this.server = server;
        this.trackers = trackers;
        this.socketsOnReactor = socketsOnReactor;
    }

    /**
     * Creates a server on an ephemeral port (not started) with the given routing.
     *
     * {@snippet :
     * var server = WeftWebServer.create(rt, r -> r.get("/hi", (req, res) -> res.send("hi"))).start();
     * int port = server.port();
     * }
     *
     * @param runtime the runtime to run connections and handlers on
     * @param routing sets up the HTTP routing
     * @return the server, not yet started
     * @throws IllegalStateException if Weft's hook does not apply to the Helidon present
     */
    public static WeftWebServer create(Runtime runtime, Consumer<HttpRouting.Builder> routing) {
        return builder(runtime).routing(routing).build();
    }

    /**
     * {@return a builder for a server on {@code runtime}}
     *
     * {@snippet :
     * var server = WeftWebServer.builder(rt)
     *     .port(3000)
     *     .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")))
     *     .build()
     *     .start();
     * }
     *
     * @param runtime the runtime to run connections and handlers on
     */
    public static Builder builder(Runtime runtime) {
        return new Builder(runtime);
    }

    /**
     * Starts the server: binds its listeners and starts accepting. Does nothing if it is running.
     *
     * {@snippet :
     * WeftWebServer server = WeftWebServer.create(rt, routing).start();
     * }
     *
     * @return this server
     * @throws IllegalStateException if the runtime is shutting down or shut down
     */
    public synchronized WeftWebServer start() {
        if (server.isRunning()) {
            return this;
        }
        if (!core.onShutdown(stopOnRuntimeShutdown)) {
            throw new IllegalStateException("the Weft runtime is shut down; cannot serve on it: " + runtime);
        }
        try {
            server.start();
        } catch (RuntimeException | Error e) {
            core.removeShutdownListener(stopOnRuntimeShutdown);
            throw e;
        }
        return this;
    }

    /**
     * Stops the server and waits until every connection task has ended. Idempotent.
     *
     * {@snippet :
     * server.stop();
     * assert !server.isRunning();
     * }
     *
     * @return this server
     */
    public WeftWebServer stop() {
        core.removeShutdownListener(stopOnRuntimeShutdown);
        stopServerOnly();
        return this;
    }

    private void stopServerOnly() {
        server.stop();
        // Helidon's stop ends with forceTerminate, which only requests aborts: wait for them to land.
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (WeftExecutors.Tracker t : trackers) {
            t.abortAll();
            t.awaitEmpty(deadline);
        }
    }

    /**
     * {@link #stop()}, for try-with-resources.
     *
     * {@snippet :
     * try (var server = WeftWebServer.create(rt, routing).start()) {
     *     // serve
     * }
     * }
     */
    @Override
    public void close() {
        stop();
    }

    /**
     * {@return true while the server accepts connections}
     *
     * {@snippet :
     * if (server.isRunning()) System.out.println("up on " + server.port());
     * }
     */
    public boolean isRunning() {
        return server.isRunning();
    }

    /**
     * {@return the port of the default listener, or -1 if it is not running}
     *
     * {@snippet :
     * URI uri = URI.create("http://localhost:" + server.port() + "/");
     * }
     */
    public int port() {
        return server.port();
    }

    /**
     * {@return how many connection and helper tasks of this server are alive now}
     *
     * {@snippet :
     * System.out.println(server.activeTasks() + " connections open");
     * }
     */
    public int activeTasks() {
        int n = 0;
        for (WeftExecutors.Tracker t : trackers) {
            n += t.inFlight();
        }
        return n;
    }

    /**
     * {@return the Helidon server underneath, for what this class does not forward}
     *
     * {@snippet :
     * int adminPort = server.webServer().port("admin");
     * }
     */
    public WebServer webServer() {
        return server;
    }

    /**
     * {@return the runtime the server's connections run on}
     *
     * {@snippet :
     * long served = server.runtime().metrics().spawnedTasks();
     * }
     */
    public Runtime runtime() {
        return runtime;
    }

    /**
     * {@return true if this server's connections park on the runtime's reactor, false if on the JDK's
     * socket poller} See {@link Builder#socketsOnReactor(boolean)} for the default and the exception.
     *
     * {@snippet :
     * System.out.println(server.socketsOnReactor() ? "sockets on Weft's reactor" : "sockets on the JDK's poller");
     * }
     */
    public boolean socketsOnReactor() {
        return socketsOnReactor;
    }

    /**
     * {@return the Helidon version Weft's hook is written and tested for}
     *
     * {@snippet :
     * System.out.println("built for Helidon " + WeftWebServer.supportedHelidonVersion());
     * }
     */
    public static String supportedHelidonVersion() {
        return HelidonHook.BUILT_FOR;
    }

    @Override
    public String toString() {
        return "WeftWebServer[" + (isRunning() ? "port " + port() : "stopped") + ", " + runtime + "]";
    }

    /**
     * Builds a {@link WeftWebServer}: Helidon's own {@link WebServerConfig.Builder}, plus the runtime.
     *
     * <h2>Example</h2>
     * {@snippet :
     * var server = WeftWebServer.builder(rt)
     *     .config(WebServer.builder()
     *         .port(8080)
     *         .maxPayloadSize(1 << 20)
     *         .routing(r -> r.get("/", (req, res) -> res.send("ok"))))
     *     .build()
     *     .start();
     * }
     */
    public static final class Builder {
        private final Runtime runtime;
        private WebServerConfig.Builder config = WebServer.builder();
        private Boolean socketsOnReactor;

        private Builder(Runtime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
        }

        /**
         * Uses Helidon's server configuration as given (listeners, limits, timeouts, routing);
         * replaces whatever {@link #port} or {@link #routing} set before.
         *
         * {@snippet :
         * builder.config(WebServer.builder().port(0).shutdownGracePeriod(Duration.ofSeconds(1)));
         * }
         *
         * @param config Helidon's builder
         * @return this builder
         */
        public Builder config(WebServerConfig.Builder config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Sets the default listener's port (default 0: an ephemeral port).
         *
         * {@snippet :
         * builder.port(3000);
         * }
         *
         * @param port the port, or 0
         * @return this builder
         */
        public Builder port(int port) {
            config.port(port);
            return this;
        }

        /**
         * Sets the address the default listener binds (default: all interfaces).
         *
         * {@snippet :
         * builder.host("127.0.0.1");
         * }
         *
         * @param host a host name or address
         * @return this builder
         */
        public Builder host(String host) {
            config.host(host);
            return this;
        }

        /**
         * Sets up the default listener's HTTP routing.
         *
         * {@snippet :
         * builder.routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")));
         * }
         *
         * @param routing the routing set-up
         * @return this builder
         */
        public Builder routing(Consumer<HttpRouting.Builder> routing) {
            config.routing(routing);
            return this;
        }

        /**
         * Chooses whose poller Helidon's connections park on while they wait for the
         * network: Weft's reactor ({@code true}), or the JDK's socket poller ({@code false}), as with
         * Helidon alone. The default is the system property {@code weft.helidon.sockets}
         * ({@code reactor} or {@code jdk}) when it is set, else the reactor whenever the runtime runs
         * on Weft's own scheduler ({@link Runtime#usesWeftScheduler()}), else the JDK's poller.
         *
         * <p>On the reactor, a connection's readiness is found by the runtime's own I/O driver (on
         * Linux, edge-triggered epoll with no system call per wait), and the woken task is queued on
         * the carrier that polled, with no hop through the JDK's poller threads; {@code
         * docs/benchmarks.md} measures both. TLS connections move too on Helidon's NIO sockets (its
         * default; an {@code SSLEngine} over the channel); with the listener's {@code useNio(false)}
         * they keep the JDK's poller, because Helidon then layers an {@code SSLSocket} on them.
         *
         * {@snippet :
         * builder.socketsOnReactor(false); // Helidon's sockets park on the JDK's poller
         * }
         *
         * @param onReactor true for Weft's reactor, false for the JDK's poller
         * @return this builder
         */
        public Builder socketsOnReactor(boolean onReactor) {
            this.socketsOnReactor = onReactor;
            return this;
        }

        /**
         * Builds the Helidon server and moves its connection threads onto the runtime.
         *
         * {@snippet :
         * WeftWebServer server = builder.build();
         * }
         *
         * @return the server, not yet started
         * @throws IllegalStateException if Weft's hook does not apply to the Helidon present (the
         *                               message names the field and both versions), or the runtime
         *                               is shut down
         */
        public WeftWebServer build() {
            if (runtime.isShutdown()) {
                throw new IllegalStateException("the Weft runtime is shut down; cannot serve on it: " + runtime);
            }
            boolean onReactor = socketsOnReactor != null ? socketsOnReactor
                : HelidonHook.socketsOnReactor(runtime.usesWeftScheduler());
            List<String> problems = HelidonHook.check(onReactor);
            if (!problems.isEmpty()) {
                throw new IllegalStateException(String.join("; ", problems));
            }
            warnIfOtherVersion();
            WebServer server = config.build();
            List<WeftExecutors.Tracker> trackers;
            try {
                trackers = HelidonHook.install(server, runtime.handle(), onReactor);
            } catch (RuntimeException e) {
                server.stop();
                throw e;
            }
            return new WeftWebServer(runtime, server, trackers, onReactor);
        }

        private static void warnIfOtherVersion() {
            String v = HelidonHook.helidonVersion();
            if (!versionWarned && !v.equals(HelidonHook.BUILT_FOR)) {
                versionWarned = true;
                System.getLogger(WeftWebServer.class.getName()).log(System.Logger.Level.WARNING,
                    "io.weft.helidon is written and tested for Helidon " + HelidonHook.BUILT_FOR + ", this is Helidon " + v
                        + ": the fields it needs are present, but test your application before relying on it");
            }
        }
    }
}
