package io.weft.net;

import io.weft.internal.net.ListenerSocket;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * A TCP server socket whose {@link #accept()} parks the calling virtual thread on Weft's reactor
 * [Tokio: {@code net::TcpListener}].
 *
 * {@snippet :
 * try (TcpListener listener = TcpListener.bind(new InetSocketAddress("127.0.0.1", 8080))) {
 *     while (true) {
 *         TcpStream stream = listener.accept();
 *         Task.spawn(() -> serve(stream)); // one task per connection
 *     }
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * An accept that is aborted has accepted nothing: the pending connection stays queued for the next
 * {@code accept}. Closing the listener wakes a parked {@code accept} with a {@link java.net.SocketException}.
 */
public final class TcpListener implements AutoCloseable {
    private final ListenerSocket socket;

    private TcpListener(ListenerSocket socket) {
        this.socket = socket;
    }

    /**
     * Binds a listener to {@code address} (port 0 picks a free port; see {@link #localAddress()}).
     *
     * {@snippet :
     * TcpListener listener = TcpListener.bind(new InetSocketAddress(0));
     * }
     *
     * @param address where to listen
     * @return the listener
     * @throws IOException if the address is in use or cannot be bound
     */
    public static TcpListener bind(SocketAddress address) throws IOException {
        return bind(address, 0);
    }

    /**
     * Binds with an explicit backlog (the queue of connections not yet accepted).
     *
     * {@snippet :
     * TcpListener listener = TcpListener.bind(new InetSocketAddress(8080), 4096);
     * }
     *
     * @param address where to listen
     * @param backlog the queue length, or 0 for the system default
     * @return the listener
     * @throws IOException if binding fails
     */
    public static TcpListener bind(SocketAddress address, int backlog) throws IOException {
        if (backlog < 0) {
            throw new IllegalArgumentException("backlog must not be negative: " + backlog);
        }
        return new TcpListener(ListenerSocket.bind(Objects.requireNonNull(address, "address"), backlog));
    }

    /**
     * Accepts a connection, parking until one arrives.
     *
     * {@snippet :
     * TcpStream stream = listener.accept();
     * }
     *
     * @return the new connection
     * @throws IOException if the listener is closed or fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked
     */
    public TcpStream accept() throws IOException {
        return new TcpStream(socket.accept());
    }

    /**
     * {@return the address the listener is bound to}
     *
     * {@snippet :
     * int port = ((InetSocketAddress) listener.localAddress()).getPort();
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
            return "TcpListener[" + localAddress() + "]";
        } catch (IOException e) {
            return "TcpListener[closed]";
        }
    }
}
