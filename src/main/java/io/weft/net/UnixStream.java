package io.weft.net;

import io.weft.internal.net.StreamSocket;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A Unix domain socket connection whose reads and writes park the calling virtual thread on Weft's reactor
 * [Tokio: {@code net::UnixStream}].
 *
 * {@snippet :
 * try (UnixStream stream = UnixStream.connect(UnixDomainSocketAddress.of("/tmp/app.sock"))) {
 *     stream.writeAll(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.UTF_8)));
 *     ByteBuffer reply = ByteBuffer.allocate(1024);
 *     int n = stream.read(reply); // parks until the server answers
 * }
 * }
 *
 * <h2>Concurrency</h2>
 * One read and one write can run at once, from two tasks (see {@link #split()}); further readers (or
 * writers) queue behind the first.
 *
 * <h2>Cancellation</h2>
 * Reads and writes are cancel-safe, as Tokio's are: a task aborted (or a {@code Time.timeout} that
 * elapses) while parked in {@link #read} has read nothing, and the stream stays open, so a later read
 * gets every byte. This differs from the JDK's interruptible channels, which close on interrupt.
 * A write that is aborted may have written part of its buffer; the buffer's position says how much.
 *
 * <h2>Closing</h2>
 * {@link #close()} wakes a task parked on this stream with a {@link java.net.SocketException}.
 * When the runtime whose reactor the stream is registered with shuts down, parked and later calls
 * fail with an exception that says so; other runtimes and plain JDK sockets are not affected.
 */
public final class UnixStream extends SocketStream<UnixStream> {
    UnixStream(StreamSocket socket) {
        super(socket);
    }

    /**
     * Sets a read timeout; see {@link SocketStream#readTimeout}. (Declared here so that code compiled
     * against the {@code UnixStream}-returning method of earlier versions still links.)
     *
     * {@snippet :
     * stream.readTimeout(Duration.ofSeconds(30));
     * }
     *
     * @param timeout the timeout, or null or zero for none
     * @return this stream
     */
    @Override
    public UnixStream readTimeout(java.time.Duration timeout) {
        return super.readTimeout(timeout);
    }

    /**
     * Sets a write timeout; see {@link SocketStream#writeTimeout}. (Declared here for the same
     * reason as {@link #readTimeout}.)
     *
     * {@snippet :
     * stream.writeTimeout(Duration.ofSeconds(10));
     * }
     *
     * @param timeout the timeout, or null or zero for none
     * @return this stream
     */
    @Override
    public UnixStream writeTimeout(java.time.Duration timeout) {
        return super.writeTimeout(timeout);
    }

    /**
     * Connects to {@code address}, parking until the connection is established.
     *
     * {@snippet :
     * UnixStream s = UnixStream.connect(UnixDomainSocketAddress.of("/run/app.sock"));
     * }
     *
     * @param address the peer
     * @return the connected stream
     * @throws IOException if the connection is refused or fails
     */
    public static UnixStream connect(SocketAddress address) throws IOException {
        return new UnixStream(StreamSocket.connect(unix(address), null));
    }

    /**
     * Connects to the socket file at {@code path}.
     *
     * {@snippet :
     * UnixStream s = UnixStream.connect(Path.of("/run/app.sock"));
     * }
     *
     * @param path the socket file
     * @return the connected stream
     * @throws IOException if nobody listens there
     */
    public static UnixStream connect(java.nio.file.Path path) throws IOException {
        return connect(java.net.UnixDomainSocketAddress.of(Objects.requireNonNull(path, "path")));
    }

    static SocketAddress unix(SocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (!(address instanceof java.net.UnixDomainSocketAddress)) {
            throw new IllegalArgumentException("not a Unix domain socket address: " + address
                + " (use UnixDomainSocketAddress.of(path), or TcpStream for an IP address)");
        }
        return address;
    }

    /**
     * Connects, giving up after {@code timeout}.
     *
     * {@snippet :
     * UnixStream s = UnixStream.connect(address, Duration.ofSeconds(2));
     * }
     *
     * @param address the peer
     * @param timeout the longest wait, positive
     * @return the connected stream
     * @throws java.net.SocketTimeoutException if the timeout elapses
     * @throws IOException if the connection is refused or fails
     */
    public static UnixStream connect(SocketAddress address, Duration timeout) throws IOException {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive: " + timeout);
        }
        return new UnixStream(StreamSocket.connect(unix(address), timeout));
    }
}
