package io.weft.io;

import io.weft.task.CancelledException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/** Channel test doubles for the io.weft.io tests: in-memory pipes that park, scripted sources, recording sinks, loopback sockets. */
final class IoTesting {
    private IoTesting() {}

    /** {@return {@code n} random bytes from {@code seed}} */
    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- pipes

    /**
     * One direction of an in-memory stream: a bounded byte ring, guarded by a lock, whose read and
     * write park (ReentrantLock conditions, so a virtual thread parks, not its carrier). Like a Weft
     * channel it is cancel-safe: an interrupt while parked throws CancelledException (interrupt kept)
     * and moves no bytes.
     */
    static final class Pipe {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition readable = lock.newCondition();
        private final Condition writable = lock.newCondition();
        private final byte[] ring;
        private int head;
        private int size;
        private boolean writeClosed;
        private boolean readClosed;
        private int parkedReaders;
        private int parkedWriters;
        /** The most bytes one read returns. */
        volatile int maxReadChunk = Integer.MAX_VALUE;
        /** If set, the next read or write throws it. */
        volatile IOException failNext;

        Pipe(int capacity) {
            this.ring = new byte[capacity];
        }

        int read(ByteBuffer dst) throws IOException {
            lock.lock();
            try {
                throwInjected();
                while (size == 0 && !writeClosed) {
                    if (readClosed) {
                        throw new ClosedChannelException();
                    }
                    parkedReaders++;
                    try {
                        readable.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CancelledException("pipe read aborted");
                    } finally {
                        parkedReaders--;
                    }
                    throwInjected();
                }
                if (readClosed) {
                    throw new ClosedChannelException();
                }
                if (size == 0) {
                    return -1;
                }
                int n = Math.min(Math.min(size, dst.remaining()), maxReadChunk);
                for (int i = 0; i < n; i++) {
                    dst.put(ring[(head + i) % ring.length]);
                }
                head = (head + n) % ring.length;
                size -= n;
                writable.signalAll();
                return n;
            } finally {
                lock.unlock();
            }
        }

        int write(ByteBuffer src) throws IOException {
            lock.lock();
            try {
                throwInjected();
                if (writeClosed) {
                    throw new IOException("pipe: write after shutdownOutput");
                }
                while (size == ring.length && !readClosed) {
                    parkedWriters++;
                    try {
                        writable.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CancelledException("pipe write aborted");
                    } finally {
                        parkedWriters--;
                    }
                    throwInjected();
                }
                if (readClosed) {
                    throw new IOException("broken pipe: the reader closed");
                }
                int n = Math.min(ring.length - size, src.remaining());
                for (int i = 0; i < n; i++) {
                    ring[(head + size + i) % ring.length] = src.get();
                }
                size += n;
                readable.signalAll();
                return n;
            } finally {
                lock.unlock();
            }
        }

        void closeWrite() {
            lock.lock();
            try {
                writeClosed = true;
                readable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        void closeRead() {
            lock.lock();
            try {
                readClosed = true;
                readable.signalAll();
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Makes the next read or write (also one parked now) throw {@code e}. */
        void fail(IOException e) {
            lock.lock();
            try {
                failNext = e;
                readable.signalAll();
                writable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        int parkedReaders() {
            lock.lock();
            try {
                return parkedReaders;
            } finally {
                lock.unlock();
            }
        }

        int parked() {
            lock.lock();
            try {
                return parkedReaders + parkedWriters;
            } finally {
                lock.unlock();
            }
        }

        private void throwInjected() throws IOException {
            IOException e = failNext;
            if (e != null) {
                failNext = null;
                throw e;
            }
        }
    }

    /** One end of a {@link #duplexPair}: reads from one pipe, writes to the other. */
    static final class PipeEnd implements DuplexChannel {
        final Pipe in;
        final Pipe out;
        private volatile boolean open = true;
        final AtomicLong shutdowns = new AtomicLong();

        PipeEnd(Pipe in, Pipe out) {
            this.in = in;
            this.out = out;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            return in.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            return out.write(src);
        }

        @Override
        public void shutdownOutput() throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            shutdowns.incrementAndGet();
            out.closeWrite();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            out.closeWrite();
            in.closeRead();
        }

        /** Reads until end of stream. */
        byte[] readAll() throws IOException {
            var out = new ByteArrayOutputStream();
            var buf = ByteBuffer.allocate(4096);
            while (read(buf.clear()) >= 0) {
                out.write(buf.array(), 0, buf.position());
            }
            return out.toByteArray();
        }

        /** Reads exactly {@code n} bytes (fails at an early end). */
        byte[] readExactly(int n) throws IOException {
            var buf = ByteBuffer.allocate(n);
            while (buf.hasRemaining()) {
                if (read(buf) < 0) {
                    throw new java.io.EOFException("ended after " + buf.position() + " of " + n + " bytes");
                }
            }
            return buf.array();
        }

        void writeAll(byte[] b) throws IOException {
            Io.writeFully(this, ByteBuffer.wrap(b));
        }
    }

    /** Two connected ends, each direction a {@link Pipe} of {@code capacity} bytes. */
    static PipeEnd[] duplexPair(int capacity) {
        Pipe ab = new Pipe(capacity);
        Pipe ba = new Pipe(capacity);
        return new PipeEnd[] {new PipeEnd(ba, ab), new PipeEnd(ab, ba)};
    }

    // ---------------------------------------------------------------- scripted sources and sinks

    /**
     * A source that serves {@code data} in reads whose sizes {@code chunks} decides (1 for one byte
     * per read), then ends. Counts reads and bytes.
     */
    static final class ChunkedSource implements ReadableByteChannel {
        private final byte[] data;
        private final IntSupplier chunks;
        private int pos;
        int reads;
        boolean open = true;

        ChunkedSource(byte[] data, IntSupplier chunks) {
            this.data = data;
            this.chunks = chunks;
        }

        static ChunkedSource whole(byte[] data) {
            return new ChunkedSource(data, () -> Integer.MAX_VALUE);
        }

        static ChunkedSource bytewise(byte[] data) {
            return new ChunkedSource(data, () -> 1);
        }

        static ChunkedSource random(byte[] data, Random rnd, int maxChunk) {
            return new ChunkedSource(data, () -> 1 + rnd.nextInt(maxChunk));
        }

        @Override
        public int read(ByteBuffer dst) {
            reads++;
            if (pos == data.length) {
                return -1;
            }
            int n = Math.min(Math.min(data.length - pos, dst.remaining()), Math.max(1, chunks.getAsInt()));
            dst.put(data, pos, n);
            pos += n;
            return n;
        }

        int consumed() {
            return pos;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** A source of {@code prefixLength} copies of {@code fill}, then {@code suffix}; generated, never held in memory. */
    static final class GeneratedSource implements ReadableByteChannel {
        private final long prefixLength;
        private final byte fill;
        private final byte[] suffix;
        long served;
        boolean open = true;

        GeneratedSource(long prefixLength, byte fill, byte[] suffix) {
            this.prefixLength = prefixLength;
            this.fill = fill;
            this.suffix = suffix;
        }

        @Override
        public int read(ByteBuffer dst) {
            long total = prefixLength + suffix.length;
            if (served == total) {
                return -1;
            }
            int n = 0;
            while (dst.hasRemaining() && served < total) {
                dst.put(served < prefixLength ? fill : suffix[(int) (served - prefixLength)]);
                served++;
                n++;
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** A sink that keeps what it is given, taking at most {@code maxWrite} bytes per write; records each write's size. */
    static final class RecordingSink implements WritableByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> writes = new ArrayList<>();
        private final int maxWrite;
        boolean open = true;
        /** If set, writes fail once this many bytes are in. */
        long failAfter = Long.MAX_VALUE;

        RecordingSink(int maxWrite) {
            this.maxWrite = maxWrite;
        }

        RecordingSink() {
            this(Integer.MAX_VALUE);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (bytes.size() >= failAfter) {
                throw new IOException("sink failed (test)");
            }
            int n = Math.min(src.remaining(), maxWrite);
            byte[] b = new byte[n];
            src.get(b);
            bytes.writeBytes(b);
            writes.add(n);
            return n;
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** A ByteChannel from a source and a sink. */
    static ByteChannel byteChannel(ReadableByteChannel in, WritableByteChannel out) {
        return new ByteChannel() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return in.read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return out.write(src);
            }

            @Override
            public boolean isOpen() {
                return in.isOpen() && out.isOpen();
            }

            @Override
            public void close() throws IOException {
                in.close();
                out.close();
            }
        };
    }

    // ---------------------------------------------------------------- loopback sockets

    /**
     * A blocking JDK SocketChannel as a DuplexChannel. Unlike Weft's sockets, the JDK closes it when
     * the thread parked in it is interrupted (ClosedByInterruptException).
     */
    static final class SocketDuplex implements DuplexChannel {
        final SocketChannel ch;

        SocketDuplex(SocketChannel ch) {
            this.ch = ch;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return ch.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return ch.write(src);
        }

        @Override
        public void shutdownOutput() throws IOException {
            ch.shutdownOutput();
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }

        byte[] readAll() throws IOException {
            var out = new ByteArrayOutputStream();
            var buf = ByteBuffer.allocate(8192);
            while (read(buf.clear()) >= 0) {
                out.write(buf.array(), 0, buf.position());
            }
            return out.toByteArray();
        }
    }

    /** Two ends of a connected loopback TCP connection, blocking mode. */
    static SocketDuplex[] loopbackPair() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            SocketChannel accepted = server.accept();
            client.socket().setTcpNoDelay(true);
            accepted.socket().setTcpNoDelay(true);
            return new SocketDuplex[] {new SocketDuplex(client), new SocketDuplex(accepted)};
        }
    }
}
