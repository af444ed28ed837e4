package io.weft.internal.net;

import io.weft.internal.sync.Waits;
import io.weft.internal.reactor.IoSource;
import io.weft.internal.scheduler.Coop;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;

/** A listening socket (TCP or Unix domain) parked on Weft's reactor: behind TcpListener and UnixListener. */
public final class ListenerSocket {
    private final ServerSocketChannel ch;
    private final IoSource io;
    private final ReentrantLock acceptLock = new ReentrantLock();
    private volatile boolean closed;

    private ListenerSocket(ServerSocketChannel ch, IoSource io) {
        this.ch = ch;
        this.io = io;
    }

    /**
     * Binds.
     *
     * @param addr where (port 0 picks a free port)
     * @param backlog pending-connection queue length, or 0 for the system default
     * @return the listener
     * @throws IOException if binding fails
     */
    public static ListenerSocket bind(SocketAddress addr, int backlog) throws IOException {
        ServerSocketChannel ch = addr instanceof UnixDomainSocketAddress
            ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        try {
            if (!(addr instanceof UnixDomainSocketAddress)) {
                ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            }
            ch.bind(addr, backlog);
            return new ListenerSocket(ch, Net.register(ch));
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
     * Accepts one connection, parking until one arrives.
     *
     * @return the connected socket
     * @throws IOException if the listener is closed or fails
     */
    public StreamSocket accept() throws IOException {
        Waits.lock(acceptLock, "accept");
        try {
            while (true) {
                int r = io.readiness();
                SocketChannel c;
                try {
                    c = ch.accept();
                } catch (ClosedChannelException e) {
                    throw new SocketException("listener closed");
                }
                if (c != null) {
                    Coop.proceed();
                    return StreamSocket.accepted(c);
                }
                if (io.clear(r, SelectionKey.OP_ACCEPT)) {
                    io.await(SelectionKey.OP_ACCEPT, 0, "accept");
                }
            }
        } finally {
            acceptLock.unlock();
        }
    }

    /** {@return the channel} */
    public ServerSocketChannel channel() {
        return ch;
    }

    /** {@return the bound address} @throws IOException if closed */
    public SocketAddress localAddress() throws IOException {
        return ch.getLocalAddress();
    }

    /** {@return true until closed} */
    public boolean isOpen() {
        return !closed && ch.isOpen();
    }

    /** Closes; a task parked in accept wakes with an exception. @throws IOException if closing fails */
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        io.close();
        ch.close();
    }
}
