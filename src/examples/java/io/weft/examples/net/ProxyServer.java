package io.weft.examples.net;

import io.weft.io.Io;
import io.weft.net.TcpStream;
import io.weft.runtime.Runtime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A TCP proxy: each client connection is spliced to a connection of its own to an upstream server
 * [Tokio: {@code examples/proxy.rs}].
 *
 * <p>Run {@code scripts/demo echo} in one terminal and {@code scripts/demo proxy} in another (by
 * default it listens on 7002 and forwards to the echo server on 7000), then
 * {@code nc 127.0.0.1 7002}: what you type goes through the proxy to the echo server and back.
 * {@code --upstream host:port} points it anywhere else.
 *
 * {@snippet :
 * while (true) {
 *     TcpStream inbound = listener.accept();
 *     Task.spawn(() -> {
 *         try (inbound; TcpStream upstream = TcpStream.connect(backend, Duration.ofSeconds(5))) {
 *             Io.Copied c = Io.copyBidirectional(inbound, upstream); // both ways, until both ends finish
 *             log(c.aToB() + " bytes up, " + c.bToA() + " bytes down");
 *         }
 *         return null;
 *     });
 * }
 * }
 *
 * <p>{@link Io#copyBidirectional} copies each direction in its own task with one 8 KiB buffer, so a
 * fast side can never make the proxy buffer more than that: it parks in its read until the slow side
 * has taken the bytes (TCP flow control does the rest). When one side shuts down its output, the
 * proxy shuts down the other side's output, so half-closes pass through: a client can send a request,
 * half-close, and still read the whole reply. When either direction fails (a reset, a timeout), the
 * other is aborted, and both connections are closed.
 *
 * <p>Failure handling:
 * <ul>
 *   <li>An upstream that refuses, or does not answer within {@code connectTimeout}: the client's
 *       connection is closed cleanly (it reads end of stream) and the failure is logged.</li>
 *   <li>A side that does not read for {@code writeTimeout}, or sends nothing for
 *       {@code idleTimeout} (each direction on its own), ends the connection.</li>
 *   <li>{@link #close()} aborts the connection tasks; {@code copyBidirectional} aborts its two
 *       copying tasks and waits for them, and each connection's try-with-resources closes both of
 *       its streams.</li>
 * </ul>
 */
public final class ProxyServer implements AutoCloseable {
    /** The port {@code scripts/demo proxy} listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 7002;

    /**
     * The proxy's settings.
     *
     * @param address where to listen
     * @param upstream where to forward connections to
     * @param connectTimeout how long to wait for the upstream to accept
     * @param idleTimeout a direction that carries nothing for this long ends the connection; null for never
     * @param writeTimeout a side that takes no bytes for this long ends the connection; null for never
     * @param log where log lines go
     */
    public record Config(InetSocketAddress address, InetSocketAddress upstream, Duration connectTimeout,
                         Duration idleTimeout, Duration writeTimeout, Consumer<String> log) {
        /**
         * Checks the settings.
         *
         * @param address where to listen
         * @param upstream where to forward to
         * @param connectTimeout the connect timeout, positive
         * @param idleTimeout the read timeout, or null
         * @param writeTimeout the write timeout, or null
         * @param log where log lines go
         */
        public Config {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(upstream, "upstream");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(log, "log");
        }

        /**
         * {@return the defaults: a 5 s connect timeout, a 5 min idle timeout, a 30 s write timeout,
         * logging to standard output}
         *
         * @param address where to listen
         * @param upstream where to forward to
         */
        public static Config defaults(InetSocketAddress address, InetSocketAddress upstream) {
            return new Config(address, upstream, Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30),
                Flags::log);
        }

        /**
         * {@return these settings with other timeouts}
         *
         * @param connect the connect timeout
         * @param idle the idle (read) timeout, or null
         * @param write the write timeout, or null
         */
        public Config withTimeouts(Duration connect, Duration idle, Duration write) {
            return new Config(address, upstream, connect, idle, write, log);
        }

        /**
         * {@return these settings with another log}
         *
         * @param log where log lines go
         */
        public Config withLog(Consumer<String> log) {
            return new Config(address, upstream, connectTimeout, idleTimeout, writeTimeout, log);
        }
    }

    private final Config config;
    private final AtomicLong up = new AtomicLong();
    private final AtomicLong down = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong upstreamFailures = new AtomicLong();
    private final TcpServer server;

    private ProxyServer(Config config) throws IOException {
        this.config = config;
        this.server = TcpServer.start("proxy", config.address(), config.log(), this::serve);
    }

    /**
     * Starts a proxy on the current Weft runtime; call it from a task or {@code blockOn}.
     *
     * {@snippet :
     * ProxyServer proxy = rt.blockOn(() -> ProxyServer.start(ProxyServer.Config.defaults(addr, backend)));
     * }
     *
     * @param config the settings
     * @return the running proxy
     * @throws IOException if the address cannot be bound
     */
    public static ProxyServer start(Config config) throws IOException {
        return new ProxyServer(config);
    }

    private void serve(TcpStream inbound, long id) throws IOException {
        String client = String.valueOf(inbound.peerAddress());
        TcpStream upstream;
        try {
            upstream = TcpStream.connect(config.upstream(), config.connectTimeout());
        } catch (IOException e) {
            upstreamFailures.incrementAndGet();
            config.log().accept("proxy #" + id + ": " + client + ": upstream " + config.upstream()
                + " unreachable (" + TcpServer.describe(e) + "); closing the client's connection");
            // End of stream first, so the client reads a clean end even if it has sent bytes we
            // never read (closing with unread bytes would make the kernel reset the connection).
            inbound.shutdownOutput();
            return;
        }
        try (upstream) {
            for (TcpStream s : new TcpStream[] {inbound, upstream}) {
                s.noDelay(true).readTimeout(config.idleTimeout()).writeTimeout(config.writeTimeout());
            }
            config.log().accept("proxy #" + id + ": " + client + " -> " + upstream.peerAddress());
            Io.Copied c = Io.copyBidirectional(inbound, upstream);
            up.addAndGet(c.aToB());
            down.addAndGet(c.bToA());
            completed.incrementAndGet();
            config.log().accept("proxy #" + id + ": " + client + " done: " + c.aToB() + " bytes up, "
                + c.bToA() + " bytes down");
        }
        // An IOException from either side propagates: TcpServer logs it; both streams get closed.
    }

    /** {@return the address the proxy listens on} */
    public InetSocketAddress address() {
        return server.address();
    }

    /** {@return the connections being proxied now} */
    public int active() {
        return server.active();
    }

    /** {@return the connections that ended with both directions finished} */
    public long completed() {
        return completed.get();
    }

    /** {@return the connections that ended with an I/O error or timeout on either side} */
    public long failed() {
        return server.failed();
    }

    /** {@return the connections whose upstream could not be reached} */
    public long upstreamFailures() {
        return upstreamFailures.get();
    }

    /** {@return the bytes sent from clients to the upstream, over completed connections} */
    public long bytesUp() {
        return up.get();
    }

    /** {@return the bytes sent from the upstream to clients, over completed connections} */
    public long bytesDown() {
        return down.get();
    }

    /** Waits until the proxy has stopped accepting (after {@link #close()} or the runtime's shutdown). */
    public void awaitClosed() {
        server.awaitClosed();
    }

    /** Stops accepting and ends every proxied connection (see {@link TcpServer#close()}). */
    @Override
    public void close() {
        server.close();
    }

    /**
     * {@code scripts/demo proxy [--host H] [--port P] [--upstream host:port] [--connect-timeout S]}:
     * runs the proxy until interrupted.
     *
     * @param args the options
     * @throws Exception if the proxy cannot start
     */
    public static void main(String[] args) throws Exception {
        String usage = "scripts/demo proxy [--host 127.0.0.1] [--port " + DEFAULT_PORT + "] [--upstream 127.0.0.1:"
            + EchoServer.DEFAULT_PORT + "] [--connect-timeout 5] [--idle-timeout 300] [--write-timeout 30]   (seconds; 0 = none)";
        Flags f = Flags.parse(args,
            Set.of("--host", "--port", "--upstream", "--connect-timeout", "--idle-timeout", "--write-timeout"), usage);
        Config d = Config.defaults(
            new InetSocketAddress(f.string("--host", "127.0.0.1"), f.integer("--port", DEFAULT_PORT)),
            Flags.hostPort(f.string("--upstream", "127.0.0.1:" + EchoServer.DEFAULT_PORT)));
        Duration connect = f.seconds("--connect-timeout", d.connectTimeout());
        Config config = d.withTimeouts(connect == null ? d.connectTimeout() : connect,
            f.seconds("--idle-timeout", d.idleTimeout()), f.seconds("--write-timeout", d.writeTimeout()));
        try (Runtime rt = Runtime.builder().build()) {
            ProxyServer proxy = rt.blockOn(() -> start(config));
            InetSocketAddress a = proxy.address();
            InetSocketAddress u = config.upstream();
            System.out.println("Weft proxy listening on " + a.getHostString() + ":" + a.getPort()
                + ", forwarding to " + u.getHostString() + ":" + u.getPort());
            System.out.println("try it:   scripts/demo echo   (in another terminal, if the upstream is the echo server)");
            System.out.println("          nc " + a.getHostString() + " " + a.getPort()
                + "      (what you type goes upstream and back)");
            proxy.awaitClosed();
        }
    }
}
