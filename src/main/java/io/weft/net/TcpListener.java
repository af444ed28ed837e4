package io.weft.net;

import io.weft.internal.net.ListenerSocket;
import io.weft.internal.net.StreamSocket;
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
 * <p>{@link #accept()}, {@link #localAddress()}, {@link #isOpen()} and {@link #close()} come from
 * {@link SocketListener}, with how an aborted accept and a close behave.
 */
public final class TcpListener extends SocketListener<TcpStream> {
    private TcpListener(ListenerSocket socket) {
        super(socket);
    }

    @Override
    TcpStream wrap(StreamSocket accepted) {
        return new TcpStream(accepted);
    }

    /**
     * Accepts a connection, parking until one arrives. (Declared here, not only inherited, so that
     * code compiled against the {@code TcpStream}-returning method of earlier versions still links.)
     *
     * {@snippet :
     * TcpStream stream = listener.accept();
     * }
     *
     * @return the new connection
     * @throws IOException if the listener is closed or fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked
     */
    @Override
    public TcpStream accept() throws IOException {
        return super.accept();
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
        return new TcpListener(ListenerSocket.bind(Objects.requireNonNull(address, "address"), checkBacklog(backlog)));
    }
}
