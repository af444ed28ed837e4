package io.weft.net;

import io.weft.internal.net.ListenerSocket;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * A Unix domain server socket whose {@link #accept()} parks the calling virtual thread on Weft's reactor
 * [Tokio: {@code net::UnixListener}].
 *
 * {@snippet :
 * try (UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of("/tmp/app.sock"))) {
 *     while (true) {
 *         UnixStream stream = listener.accept();
 *         Task.spawn(() -> serve(stream)); // one task per connection
 *     }
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * An accept that is aborted has accepted nothing: the pending connection stays queued for the next
 * {@code accept}. Closing the listener wakes a parked {@code accept} with a {@link java.net.SocketException}.
 */
public final class UnixListener implements AutoCloseable {
    private final ListenerSocket socket;

    private UnixListener(ListenerSocket socket) {
        this.socket = socket;
    }

    /**
     * Binds a listener to {@code address}, creating the socket file. The file stays after
     * {@link #close()}, as with the JDK and Tokio: delete it when done (binding fails while it exists).
     *
     * {@snippet :
     * UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of("/tmp/app.sock"));
     * }
     *
     * @param address where to listen
     * @return the listener
     * @throws IOException if the address is in use or cannot be bound
     */
    public static UnixListener bind(SocketAddress address) throws IOException {
        return bind(address, 0);
    }

    /**
     * Binds with an explicit backlog (the queue of connections not yet accepted).
     *
     * {@snippet :
     * UnixListener listener = UnixListener.bind(UnixDomainSocketAddress.of("/tmp/app.sock"), 4096);
     * }
     *
     * @param address where to listen
     * @param backlog the queue length, or 0 for the system default
     * @return the listener
     * @throws IOException if binding fails
     */
    public static UnixListener bind(SocketAddress address, int backlog) throws IOException {
        if (backlog < 0) {
            throw new IllegalArgumentException("backlog must not be negative: " + backlog);
        }
        return new UnixListener(ListenerSocket.bind(UnixStream.unix(address), backlog));
    }

    /**
     * Binds a listener to the socket file at {@code path}.
     *
     * {@snippet :
     * UnixListener listener = UnixListener.bind(Path.of("/tmp/app.sock"));
     * }
     *
     * @param path the socket file to create
     * @return the listener
     * @throws IOException if the file exists or cannot be created
     */
    public static UnixListener bind(java.nio.file.Path path) throws IOException {
        return bind(java.net.UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")), 0);
    }

    /**
     * Accepts a connection, parking until one arrives.
     *
     * {@snippet :
     * UnixStream stream = listener.accept();
     * }
     *
     * @return the new connection
     * @throws IOException if the listener is closed or fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked
     */
    public UnixStream accept() throws IOException {
        return new UnixStream(socket.accept());
    }

    /**
     * {@return the address the listener is bound to}
     *
     * {@snippet :
     * Path file = ((UnixDomainSocketAddress) listener.localAddress()).getPath();
     * }
     *
     * @throws IOException if the listener is closed
     */
    public SocketAddress localAddress() throws IOException {
        return socket.localAddress();
    }

    /**
     * {@return true until closed}
     *
     * {@snippet :
     * while (listener.isOpen()) { serve(listener.accept()); }
     * }
     */
    public boolean isOpen() {
        return socket.isOpen();
    }

    /**
     * Stops listening; a parked {@link #accept()} wakes with a {@link java.net.SocketException}.
     * Connections already accepted stay open.
     *
     * {@snippet :
     * listener.close();
     * }
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        try {
            return "UnixListener[" + localAddress() + "]";
        } catch (IOException e) {
            return "UnixListener[closed]";
        }
    }
}
