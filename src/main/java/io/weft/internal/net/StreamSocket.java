package io.weft.internal.net;

import io.weft.internal.sync.Waits;
import io.weft.internal.reactor.IoSource;
import io.weft.internal.scheduler.Coop;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A connected stream socket (TCP or Unix domain) parked on Weft's reactor: the machinery behind
 * {@code TcpStream} and {@code UnixStream}.
 *
 * <pre>
 * Implementation overview
 *
 * Every operation is the same loop (see IoSource): read the readiness word, try the non-blocking
 *   operation, and only if it would block clear the readiness and wait. One lock per direction lets
 *   one reader and one writer proceed at once (split halves) and queues the rest, so a direction
 *   never has two waiters.
 *
 * Cancel safety: the channel is non-blocking, so the JDK never closes it on interrupt; an abort
 *   lands only while parked in IoSource.await, before any byte moved, and leaves the socket as it
 *   was. A timeout is the same: the read can be retried and loses nothing.
 *
 * Coop: a read or write that completes without parking spends one unit of the task's budget, so a
 *   task reading a socket that always has data still lets its carrier's other tasks run.
 * </pre>
 */
public final class StreamSocket {
    private final SocketChannel ch;
    private final IoSource io;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile Duration readTimeout;
    private volatile Duration writeTimeout;
    private volatile boolean closed;

    private StreamSocket(SocketChannel ch, IoSource io) {
        this.ch = ch;
        this.io = io;
    }

    /**
     * Wraps a connected channel (from accept).
     *
     * @param ch the channel
     * @return the socket
     * @throws IOException if registration fails (the channel is then closed)
     */
    public static StreamSocket accepted(SocketChannel ch) throws IOException {
        try {
            return new StreamSocket(ch, Net.register(ch));
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch, e);
            throw e;
        }
    }

    /**
     * Connects.
     *
     * @param addr where to
     * @param timeout how long at most, or null
     * @return the connected socket
     * @throws IOException if the connection fails or times out
     */
    public static StreamSocket connect(SocketAddress addr, Duration timeout) throws IOException {
        SocketChannel ch = addr instanceof UnixDomainSocketAddress
            ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
        IoSource io = null;
        try {
            // Connect first, then register (mio's order): an unconnected socket reports EPOLLHUP,
            // which would otherwise set the sticky closed bits of a healthy connection.
            ch.configureBlocking(false);
            boolean connected = ch.connect(addr);
            io = Net.register(ch);
            long deadline = Net.deadline(timeout);
            if (!connected) {
                while (true) {
                    int r = io.readiness();
                    if (ch.finishConnect()) {
                        break;
                    }
                    if (io.clear(r, SelectionKey.OP_CONNECT)) {
                        try {
                            io.await(SelectionKey.OP_CONNECT, deadline, "connect to " + addr);
                        } catch (java.net.SocketTimeoutException e) {
                            throw new java.net.SocketTimeoutException("connect to " + addr + " timed out after " + timeout);
                        }
                    }
                }
            }
            return new StreamSocket(ch, io);
        } catch (java.net.ConnectException e) {
            closeQuietly(ch, io, e);
            throw (java.net.ConnectException) new java.net.ConnectException(
                "connect to " + addr + " failed: " + e.getMessage()).initCause(e);
        } catch (java.net.SocketException e) {
            closeQuietly(ch, io, e);
            throw (java.net.SocketException) new java.net.SocketException(
                "connect to " + addr + " failed: " + e.getMessage()).initCause(e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch, io, e);
            throw e;
        }
    }

    /** A failed connect: deregisters first (the driver drops the descriptor), then closes. */
    private static void closeQuietly(SocketChannel ch, IoSource io, Throwable cause) {
        if (io != null) {
            io.close();
        }
        closeQuietly(ch, cause);
    }

    private static void closeQuietly(SocketChannel ch, Throwable cause) {
        try {
            ch.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Reads at least one byte, parking until there is one.
     *
     * @param dst where to
     * @return bytes read, -1 at end of stream, 0 only if {@code dst} is full
     * @throws IOException on a socket error, a timeout or a close
     */
    public int read(ByteBuffer dst) throws IOException {
        return readWithin(dst, readTimeout); // validated by its setter
    }

    /**
     * Reads at least one byte, parking until there is one or {@code timeout} passes.
     *
     * @param dst where to
     * @param timeout how long at most, or null or zero for no limit (the socket's read timeout is not used)
     * @return bytes read, -1 at end of stream, 0 only if {@code dst} is full
     * @throws IOException on a socket error, a timeout ({@link java.net.SocketTimeoutException}) or a close
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public int read(ByteBuffer dst, Duration timeout) throws IOException {
        return readWithin(dst, Net.checkTimeout(timeout, "read timeout"));
    }

    /** A read bounded by an already validated timeout (null: none). */
    private int readWithin(ByteBuffer dst, Duration timeout) throws IOException {
        if (!dst.hasRemaining()) {
            ensureOpen();
            return 0;
        }
        Waits.lock(readLock, "read");
        try {
            return readLocked(dst, Net.deadline(timeout));
        } finally {
            readLock.unlock();
        }
    }

    private int readLocked(ByteBuffer dst, long deadline) throws IOException {
        while (true) {
            int r = io.readiness();
            if (io.knownNotReady(r, SelectionKey.OP_READ)) {
                io.await(SelectionKey.OP_READ, deadline, "read");
                continue;
            }
            int n = doRead(dst);
            if (n != 0) {
                if (n > 0 && dst.hasRemaining()) {
                    io.exhausted(r, SelectionKey.OP_READ); // a short read emptied the socket
                }
                Coop.proceed();
                return n;
            }
            if (io.clear(r, SelectionKey.OP_READ)) {
                io.await(SelectionKey.OP_READ, deadline, "read");
            }
        }
    }

    private int doRead(ByteBuffer dst) throws IOException {
        try {
            return ch.read(dst);
        } catch (ClosedChannelException e) {
            throw closed("read");
        }
    }

    /**
     * Reads until {@code dst} is full.
     *
     * @param dst where to
     * @throws EOFException if the stream ends first (the bytes read so far stay in {@code dst})
     * @throws IOException on a socket error, a timeout or a close
     */
    public void readExact(ByteBuffer dst) throws IOException {
        int want = dst.remaining();
        Waits.lock(readLock, "read");
        try {
            long deadline = Net.deadline(readTimeout);
            while (dst.hasRemaining()) {
                if (readLocked(dst, deadline) < 0) {
                    throw new EOFException("end of stream after " + (want - dst.remaining()) + " of "
                        + want + " bytes");
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Writes at least one byte, parking until the socket takes one.
     *
     * @param src what
     * @return bytes written (0 only if {@code src} is empty)
     * @throws IOException on a socket error, a timeout or a close
     */
    public int write(ByteBuffer src) throws IOException {
        if (!src.hasRemaining()) {
            ensureOpen();
            return 0;
        }
        Waits.lock(writeLock, "write");
        try {
            return writeLocked(src, Net.deadline(writeTimeout));
        } finally {
            writeLock.unlock();
        }
    }

    private int writeLocked(ByteBuffer src, long deadline) throws IOException {
        while (true) {
            int r = io.readiness();
            if (io.knownNotReady(r, SelectionKey.OP_WRITE)) {
                io.await(SelectionKey.OP_WRITE, deadline, "write");
                continue;
            }
            int n;
            try {
                n = ch.write(src);
            } catch (ClosedChannelException e) {
                throw closed("write");
            }
            if (n > 0) {
                if (src.hasRemaining()) {
                    io.exhausted(r, SelectionKey.OP_WRITE); // a short write filled the socket's buffer
                }
                Coop.proceed();
                return n;
            }
            if (io.clear(r, SelectionKey.OP_WRITE)) {
                io.await(SelectionKey.OP_WRITE, deadline, "write");
            }
        }
    }

    /**
     * Writes all of {@code src}.
     *
     * @param src what
     * @throws IOException on a socket error, a timeout or a close (the buffer's position says how
     *     much was written)
     */
    public void writeAll(ByteBuffer src) throws IOException {
        Waits.lock(writeLock, "write");
        try {
            long deadline = Net.deadline(writeTimeout);
            while (src.hasRemaining()) {
                writeLocked(src, deadline);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** @throws IOException if closed or failing */
    public void shutdownOutput() throws IOException {
        try {
            ch.shutdownOutput();
        } catch (ClosedChannelException e) {
            throw closed("shutdownOutput");
        }
    }

    /** @throws IOException if closed or failing */
    public void shutdownInput() throws IOException {
        try {
            ch.shutdownInput();
        } catch (ClosedChannelException e) {
            throw closed("shutdownInput");
        }
    }

    private void ensureOpen() throws IOException {
        if (closed || !ch.isOpen()) {
            throw closed("use");
        }
    }

    private SocketException closed(String what) {
        return new SocketException("socket closed (" + what + ")");
    }

    /** {@return the channel, for options and addresses} */
    public SocketChannel channel() {
        return ch;
    }

    /** @param d the read timeout, or null for none */
    public void readTimeout(Duration d) {
        readTimeout = Net.checkTimeout(d, "read timeout");
    }

    /** @param d the write timeout, or null for none */
    public void writeTimeout(Duration d) {
        writeTimeout = Net.checkTimeout(d, "write timeout");
    }

    /** {@return the read timeout, or null} */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** {@return the write timeout, or null} */
    public Duration writeTimeout() {
        return writeTimeout;
    }

    /** {@return true until closed} */
    public boolean isOpen() {
        return !closed && ch.isOpen();
    }

    /**
     * Closes the socket; a task parked on it wakes with a {@link SocketException}.
     *
     * @throws IOException if closing fails
     */
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        io.close();
        ch.close();
    }
}
