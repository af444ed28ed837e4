package io.weft.net;

import io.weft.internal.net.ListenerSocket;
import io.weft.internal.net.StreamSocket;
import java.io.IOException;
import java.net.SocketAddress;

/**
 * What {@link TcpListener} and {@link UnixListener} share: a listening socket whose
 * {@link #accept()} parks the calling virtual thread on Weft's reactor. Use the two subclasses; this
 * class only keeps their common methods in one place (the type parameter makes {@link #accept()}
 * return the subclass's stream type).
 *
 * {@snippet :
 * SocketListener<?> listener = useUnix ? UnixListener.bind(path) : TcpListener.bind(address);
 * SocketStream<?> stream = listener.accept();
 * }
 *
 * <h2>Cancellation</h2>
 * An accept that is aborted has accepted nothing: the pending connection stays queued for the next
 * {@code accept}. Closing the listener wakes a parked {@code accept} with a {@link java.net.SocketException}.
 *
 * @param <S> the type of stream {@link #accept()} returns
 */
public abstract sealed class SocketListener<S extends SocketStream<S>> implements AutoCloseable
        permits TcpListener, UnixListener {
    private final ListenerSocket socket;

    SocketListener(ListenerSocket socket) {
        this.socket = socket;
    }

    /** Wraps an accepted connection in the subclass's stream type. */
    abstract S wrap(StreamSocket accepted);

    /** The check every bind does before it touches the system. */
    static int checkBacklog(int backlog) {
        if (backlog < 0) {
            throw new IllegalArgumentException("backlog must not be negative: " + backlog);
        }
        return backlog;
    }

    /**
     * Accepts a connection, parking until one arrives.
     *
     * {@snippet :
     * TcpStream stream = tcpListener.accept();
     * }
     *
     * @return the new connection
     * @throws IOException if the listener is closed or fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked
     */
    public S accept() throws IOException {
        return wrap(socket.accept());
    }

    /**
     * {@return the address the listener is bound to}
     *
     * {@snippet :
     * int port = ((InetSocketAddress) tcpListener.localAddress()).getPort();
     * Path file = ((UnixDomainSocketAddress) unixListener.localAddress()).getPath();
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
        String name = getClass().getSimpleName();
        try {
            return name + "[" + localAddress() + "]";
        } catch (IOException e) {
            return name + "[closed]";
        }
    }
}
