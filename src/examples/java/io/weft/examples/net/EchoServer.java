package io.weft.examples.net;

import io.weft.io.Io;
import io.weft.net.TcpStream;
import io.weft.runtime.Runtime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A TCP echo server: every byte a client sends comes back to it [Tokio: {@code examples/echo.rs}].
 *
 * <p>Run it with {@code scripts/demo echo} and talk to it with {@code nc 127.0.0.1 7000}: each line
 * you type comes back. The whole server is a loop and a task per connection:
 *
 * {@snippet :
 * try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 7000))) {
 *     while (true) {
 *         TcpStream stream = listener.accept();          // parks this task, not a thread
 *         Task.spawn(() -> {
 *             try (stream) {
 *                 stream.readTimeout(Duration.ofSeconds(60));  // drop clients that go quiet
 *                 stream.writeTimeout(Duration.ofSeconds(10)); // and clients that stop reading
 *                 Io.copy(stream, stream);                // read, write back, until end of stream
 *             }
 *             return null;
 *         });
 *     }
 * }
 * }
 *
 * <p>Each {@code read} and {@code write} parks the connection's virtual thread on Weft's reactor, so
 * ten thousand idle clients cost ten thousand small stacks, not ten thousand threads. What a server
 * must also get right:
 * <ul>
 *   <li><b>Bounded memory.</b> One 8 KiB buffer per connection, whatever the client sends: when the
 *       client does not read its echo, the server's write parks (TCP flow control) instead of
 *       buffering, and the write timeout ends the connection.</li>
 *   <li><b>Silent and slow peers.</b> A client that sends nothing for the idle timeout is
 *       disconnected ({@link SocketTimeoutException}); one that stops reading, by the write timeout.</li>
 *   <li><b>Misbehaving peers.</b> A reset or any other I/O error ends that connection's task with
 *       an exception that is logged; the other connections and the accept loop carry on.</li>
 *   <li><b>Half-close.</b> When the client shuts down its output, the server echoes what is left,
 *       then closes: the client reads every byte and then end of stream.</li>
 *   <li><b>Shutdown.</b> {@link #close()} aborts the tasks; each parked read throws
 *       {@link io.weft.task.CancelledException} and the try-with-resources closes that connection.</li>
 * </ul>
 *
 * <p>The accept loop and the connection bookkeeping are in {@link TcpServer}.
 */
public final class EchoServer implements AutoCloseable {
    /** The port {@code scripts/demo echo} listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 7000;

    /**
     * The echo server's settings.
     *
     * @param address where to listen
     * @param idleTimeout a client that sends nothing for this long is disconnected; null for never
     * @param writeTimeout a client that does not take its echo for this long is disconnected; null for never
     * @param log where log lines go
     */
    public record Config(InetSocketAddress address, Duration idleTimeout, Duration writeTimeout, Consumer<String> log) {
        /**
         * Checks the settings.
         *
         * @param address where to listen
         * @param idleTimeout the read timeout, or null
         * @param writeTimeout the write timeout, or null
         * @param log where log lines go
         */
        public Config {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(log, "log");
        }

        /**
         * {@return the defaults: 60 s idle, 10 s write timeout, logging to standard output}
         *
         * @param address where to listen
         */
        public static Config defaults(InetSocketAddress address) {
            return new Config(address, Duration.ofSeconds(60), Duration.ofSeconds(10), Flags::log);
        }

        /**
         * {@return these settings with another idle timeout}
         *
         * @param timeout the read timeout, or null for none
         */
        public Config withIdleTimeout(Duration timeout) {
            return new Config(address, timeout, writeTimeout, log);
        }

        /**
         * {@return these settings with another write timeout}
         *
         * @param timeout the write timeout, or null for none
         */
        public Config withWriteTimeout(Duration timeout) {
            return new Config(address, idleTimeout, timeout, log);
        }

        /**
         * {@return these settings with another log}
         *
         * @param log where log lines go
         */
        public Config withLog(Consumer<String> log) {
            return new Config(address, idleTimeout, writeTimeout, log);
        }
    }

    private final Config config;
    private final AtomicLong echoed = new AtomicLong();
    private final AtomicLong timedOut = new AtomicLong();
    private final TcpServer server;

    private EchoServer(Config config) throws IOException {
        this.config = config;
        this.server = TcpServer.start("echo", config.address(), config.log(), this::serve);
    }

    /**
     * Starts an echo server on the current Weft runtime; call it from a task or {@code blockOn}.
     *
     * {@snippet :
     * EchoServer echo = rt.blockOn(() -> EchoServer.start(EchoServer.Config.defaults(addr)));
     * }
     *
     * @param config the settings
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static EchoServer start(Config config) throws IOException {
        return new EchoServer(config);
    }

    /** One connection: echo until the client's end of stream, or until a timeout or error ends it. */
    private void serve(TcpStream stream, long id) throws IOException {
        stream.readTimeout(config.idleTimeout()).writeTimeout(config.writeTimeout());
        String peer = String.valueOf(stream.peerAddress());
        config.log().accept("echo #" + id + ": " + peer + " connected");
        try {
            long n = Io.copy(stream, stream); // one 8 KiB buffer; parks in read and in write
            echoed.addAndGet(n);
            config.log().accept("echo #" + id + ": " + peer + " done, " + n + " bytes echoed");
        } catch (SocketTimeoutException e) {
            timedOut.incrementAndGet();
            config.log().accept("echo #" + id + ": " + peer + " timed out (" + e.getMessage() + "); disconnected");
        }
        // Any other IOException (a reset, say) propagates: TcpServer logs it and closes the stream.
    }

    /** {@return the address the server listens on} */
    public InetSocketAddress address() {
        return server.address();
    }

    /** {@return the connections accepted so far} */
    public long accepted() {
        return server.accepted();
    }

    /** {@return the connections being served now} */
    public int active() {
        return server.active();
    }

    /** {@return the connections that ended with an I/O error (a reset, say)} */
    public long failed() {
        return server.failed();
    }

    /** {@return the connections dropped by the idle or write timeout} */
    public long timedOut() {
        return timedOut.get();
    }

    /** {@return the bytes echoed by connections that ended normally} */
    public long bytesEchoed() {
        return echoed.get();
    }

    /** Waits until the server has stopped accepting (after {@link #close()} or the runtime's shutdown). */
    public void awaitClosed() {
        server.awaitClosed();
    }

    /** Stops accepting and ends every connection (see {@link TcpServer#close()}). */
    @Override
    public void close() {
        server.close();
    }

    /**
     * {@code scripts/demo echo [--host H] [--port P] [--idle-timeout S] [--write-timeout S]}: runs the
     * server until interrupted.
     *
     * @param args the options
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        String usage = "scripts/demo echo [--host 127.0.0.1] [--port " + DEFAULT_PORT
            + "] [--idle-timeout 60] [--write-timeout 10]   (seconds; 0 = none)";
        Flags f = Flags.parse(args, Set.of("--host", "--port", "--idle-timeout", "--write-timeout"), usage);
        Config defaults = Config.defaults(
            new InetSocketAddress(f.string("--host", "127.0.0.1"), f.integer("--port", DEFAULT_PORT)));
        Config config = defaults
            .withIdleTimeout(f.seconds("--idle-timeout", defaults.idleTimeout()))
            .withWriteTimeout(f.seconds("--write-timeout", defaults.writeTimeout()));
        try (Runtime rt = Runtime.builder().build()) {
            EchoServer echo = rt.blockOn(() -> start(config));
            InetSocketAddress a = echo.address();
            System.out.println("Weft echo server listening on " + a.getHostString() + ":" + a.getPort()
                + " (idle timeout " + Flags.human(config.idleTimeout()) + ", write timeout "
                + Flags.human(config.writeTimeout()) + ")");
            System.out.println("try it:   nc " + a.getHostString() + " " + a.getPort()
                + "      (each line you type comes back; Ctrl-C here stops the server)");
            echo.awaitClosed();
        }
    }
}
