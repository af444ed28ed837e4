package io.weft.net;

import io.weft.internal.net.ChannelStreams;
import io.weft.internal.net.StreamSocket;
import io.weft.io.DuplexChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * What {@link TcpStream} and {@link UnixStream} share: a connected stream socket whose reads and
 * writes park the calling virtual thread on Weft's reactor. Use the two subclasses; this class only
 * keeps their common methods in one place (the type parameter lets {@link #readTimeout} and
 * {@link #writeTimeout} return the subclass).
 *
 * {@snippet :
 * SocketStream<?> stream = useUnix ? UnixStream.connect(path) : TcpStream.connect(address);
 * stream.writeAll(ByteBuffer.wrap(request));
 * }
 *
 * @param <S> the concrete stream type
 */
public abstract sealed class SocketStream<S extends SocketStream<S>> implements DuplexChannel
        permits TcpStream, UnixStream {
    /** The socket on Weft's reactor; the subclasses read options from its channel. */
    final StreamSocket socket;

    SocketStream(StreamSocket socket) {
        this.socket = socket;
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /**
     * Reads at least one byte into {@code dst}, parking until one arrives.
     *
     * {@snippet :
     * ByteBuffer buf = ByteBuffer.allocate(4096);
     * int n = stream.read(buf);
     * if (n < 0) { return; } // the peer closed its side
     * }
     *
     * @param dst the buffer
     * @return the number of bytes read, -1 at end of stream, 0 only if {@code dst} has no room
     * @throws java.net.SocketTimeoutException if a {@link #readTimeout(Duration) read timeout} elapses
     * @throws IOException if the peer resets the connection or the stream is closed
     * @throws io.weft.task.CancelledException if the task is aborted while parked (nothing was read)
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        return socket.read(dst);
    }

    /**
     * Reads until {@code dst} is full [Tokio: {@code read_exact}].
     *
     * {@snippet :
     * ByteBuffer header = ByteBuffer.allocate(4);
     * stream.readExact(header);
     * }
     *
     * @param dst the buffer to fill
     * @throws java.io.EOFException if the stream ends first
     * @throws IOException if the read fails
     */
    public void readExact(ByteBuffer dst) throws IOException {
        socket.readExact(dst);
    }

    /**
     * Writes at least one byte of {@code src}, parking until the socket accepts one.
     *
     * {@snippet :
     * int n = stream.write(buf);
     * }
     *
     * @param src the bytes
     * @return the number written, 0 only if {@code src} is empty
     * @throws IOException if the peer reset the connection, the stream is closed, or a write timeout elapses
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        return socket.write(src);
    }

    /**
     * Writes all of {@code src} [Tokio: {@code write_all}].
     *
     * {@snippet :
     * stream.writeAll(ByteBuffer.wrap(bytes));
     * }
     *
     * @param src the bytes
     * @throws IOException if the write fails (the buffer's position says how much was written)
     */
    public void writeAll(ByteBuffer src) throws IOException {
        socket.writeAll(src);
    }

    /**
     * Shuts down the write side: the peer reads end of stream; this side can still read.
     *
     * {@snippet :
     * stream.writeAll(request);
     * stream.shutdownOutput();
     * }
     *
     * @throws IOException if the stream is closed
     */
    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /**
     * Sets a read timeout: a read (or readExact, for the whole of it) parked longer throws
     * {@link java.net.SocketTimeoutException}, and the stream stays usable.
     *
     * {@snippet :
     * stream.readTimeout(Duration.ofSeconds(30)); // drop idle peers
     * }
     *
     * @param timeout the timeout, or null or zero for none
     * @return this stream
     */
    public S readTimeout(Duration timeout) {
        socket.readTimeout(timeout);
        return self();
    }

    /**
     * Sets a write timeout: a write (or writeAll) parked longer throws
     * {@link java.net.SocketTimeoutException}; it guards against peers that stop reading.
     *
     * {@snippet :
     * stream.writeTimeout(Duration.ofSeconds(10));
     * }
     *
     * @param timeout the timeout, or null or zero for none
     * @return this stream
     */
    public S writeTimeout(Duration timeout) {
        socket.writeTimeout(timeout);
        return self();
    }

    /**
     * {@return the peer's address} (for a Unix socket accepted by a listener, often unnamed)
     *
     * {@snippet :
     * System.out.println("connected to " + stream.peerAddress());
     * }
     *
     * @throws IOException if the stream is closed
     */
    public SocketAddress peerAddress() throws IOException {
        return socket.channel().getRemoteAddress();
    }

    /**
     * {@return this side's address}
     *
     * {@snippet :
     * SocketAddress mine = stream.localAddress();
     * }
     *
     * @throws IOException if the stream is closed
     */
    public SocketAddress localAddress() throws IOException {
        return socket.channel().getLocalAddress();
    }

    /**
     * Splits the stream into a read half and a write half that two tasks can use at once
     * [Tokio: {@code into_split}].
     *
     * {@snippet :
     * StreamHalves halves = stream.split();
     * Task.spawn(() -> Io.copy(halves.readHalf(), Channels.newChannel(System.out)));
     * halves.writeHalf().write(ByteBuffer.wrap(input));
     * }
     *
     * @return the two halves; closing both closes the stream
     */
    public StreamHalves split() {
        return new StreamHalves(this, socket);
    }

    /**
     * {@return an {@link InputStream} that parks on this stream}: existing {@code java.io} code reads it
     * without holding a carrier. Closing it closes the stream, as with {@link java.net.Socket}.
     *
     * {@snippet :
     * var reader = new BufferedReader(new InputStreamReader(stream.inputStream(), UTF_8));
     * String line = reader.readLine();
     * }
     */
    public InputStream inputStream() {
        return new ChannelStreams.In(this::read, this);
    }

    /**
     * {@return an {@link OutputStream} that parks on this stream}; each write writes everything.
     * Closing it closes the stream.
     *
     * {@snippet :
     * var out = new PrintStream(stream.outputStream(), true, UTF_8);
     * out.println("hello");
     * }
     */
    public OutputStream outputStream() {
        return new ChannelStreams.Out(this::writeAll, this);
    }

    /**
     * {@return true until the stream is closed}
     *
     * {@snippet :
     * if (stream.isOpen()) { stream.writeAll(bye); }
     * }
     */
    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    /**
     * Closes the connection. A task parked on it wakes with a {@link java.net.SocketException}.
     *
     * {@snippet :
     * stream.close();
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
            return getClass().getSimpleName() + "[" + localAddress() + " -> " + peerAddress() + "]";
        } catch (IOException e) {
            return getClass().getSimpleName() + "[closed]";
        }
    }
}
