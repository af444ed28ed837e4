package io.weft.net;

import io.weft.internal.net.StreamSocket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two halves of a {@link TcpStream} or {@link UnixStream}, for one task that reads while another
 * writes [Tokio: {@code OwnedReadHalf}, {@code OwnedWriteHalf}].
 *
 * {@snippet :
 * StreamHalves halves = stream.split();
 * Task.spawn(() -> pumpInto(halves.writeHalf()));
 * ByteBuffer buf = ByteBuffer.allocate(4096);
 * while (halves.readHalf().read(buf.clear()) >= 0) {
 *     handle(buf.flip());
 * }
 * }
 *
 * <p>Closing the write half shuts down the stream's output (the peer reads end of stream); closing the
 * read half shuts down its input; once both are closed the stream is closed.
 */
public final class StreamHalves {
    private final AutoCloseable owner;
    private final StreamSocket socket;
    private final AtomicInteger open = new AtomicInteger(2);
    private final ReadHalf read = new ReadHalf();
    private final WriteHalf write = new WriteHalf();

    StreamHalves(AutoCloseable owner, StreamSocket socket) {
        this.owner = owner;
        this.socket = socket;
    }

    /**
     * {@return the read half}
     *
     * {@snippet :
     * int n = halves.readHalf().read(buf);
     * }
     */
    public ReadHalf readHalf() {
        return read;
    }

    /**
     * {@return the write half}
     *
     * {@snippet :
     * halves.writeHalf().writeAll(buf);
     * }
     */
    public WriteHalf writeHalf() {
        return write;
    }

    private void halfClosed() throws IOException {
        if (open.decrementAndGet() == 0) {
            try {
                owner.close();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
    }

    /**
     * The reading half of a split stream.
     *
     * {@snippet :
     * ReadHalf in = stream.split().readHalf();
     * int n = in.read(buf);
     * }
     */
    public final class ReadHalf implements ReadableByteChannel {
        private volatile boolean closed;

        private ReadHalf() {}

        /**
         * Reads at least one byte, parking until one arrives (see {@link TcpStream#read}).
         *
         * {@snippet :
         * int n = in.read(buf);
         * }
         *
         * @param dst the buffer
         * @return bytes read, or -1 at end of stream
         * @throws IOException if the read fails
         */
        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            return socket.read(dst);
        }

        /**
         * Reads until {@code dst} is full (see {@link TcpStream#readExact}).
         *
         * {@snippet :
         * in.readExact(header);
         * }
         *
         * @param dst the buffer
         * @throws IOException if the stream ends first or the read fails
         */
        public void readExact(ByteBuffer dst) throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            socket.readExact(dst);
        }

        /**
         * {@return true until this half or the stream is closed}
         *
         * {@snippet :
         * boolean open = in.isOpen();
         * }
         */
        @Override
        public boolean isOpen() {
            return !closed && socket.isOpen();
        }

        /**
         * Shuts down the stream's input; closes the stream if the write half is closed too.
         *
         * {@snippet :
         * in.close();
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
            if (socket.isOpen()) {
                try {
                    socket.shutdownInput();
                } catch (IOException ignored) {
                    // already shut down or reset: nothing more to stop
                }
            }
            halfClosed();
        }
    }

    /**
     * The writing half of a split stream.
     *
     * {@snippet :
     * WriteHalf out = stream.split().writeHalf();
     * out.writeAll(ByteBuffer.wrap(bytes));
     * }
     */
    public final class WriteHalf implements WritableByteChannel {
        private volatile boolean closed;

        private WriteHalf() {}

        /**
         * Writes at least one byte, parking until the socket takes one (see {@link TcpStream#write}).
         *
         * {@snippet :
         * int n = out.write(buf);
         * }
         *
         * @param src the bytes
         * @return bytes written
         * @throws IOException if the write fails
         */
        @Override
        public int write(ByteBuffer src) throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            return socket.write(src);
        }

        /**
         * Writes all of {@code src}.
         *
         * {@snippet :
         * out.writeAll(buf);
         * }
         *
         * @param src the bytes
         * @throws IOException if the write fails
         */
        public void writeAll(ByteBuffer src) throws IOException {
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            socket.writeAll(src);
        }

        /**
         * Shuts down the stream's output: the peer reads end of stream.
         *
         * {@snippet :
         * out.shutdownOutput();
         * }
         *
         * @throws IOException if the stream is closed
         */
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        /**
         * {@return true until this half or the stream is closed}
         *
         * {@snippet :
         * boolean open = out.isOpen();
         * }
         */
        @Override
        public boolean isOpen() {
            return !closed && socket.isOpen();
        }

        /**
         * Shuts down the stream's output; closes the stream if the read half is closed too.
         *
         * {@snippet :
         * out.close(); // the peer sees end of stream
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
            if (socket.isOpen()) {
                try {
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // already shut down or reset
                }
            }
            halfClosed();
        }
    }
}
