package io.weft.internal.net;

import io.weft.task.CancelledException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A connected {@link SocketChannel} whose blocking calls park on Weft's reactor instead of the JDK's
 * socket poller: how Helidon's accepted connections are served by the runtime's own I/O driver.
 *
 * <pre>
 * Implementation overview
 *
 * What it wraps. A JDK SocketChannel, connected (from accept), put in non-blocking mode and
 *   registered with the calling task's reactor by StreamSocket.accepted. Every read and write goes
 *   through StreamSocket's readiness loop: try, and only if the socket would block, park until the
 *   driver reports readiness. Options, addresses and shutdowns go to the JDK channel.
 *
 * What it looks like. A channel in blocking mode, as the JDK's accepted channels are: read returns
 *   at least one byte (or -1), write writes everything. socket() is a java.net.Socket adapter (Socket
 *   subclass, as the JDK's own sun.nio.ch.SocketAdaptor is) whose streams park the same way and honour
 *   setSoTimeout with a SocketTimeoutException, so code written for java.net sockets (Helidon's
 *   default connection path) works unchanged. Switching to non-blocking mode is refused: callers
 *   that select on a channel should use the JDK's.
 *
 * Interrupts. A blocking channel is an InterruptibleChannel: an interrupt (a Weft abort is one)
 *   while a thread waits in it, or already pending when a read or write starts, closes the channel
 *   and throws ClosedByInterruptException. Weft's waits throw CancelledException instead and only
 *   notice an interrupt when they park; the adapter checks on entry as the JDK's begin() does and
 *   turns a cancelled wait into the JDK's exception, so code that shuts connections down by
 *   interrupting their threads (Helidon's terminate and forced stop) ends a connection even while it
 *   streams to a fast client.
 *
 * Other JDK behaviours kept: a read after shutdownInput is at end of stream, a write after
 *   shutdownOutput or any call after close throws ClosedChannelException, a close from another thread
 *   wakes a waiter with AsynchronousCloseException.
 * </pre>
 */
public final class ReactorSocketChannel extends SocketChannel {
    private final StreamSocket socket;
    private final SocketChannel jdk;
    private volatile Adapter adapter;
    private volatile int soTimeoutMillis;
    private volatile boolean inputShut;
    private volatile boolean outputShut;

    private ReactorSocketChannel(SocketChannel jdk, StreamSocket socket) {
        super(jdk.provider());
        this.jdk = jdk;
        this.socket = socket;
    }

    /**
     * Wraps an accepted, connected channel; must be called by a task of the runtime whose reactor is to
     * serve it (outside one, the JVM-wide driver serves it).
     *
     * @param accepted a connected channel in blocking mode, not registered with any selector
     * @return the channel that parks on Weft's reactor
     * @throws IOException if registering fails (the channel is then closed)
     */
    public static ReactorSocketChannel wrap(SocketChannel accepted) throws IOException {
        Objects.requireNonNull(accepted, "accepted");
        int soTimeout = accepted.socket().getSoTimeout(); // a timeout set before the hand-over still holds
        ReactorSocketChannel ch = new ReactorSocketChannel(accepted, StreamSocket.accepted(accepted));
        ch.soTimeoutMillis = soTimeout;
        return ch;
    }

    /** {@return the JDK channel underneath (non-blocking, registered with Weft's reactor)} */
    public SocketChannel jdkChannel() {
        return jdk;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return read(dst, null);
    }

    private int read(ByteBuffer dst, Duration timeout) throws IOException {
        enter();
        if (inputShut) {
            return -1; // the JDK's channel: a read after shutdownInput is at end of stream
        }
        try {
            return socket.read(dst, timeout);
        } catch (CancelledException e) {
            throw interrupted(e);
        } catch (IOException e) {
            throw closedWhileWaiting(e);
        }
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dsts.length);
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]); // a blocking scattering read may return after one buffer
            }
        }
        enter();
        return 0;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        writeAll(src);
        return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, srcs.length);
        enter();
        long n = 0;
        for (int i = offset; i < offset + length; i++) {
            n += srcs[i].remaining();
            writeAll(srcs[i]);
        }
        return n;
    }

    private void writeAll(ByteBuffer src) throws IOException {
        enter();
        if (outputShut) {
            throw new ClosedChannelException(); // as the JDK's channel after shutdownOutput
        }
        try {
            socket.writeAll(src);
        } catch (CancelledException e) {
            throw interrupted(e);
        } catch (IOException e) {
            throw closedWhileWaiting(e);
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }

    /**
     * What the JDK's blocking channels check on entry ({@code AbstractInterruptibleChannel.begin}):
     * a closed channel throws {@link ClosedChannelException}, and a thread already interrupted closes
     * the channel and throws {@link ClosedByInterruptException}, even when the call would not wait.
     * Without this an interrupted task writing to a fast peer, or reading data already there, would
     * carry on until a call happened to park, and Helidon's forced stop (an interrupt) would not end a
     * long response.
     */
    private void enter() throws IOException {
        ensureOpen();
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(new CancelledException("thread interrupted before a socket operation"));
        }
    }

    /** The JDK's contract: a channel closed by another thread during the call throws AsynchronousCloseException. */
    private IOException closedWhileWaiting(IOException e) {
        if (isOpen() || e instanceof java.net.SocketTimeoutException) {
            return e;
        }
        var closed = new AsynchronousCloseException();
        closed.initCause(e);
        return closed;
    }

    /** An abort or interrupt while waiting: the JDK's InterruptibleChannel contract (close, then throw). */
    private ClosedByInterruptException interrupted(CancelledException cause) {
        try {
            close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
        var e = new ClosedByInterruptException();
        e.initCause(cause);
        return e;
    }

    @Override
    public SocketChannel bind(SocketAddress local) throws IOException {
        throw new AlreadyConnectedException();
    }

    @Override
    public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        jdk.setOption(name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        return jdk.getOption(name);
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return jdk.supportedOptions();
    }

    @Override
    public SocketChannel shutdownInput() throws IOException {
        ensureOpen();
        socket.shutdownInput();
        inputShut = true;
        return this;
    }

    @Override
    public SocketChannel shutdownOutput() throws IOException {
        ensureOpen();
        socket.shutdownOutput();
        outputShut = true;
        return this;
    }

    @Override
    public Socket socket() {
        Adapter a = adapter;
        if (a == null) {
            synchronized (this) {
                a = adapter;
                if (a == null) {
                    try {
                        adapter = a = new Adapter();
                    } catch (SocketException e) {
                        throw new IllegalStateException(e); // Socket(SocketImpl null) does not throw
                    }
                }
            }
        }
        return a;
    }

    @Override
    public boolean isConnected() {
        return jdk.isConnected();
    }

    @Override
    public boolean isConnectionPending() {
        return false;
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        throw new AlreadyConnectedException();
    }

    @Override
    public boolean finishConnect() throws IOException {
        return true;
    }

    @Override
    public SocketAddress getRemoteAddress() throws IOException {
        return jdk.getRemoteAddress();
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        return jdk.getLocalAddress();
    }

    @Override
    protected void implCloseSelectableChannel() throws IOException {
        socket.close(); // wakes a task parked on it, deregisters, closes the JDK channel
    }

    @Override
    protected void implConfigureBlocking(boolean block) {
        throw new UnsupportedOperationException(
            "this channel parks on Weft's reactor and stays in blocking mode; select on a JDK channel instead");
    }

    @Override
    public String toString() {
        return "ReactorSocketChannel[" + jdk + "]";
    }

    /** The java.net view: streams that park on the reactor; everything else asks the JDK channel. */
    private final class Adapter extends Socket {
        private final Socket jdkSocket = jdk.socket();

        Adapter() throws SocketException {
            super((java.net.SocketImpl) null);
        }

        @Override
        public SocketChannel getChannel() {
            return ReactorSocketChannel.this;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            ensureUsable();
            return new ChannelStreams.In(this::readStream, ReactorSocketChannel.this);
        }

        /** A read of the socket's input stream: bounded by setSoTimeout. */
        private int readStream(ByteBuffer dst) throws IOException {
            int t = soTimeoutMillis;
            return ReactorSocketChannel.this.read(dst, t > 0 ? Duration.ofMillis(t) : null);
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            ensureUsable();
            return new ChannelStreams.Out(ReactorSocketChannel.this::writeAll, ReactorSocketChannel.this);
        }

        private void ensureUsable() throws SocketException {
            if (!isOpen()) {
                throw new SocketException("Socket is closed");
            }
        }

        @Override
        public void setSoTimeout(int timeout) throws SocketException {
            if (timeout < 0) {
                throw new IllegalArgumentException("timeout < 0");
            }
            ensureUsable();
            soTimeoutMillis = timeout;
        }

        @Override
        public int getSoTimeout() throws SocketException {
            ensureUsable();
            return soTimeoutMillis;
        }

        @Override
        public void connect(SocketAddress endpoint) throws IOException {
            throw new SocketException("Already connected");
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            throw new SocketException("Already connected");
        }

        @Override
        public void bind(SocketAddress bindpoint) throws IOException {
            throw new SocketException("Already bound");
        }

        @Override
        public InetAddress getInetAddress() {
            return jdkSocket.getInetAddress();
        }

        @Override
        public InetAddress getLocalAddress() {
            return jdkSocket.getLocalAddress();
        }

        @Override
        public int getPort() {
            return jdkSocket.getPort();
        }

        @Override
        public int getLocalPort() {
            return jdkSocket.getLocalPort();
        }

        @Override
        public SocketAddress getRemoteSocketAddress() {
            return jdkSocket.getRemoteSocketAddress();
        }

        @Override
        public SocketAddress getLocalSocketAddress() {
            return jdkSocket.getLocalSocketAddress();
        }

        @Override
        public void setTcpNoDelay(boolean on) throws SocketException {
            jdkSocket.setTcpNoDelay(on);
        }

        @Override
        public boolean getTcpNoDelay() throws SocketException {
            return jdkSocket.getTcpNoDelay();
        }

        @Override
        public void setSoLinger(boolean on, int linger) throws SocketException {
            jdkSocket.setSoLinger(on, linger);
        }

        @Override
        public int getSoLinger() throws SocketException {
            return jdkSocket.getSoLinger();
        }

        @Override
        public void sendUrgentData(int data) throws IOException {
            jdkSocket.sendUrgentData(data);
        }

        @Override
        public void setOOBInline(boolean on) throws SocketException {
            jdkSocket.setOOBInline(on);
        }

        @Override
        public boolean getOOBInline() throws SocketException {
            return jdkSocket.getOOBInline();
        }

        @Override
        public void setSendBufferSize(int size) throws SocketException {
            jdkSocket.setSendBufferSize(size);
        }

        @Override
        public int getSendBufferSize() throws SocketException {
            return jdkSocket.getSendBufferSize();
        }

        @Override
        public void setReceiveBufferSize(int size) throws SocketException {
            jdkSocket.setReceiveBufferSize(size);
        }

        @Override
        public int getReceiveBufferSize() throws SocketException {
            return jdkSocket.getReceiveBufferSize();
        }

        @Override
        public void setKeepAlive(boolean on) throws SocketException {
            jdkSocket.setKeepAlive(on);
        }

        @Override
        public boolean getKeepAlive() throws SocketException {
            return jdkSocket.getKeepAlive();
        }

        @Override
        public void setTrafficClass(int tc) throws SocketException {
            jdkSocket.setTrafficClass(tc);
        }

        @Override
        public int getTrafficClass() throws SocketException {
            return jdkSocket.getTrafficClass();
        }

        @Override
        public void setReuseAddress(boolean on) throws SocketException {
            jdkSocket.setReuseAddress(on);
        }

        @Override
        public boolean getReuseAddress() throws SocketException {
            return jdkSocket.getReuseAddress();
        }

        @Override
        public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
            jdk.setOption(name, value);
            return this;
        }

        @Override
        public <T> T getOption(SocketOption<T> name) throws IOException {
            return jdk.getOption(name);
        }

        @Override
        public Set<SocketOption<?>> supportedOptions() {
            return jdk.supportedOptions();
        }

        @Override
        public void close() throws IOException {
            ReactorSocketChannel.this.close();
        }

        @Override
        public void shutdownInput() throws IOException {
            ReactorSocketChannel.this.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            ReactorSocketChannel.this.shutdownOutput();
        }

        @Override
        public boolean isConnected() {
            return true; // accepted connected, and java.net says a closed socket stays connected
        }

        @Override
        public boolean isBound() {
            return true;
        }

        @Override
        public boolean isClosed() {
            return !isOpen();
        }

        @Override
        public boolean isInputShutdown() {
            return inputShut;
        }

        @Override
        public boolean isOutputShutdown() {
            return outputShut;
        }

        @Override
        public String toString() {
            SocketAddress remote = getRemoteSocketAddress();
            return "Socket[" + (remote instanceof InetSocketAddress isa ? "addr=" + isa : String.valueOf(remote))
                + ", on Weft's reactor]";
        }
    }
}
