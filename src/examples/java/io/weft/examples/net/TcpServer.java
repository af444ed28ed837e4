package io.weft.examples.net;

import io.weft.net.TcpListener;
import io.weft.net.TcpStream;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.time.Time;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The accept loop the example servers share: a listener, one task per connection, and a
 * {@link #close()} that stops all of them.
 *
 * <p>{@link #start} binds a {@link TcpListener} and spawns the accept loop as a Weft task. Each
 * accepted connection gets its own task, which runs the {@link Handler} and closes the stream when
 * the handler returns or throws: a handler's exception is logged and ends that connection only,
 * never the server. An accept that fails while the listener is open (out of file descriptors, say)
 * is logged and retried after a short pause.
 *
 * <p>{@link #close()} aborts the accept loop (its parked {@code accept} throws
 * {@link CancelledException}, and the loop's try-with-resources closes the listener), then aborts
 * every connection task and waits for them. Weft's reads are cancel-safe, so an aborted connection
 * task simply unwinds through its try-with-resources blocks: each task closes the stream it owns and
 * nothing else. Other servers in the same runtime are not touched.
 *
 * <p>The live connections are tracked in a set the tasks remove themselves from, rather than a
 * {@link io.weft.task.JoinSet}, which keeps every finished task until it is joined: a server that
 * runs for weeks must not remember every connection it ever had.
 */
public final class TcpServer implements AutoCloseable {
    /**
     * Serves one connection. The stream is closed after {@code serve} returns or throws.
     */
    @FunctionalInterface
    public interface Handler {
        /**
         * Serves a connection until it is done.
         *
         * @param stream the accepted connection
         * @param id the connection's number on this server, from 1
         * @throws Exception anything; it is logged and ends this connection only
         */
        void serve(TcpStream stream, long id) throws Exception;
    }

    /** A connection task; the holder exists before the task does, so the task can remove itself. */
    private static final class Connection {
        final TcpStream stream;
        volatile JoinHandle<Void> task;

        Connection(TcpStream stream) {
            this.stream = stream;
        }
    }

    private static final Duration ACCEPT_RETRY = Duration.ofMillis(100);

    private final String name;
    private final InetSocketAddress address;
    private final Consumer<String> log;
    private final TcpListener listener;
    private final Set<Connection> live = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile JoinHandle<Void> acceptLoop;

    private TcpServer(String name, InetSocketAddress address, Consumer<String> log, TcpListener listener) {
        this.name = name;
        this.listener = listener;
        this.address = address;
        this.log = log;
    }

    /**
     * Binds {@code address} and starts accepting; call it from inside a Weft runtime (a task or
     * {@code Runtime.blockOn}). The server runs on that runtime until {@link #close()} or the
     * runtime's shutdown.
     *
     * @param name the server's name, for log lines
     * @param address where to listen (port 0 picks a free port)
     * @param log where log lines go
     * @param handler serves each connection
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static TcpServer start(String name, SocketAddress address, Consumer<String> log, Handler handler)
        throws IOException {
        Objects.requireNonNull(handler, "handler");
        TcpListener listener = TcpListener.bind(address, 1024);
        TcpServer server;
        try {
            server = new TcpServer(name, (InetSocketAddress) listener.localAddress(), log, listener);
        } catch (IOException | RuntimeException e) {
            listener.close();
            throw e;
        }
        server.acceptLoop = Task.spawn(() -> server.acceptLoop(listener, handler));
        return server;
    }

    private Void acceptLoop(TcpListener listener, Handler handler) {
        try (listener) {
            while (true) {
                TcpStream stream;
                try {
                    stream = listener.accept();
                } catch (IOException e) {
                    if (!listener.isOpen()) {
                        return null;
                    }
                    log.accept(name + ": accept failed (" + e.getMessage() + "); retrying");
                    Time.sleep(ACCEPT_RETRY);
                    continue;
                }
                long id = accepted.incrementAndGet();
                Connection c = new Connection(stream);
                live.add(c);
                c.task = Task.spawn(() -> serveOne(c, stream, id, handler));
            }
        } catch (IOException e) {
            log.accept(name + ": closing the listener failed: " + e);
            return null;
        }
    }

    private Void serveOne(Connection c, TcpStream stream, long id, Handler handler) {
        try (stream) {
            handler.serve(stream, id);
        } catch (CancelledException e) {
            throw e; // the server is closing: unwind; the try-with-resources closed the stream
        } catch (Exception e) {
            log.accept(name + " #" + id + ": " + describe(e));
            failed.incrementAndGet();
        } finally {
            live.remove(c);
        }
        return null;
    }

    /** {@return a short description of a connection's failure for a log line} */
    static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** {@return the address the server listens on (with the actual port if it was 0)} */
    public InetSocketAddress address() {
        return address;
    }

    /** {@return how many connections were accepted so far} */
    public long accepted() {
        return accepted.get();
    }

    /** {@return how many connections are being served now} */
    public int active() {
        return live.size();
    }

    /** {@return how many connections ended with an exception from their handler} */
    public long failed() {
        return failed.get();
    }

    /**
     * Parks (or blocks, outside a task) until the server has stopped accepting: after
     * {@link #close()}, or when the runtime shuts down.
     */
    public void awaitClosed() {
        try {
            acceptLoop.join();
        } catch (JoinException e) {
            // aborted by close() or by the runtime's shutdown: either way, it is over
        }
    }

    /**
     * Stops accepting, aborts every connection task and waits until all have ended; closes the
     * listener and the streams of tasks that were aborted before they started. Idempotent;
     * call it from outside the server's tasks (a task that is itself being aborted cannot wait).
     */
    @Override
    public void close() {
        acceptLoop.abort();
        awaitClosed();
        // The accept loop has ended, so no connection is added any more; each one removes itself.
        var tasks = new ArrayList<JoinHandle<Void>>();
        for (Connection c : live) {
            JoinHandle<Void> t = c.task;
            if (t != null) {
                t.abort();
                tasks.add(t);
            }
        }
        for (JoinHandle<Void> t : tasks) {
            try {
                t.join();
            } catch (JoinException e) {
                // cancelled, as asked
            }
        }
        // A task aborted before it ever ran never reached its try-with-resources: close for it.
        closeQuietly(listener);
        for (Connection c : live) {
            closeQuietly(c.stream);
            live.remove(c);
        }
    }

    private void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.accept(name + ": closing " + c + " failed: " + e);
        }
    }

    @Override
    public String toString() {
        return name + "[" + address + ", " + active() + " connections]";
    }
}
