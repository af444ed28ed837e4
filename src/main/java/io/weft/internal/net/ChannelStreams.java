package io.weft.internal.net;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The {@code java.io} adapters of Weft's parking sockets: {@code TcpStream.inputStream()} and the
 * streams of {@link ReactorSocketChannel}'s {@code java.net.Socket} view. Closing either stream closes
 * the socket, as with {@code java.net.Socket}.
 */
public final class ChannelStreams {
    private ChannelStreams() {}

    /** Reads at least one byte, parking; -1 at end of stream. */
    @FunctionalInterface
    public interface Read {
        /**
         * @param dst where to
         * @return bytes read, or -1 at end of stream
         * @throws IOException on a socket error, a timeout or a close
         */
        int read(ByteBuffer dst) throws IOException;
    }

    /** Writes a whole buffer, parking. */
    @FunctionalInterface
    public interface WriteAll {
        /**
         * @param src what to write; empty afterwards
         * @throws IOException on a socket error, a timeout or a close
         */
        void writeAll(ByteBuffer src) throws IOException;
    }

    /** An InputStream over a parking read. */
    public static final class In extends InputStream {
        private final Read reader;
        private final Closeable owner;
        private final ByteBuffer one = ByteBuffer.allocate(1);

        /**
         * @param reader reads from the socket
         * @param owner closed when the stream is
         */
        public In(Read reader, Closeable owner) {
            this.reader = reader;
            this.owner = owner;
        }

        @Override
        public int read() throws IOException {
            one.clear();
            int n = reader.read(one);
            return n < 0 ? -1 : one.get(0) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            return reader.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
            owner.close();
        }
    }

    /** An OutputStream over a parking write; every write writes everything. */
    public static final class Out extends OutputStream {
        private final WriteAll writer;
        private final Closeable owner;

        /**
         * @param writer writes to the socket
         * @param owner closed when the stream is
         */
        public Out(WriteAll writer, Closeable owner) {
            this.writer = writer;
            this.owner = owner;
        }

        @Override
        public void write(int b) throws IOException {
            writer.writeAll(ByteBuffer.wrap(new byte[] {(byte) b}));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len > 0) {
                writer.writeAll(ByteBuffer.wrap(b, off, len));
            }
        }

        @Override
        public void close() throws IOException {
            owner.close();
        }
    }
}
