package io.weft.net;

import io.weft.internal.sync.Waits;
import io.weft.internal.net.Net;
import io.weft.internal.reactor.IoSource;
import io.weft.internal.scheduler.Coop;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A UDP socket whose sends and receives park the calling virtual thread on Weft's reactor
 * [Tokio: {@code net::UdpSocket}].
 *
 * {@snippet :
 * try (UdpSocket socket = UdpSocket.bind(new InetSocketAddress("127.0.0.1", 0))) {
 *     ByteBuffer buf = ByteBuffer.allocate(1500);
 *     SocketAddress from = socket.recvFrom(buf); // parks until a datagram arrives
 *     socket.sendTo(buf.flip(), from);           // echo it back
 * }
 * }
 *
 * <p>A datagram larger than the buffer is truncated (the rest is discarded), as with
 * {@link DatagramChannel}. One receive and one send can wait at once; others queue.
 *
 * <p>Unlike Tokio, a connected socket cannot send an empty datagram: {@link DatagramChannel} silently
 * drops it, so {@link #send} and {@link #sendTo} throw {@link IllegalArgumentException} instead.
 * An unconnected socket sends empty datagrams with {@link #sendTo}.
 *
 * <h2>Cancellation</h2>
 * A receive aborted while parked has received nothing; the next one gets the datagram.
 */
public final class UdpSocket implements AutoCloseable {
    private final DatagramChannel ch;
    private final IoSource io;
    private final ReentrantLock recvLock = new ReentrantLock();
    private final ReentrantLock sendLock = new ReentrantLock();
    private volatile boolean closed;

    private UdpSocket(DatagramChannel ch, IoSource io) {
        this.ch = ch;
        this.io = io;
    }

    /**
     * Binds a socket to {@code address} (port 0 picks a free port).
     *
     * {@snippet :
     * UdpSocket socket = UdpSocket.bind(new InetSocketAddress(0));
     * }
     *
     * @param address the local address
     * @return the socket
     * @throws IOException if binding fails
     */
    public static UdpSocket bind(SocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        DatagramChannel ch = DatagramChannel.open();
        try {
            ch.bind(address);
            return new UdpSocket(ch, Net.register(ch));
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /**
     * Connects the socket: {@link #send} and {@link #recv} then use {@code peer}, and datagrams from
     * anyone else are dropped.
     *
     * {@snippet :
     * socket.connect(new InetSocketAddress("127.0.0.1", 9000));
     * socket.send(ByteBuffer.wrap(ping));
     * }
     *
     * @param peer the peer
     * @throws IOException if the socket is closed
     */
    public void connect(SocketAddress peer) throws IOException {
        try {
            ch.connect(Objects.requireNonNull(peer, "peer"));
        } catch (ClosedChannelException e) {
            throw closed();
        }
    }

    /**
     * Sends {@code src} to the connected peer as one datagram, parking while the socket's buffer is full.
     *
     * {@snippet :
     * socket.send(ByteBuffer.wrap("ping".getBytes(UTF_8)));
     * }
     *
     * @param src the datagram
     * @return the bytes sent (all of them)
     * @throws IOException if closed, or the send fails
     * @throws java.nio.channels.NotYetConnectedException if not connected
     * @throws IllegalArgumentException if {@code src} is empty (see the class comment)
     */
    public int send(ByteBuffer src) throws IOException {
        if (!ch.isConnected()) {
            throw new java.nio.channels.NotYetConnectedException() {
                @Override
                public String getMessage() {
                    return "send needs a connected socket: call connect(peer) first, or use sendTo";
                }
            };
        }
        return sendTo(src, null);
    }

    /**
     * Sends {@code src} to {@code target} as one datagram.
     *
     * {@snippet :
     * socket.sendTo(ByteBuffer.wrap(reply), clientAddress);
     * }
     *
     * @param src the datagram
     * @param target where to, or null for the connected peer
     * @return the bytes sent (all of them)
     * @throws IOException if the socket is closed or the send fails
     * @throws IllegalArgumentException if {@code src} is empty and the socket is connected (see the class comment)
     */
    public int sendTo(ByteBuffer src, SocketAddress target) throws IOException {
        Objects.requireNonNull(src, "src");
        if (!src.hasRemaining() && ch.isConnected()) {
            // DatagramChannel sends through write() when connected, and write() returns 0 for an empty
            // buffer without sending anything: fail loudly instead of reporting a send that never happened.
            throw new IllegalArgumentException("a connected UdpSocket cannot send an empty datagram"
                + " (the JDK's DatagramChannel drops it); send at least one byte, or use an unconnected socket");
        }
        Waits.lock(sendLock, "send");
        try {
            while (true) {
                int r = io.readiness();
                int n;
                try {
                    n = target == null ? ch.write(src) : ch.send(src, target);
                } catch (ClosedChannelException e) {
                    throw closed();
                }
                if (n > 0 || !src.hasRemaining()) {
                    Coop.proceed();
                    return n;
                }
                if (io.clear(r, SelectionKey.OP_WRITE)) {
                    io.await(SelectionKey.OP_WRITE, 0, "send");
                }
            }
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Receives one datagram, parking until one arrives: from the connected peer if the socket is
     * connected, from anyone otherwise (use {@link #recvFrom} to learn who).
     *
     * {@snippet :
     * int n = socket.recv(buf);
     * }
     *
     * @param dst where to (a longer datagram is truncated)
     * @return the bytes received
     * @throws IOException if the socket is closed or the receive fails
     */
    public int recv(ByteBuffer dst) throws IOException {
        int before = dst.position();
        recvFrom(dst);
        return dst.position() - before;
    }

    /**
     * Receives one datagram, parking until one arrives.
     *
     * {@snippet :
     * SocketAddress from = socket.recvFrom(buf);
     * }
     *
     * @param dst where to (a longer datagram is truncated)
     * @return the sender's address
     * @throws IOException if the socket is closed or the receive fails
     * @throws io.weft.task.CancelledException if the task is aborted while parked (nothing was received)
     */
    public SocketAddress recvFrom(ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        Waits.lock(recvLock, "receive");
        try {
            while (true) {
                int r = io.readiness();
                SocketAddress from;
                try {
                    from = ch.receive(dst);
                } catch (ClosedChannelException e) {
                    throw closed();
                }
                if (from != null) {
                    Coop.proceed();
                    return from;
                }
                if (io.clear(r, SelectionKey.OP_READ)) {
                    io.await(SelectionKey.OP_READ, 0, "receive");
                }
            }
        } finally {
            recvLock.unlock();
        }
    }

    /**
     * {@return the local address}
     *
     * {@snippet :
     * SocketAddress me = socket.localAddress();
     * }
     *
     * @throws IOException if closed
     */
    public SocketAddress localAddress() throws IOException {
        return ch.getLocalAddress();
    }

    /**
     * {@return the connected peer, or null}
     *
     * {@snippet :
     * SocketAddress peer = socket.peerAddress();
     * }
     *
     * @throws IOException if closed
     */
    public SocketAddress peerAddress() throws IOException {
        return ch.getRemoteAddress();
    }

    /**
     * {@return the underlying channel, for socket options} (do not change its blocking mode)
     *
     * {@snippet :
     * socket.channel().setOption(StandardSocketOptions.SO_BROADCAST, true);
     * }
     */
    public DatagramChannel channel() {
        return ch;
    }

    private SocketException closed() {
        return new SocketException("UDP socket closed");
    }

    /**
     * Closes the socket; a parked receive or send wakes with a {@link SocketException}.
     *
     * {@snippet :
     * socket.close();
     * }
     *
     * @throws IOException if closing fails
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        io.close();
        ch.close();
    }

    @Override
    public String toString() {
        try {
            return "UdpSocket[" + localAddress() + "]";
        } catch (IOException e) {
            return "UdpSocket[closed]";
        }
    }
}
