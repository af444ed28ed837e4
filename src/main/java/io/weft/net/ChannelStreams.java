package io.weft.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.Objects;

/** The java.io adapters of the stream sockets. */
final class ChannelStreams {
    private ChannelStreams() {}

    /** Writes a whole buffer. */
    @FunctionalInterface
    interface WriteAll {
        void writeAll(ByteBuffer src) throws IOException;
    }

    /** An InputStream over a parking channel. */
    static final class In extends InputStream {
        private final ByteChannel ch;
        private final ByteBuffer one = ByteBuffer.allocate(1);

        In(ByteChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read() throws IOException {
            one.clear();
            int n = ch.read(one);
            return n < 0 ? -1 : one.get(0) & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            return ch.read(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }

    /** An OutputStream over a parking channel; every write writes everything. */
    static final class Out extends OutputStream {
        private final ByteChannel ch;
        private final WriteAll writer;

        Out(ByteChannel ch, WriteAll writer) {
            this.ch = ch;
            this.writer = writer;
        }

        @Override
        public void write(int b) throws IOException {
            writer.writeAll(ByteBuffer.wrap(new byte[] {(byte) b}));
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            writer.writeAll(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
