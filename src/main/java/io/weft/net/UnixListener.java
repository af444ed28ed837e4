package io.weft.net;

import io.weft.internal.net.ListenerSocket;
import io.weft.internal.net.StreamSocket;
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
 * <p>{@link #accept()}, {@link #localAddress()}, {@link #isOpen()} and {@link #close()} come from
 * {@link SocketListener}, with how an aborted accept and a close behave.
 */
public final class UnixListener extends SocketListener<UnixStream> {
    private UnixListener(ListenerSocket socket) {
        super(socket);
    }

    @Override
    UnixStream wrap(StreamSocket accepted) {
        return new UnixStream(accepted);
    }

    /**
     * Accepts a connection, parking until one arrives. (Declared here, not only inherited, so that
     * code compiled against the {@code UnixStream}-returning method of earlier versions still links.)
     *
     * {@snippet :
     * UnixStream stream = listener.accept();
     * }
     *
     * @return the new connection
     * @throws IOException if the listener is closed or fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked
     */
    @Override
    public UnixStream accept() throws IOException {
        return super.accept();
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
        return new UnixListener(ListenerSocket.bind(UnixStream.unix(address), checkBacklog(backlog)));
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
}
