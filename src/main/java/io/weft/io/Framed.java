package io.weft.io;

import io.weft.internal.sync.Waits;
import io.weft.task.CancelledException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A byte channel seen as a sequence of frames, through a {@link Codec} [Tokio:
 * {@code tokio_util::codec::Framed}].
 *
 * <p>{@link #readFrame()} reads from the channel until the codec can decode a frame, and returns it;
 * it returns {@code null} once the stream has ended cleanly (between frames), and throws
 * {@link EOFException} if it ended in the middle of one. {@link #writeFrame(Object)} encodes a frame
 * and writes it out fully. {@link #feed(Object)} encodes without writing (it writes once 8 KiB are
 * pending), and {@link #flush()} writes what is pending, so many small frames can go out in one
 * write.
 *
 * <p>Bytes read but not yet decoded stay in a read buffer, so frames may arrive split across reads
 * or many in one read. That buffer never grows beyond the codec's {@link Codec#maxBufferedBytes()}
 * plus one read (8 KiB), so a peer cannot make a {@code Framed} with a bounded codec buffer
 * without bound; a frame over the limit is reported as a {@link FrameTooLongException}.
 *
 * <p>One task may read frames while another writes them: the two sides have separate buffers and
 * locks. Concurrent readers (or writers) take turns.
 *
 * <h2>Example</h2>
 * {@snippet :
 * // A line-based echo server's connection handler.
 * try (var lines = new Framed<>(stream, new LinesCodec(8 * 1024))) {
 *     String line;
 *     while ((line = lines.readFrame()) != null) {
 *         lines.writeFrame(line.toUpperCase());
 *     }
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * Over a cancel-safe channel (a {@link DuplexChannel} such as Weft's {@code TcpStream}),
 * {@code readFrame} is cancel-safe: if the task is aborted while parked in it, the bytes already read
 * stay buffered and the next {@code readFrame} decodes them with the rest. If a task is aborted while
 * parked in {@code writeFrame} or {@code flush}, part of a frame may have been written; the remainder
 * stays pending, and a later {@code flush} completes the frame. A JDK channel closes itself on
 * interrupt instead, which ends the {@code Framed} too.
 *
 * @param <T> the frame type
 */
public final class Framed<T> implements Closeable {
    /*
     * Implementation overview
     *
     * Read side (readLock). readBuf is kept in read mode: [position, limit) are the bytes read and not
     * yet consumed, and the codec consumes by moving the position. fill() appends one read behind the
     * limit: when there is no room behind it, it first moves the unconsumed bytes to the front
     * (compact), and only if the buffer is full of them does it grow (doubling, capped at
     * codec.maxBufferedBytes() + READ_CHUNK; a full buffer at the cap means the codec did not keep its
     * bound, reported as FrameTooLongException). Appending only behind the unconsumed bytes keeps
     * offsets relative to the position valid between decode calls (LinesCodec relies on it). When
     * everything is consumed the buffer rewinds for free, and one grown past SHRINK_ABOVE is given
     * back. The channel reads into fillView, a second view of the same array, so readBuf itself is
     * never out of read mode: a read that throws (an abort) leaves it consistent, and readBuffered()
     * is meaningful while a reader is parked.
     *
     * End of stream: eof is set when the channel returns -1; from then on decodeEof is called instead
     * of decode until it returns null, and finished makes readFrame return null for good. An
     * EOFException from decodeEof (an incomplete frame) also finishes, dropping the leftover.
     *
     * Write side (writeLock). writeBuf is a ByteArrayOutputStream the codec appends to; `flushed`
     * counts the bytes at its front already written, so a write cut short by an abort resumes on the
     * next flush, and an encode that throws is rolled back to the previous size.
     */

    /** The initial read buffer size, and the slack above the codec's bound: one read's worth. */
    static final int READ_CHUNK = 8 * 1024;
    /** feed() writes out once this many bytes are pending (Tokio's backpressure boundary). */
    static final int WRITE_HIGH_WATER = 8 * 1024;
    /** An idle buffer grown past this is replaced by a small one. */
    static final int SHRINK_ABOVE = 64 * 1024;
    /** The largest array the JVM reliably allocates. */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final ByteChannel channel;
    private final Codec<T> codec;
    private final ReentrantLock readLock = new ReentrantLock();
    private final ReentrantLock writeLock = new ReentrantLock();

    /** Bytes read, not yet consumed: [position, limit). Guarded by readLock. */
    private ByteBuffer readBuf = ByteBuffer.allocate(READ_CHUNK).limit(0);
    /** A view of readBuf's array that reads fill. Guarded by readLock. */
    private ByteBuffer fillView = readBuf.duplicate();
    /** The channel returned -1. Guarded by readLock. */
    private boolean eof;
    /** decodeEof returned null (or found an incomplete frame): no more frames. Guarded by readLock. */
    private boolean finished;
    /** Encoded bytes not yet written. Guarded by writeLock. */
    private final WriteBuffer writeBuf = new WriteBuffer();

    /**
     * Frames {@code channel} with {@code codec}.
     *
     * <p>The channel should be blocking (parking): Weft's sockets, or any {@link DuplexChannel}. The
     * {@code Framed} owns both from now on: {@link #close()} closes the channel, and the codec must
     * not be shared with another {@code Framed}.
     *
     * {@snippet :
     * var framed = new Framed<>(stream, new LengthDelimitedCodec(1 << 16));
     * }
     *
     * @param channel the byte stream
     * @param codec the codec
     */
    public Framed(ByteChannel channel, Codec<T> codec) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    /**
     * Reads the next frame, parking until it has arrived; returns {@code null} once the stream has
     * ended between frames.
     *
     * <p>After {@code null}, every later call returns {@code null} too. If the codec throws (a frame
     * over its limit, invalid data), the exception propagates and what happens on the next call is
     * up to the codec: the codecs in this package skip the bad frame and go on.
     *
     * <h4>Example</h4>
     * {@snippet :
     * String line;
     * while ((line = lines.readFrame()) != null) {
     *     handle(line);
     * }
     * }
     *
     * <h4>Cancellation</h4>
     * Cancel-safe over a cancel-safe channel: an abort while parked here loses no bytes; the frame
     * is returned by the next call.
     *
     * @return the frame, or {@code null} at the end of the stream
     * @throws EOFException if the stream ended in the middle of a frame (later calls return {@code null})
     * @throws FrameTooLongException if a frame is over the codec's limit
     * @throws IOException if the read fails or the codec rejects the bytes
     * @throws CancelledException if the calling task is aborted while parked
     */
    public T readFrame() throws IOException {
        lock(readLock);
        try {
            for (;;) {
                if (finished) {
                    return null;
                }
                if (!eof) {
                    T frame = codec.decode(readBuf);
                    if (frame != null) {
                        return frame;
                    }
                    fill();
                    continue;
                }
                T frame;
                try {
                    frame = codec.decodeEof(readBuf);
                } catch (EOFException e) {
                    finish();
                    throw e;
                }
                if (frame != null) {
                    return frame;
                }
                int left = readBuf.remaining();
                finish();
                if (left > 0) {
                    throw new EOFException("stream ended in the middle of a frame: " + left + " bytes left that "
                        + codec.getClass().getSimpleName() + " did not decode");
                }
                return null;
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Encodes {@code frame} and writes it, with any frames {@linkplain #feed(Object) fed} before it,
     * parking until all of it is written [Tokio: {@code SinkExt::send}].
     *
     * <h4>Example</h4>
     * {@snippet :
     * framed.writeFrame("hello");
     * }
     *
     * <h4>Cancellation</h4>
     * If the task is aborted while parked here, the frame may be partly written; the rest stays
     * pending and the next {@link #flush()} (or {@code writeFrame}) writes it first.
     *
     * @param frame the frame
     * @throws FrameTooLongException if the codec refuses the frame as too long (nothing is written)
     * @throws IOException if the codec cannot encode it, or the write fails
     * @throws CancelledException if the calling task is aborted while parked
     */
    public void writeFrame(T frame) throws IOException {
        Objects.requireNonNull(frame, "frame");
        lock(writeLock);
        try {
            encode(frame);
            flushLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Encodes {@code frame} into the write buffer without writing it, unless 8 KiB or more are now
     * pending, in which case it writes them [Tokio: {@code SinkExt::feed}]. Call {@link #flush()}
     * after the last frame.
     *
     * <h4>Example</h4>
     * {@snippet :
     * for (String row : rows) {
     *     framed.feed(row);
     * }
     * framed.flush(); // one write for many small frames
     * }
     *
     * <h4>Cancellation</h4>
     * As for {@link #writeFrame(Object)}.
     *
     * @param frame the frame
     * @throws FrameTooLongException if the codec refuses the frame as too long (it is not buffered)
     * @throws IOException if the codec cannot encode it, or a write fails
     * @throws CancelledException if the calling task is aborted while parked
     */
    public void feed(T frame) throws IOException {
        Objects.requireNonNull(frame, "frame");
        lock(writeLock);
        try {
            encode(frame);
            if (writeBuf.pendingBytes() >= WRITE_HIGH_WATER) {
                flushLocked();
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes every pending byte, parking until done [Tokio: {@code SinkExt::flush}].
     *
     * <h4>Example</h4>
     * {@snippet :
     * framed.feed(a);
     * framed.feed(b);
     * framed.flush();
     * }
     *
     * <h4>Cancellation</h4>
     * An abort while parked here keeps what was not written pending.
     *
     * @throws IOException if a write fails
     * @throws CancelledException if the calling task is aborted while parked
     */
    public void flush() throws IOException {
        lock(writeLock);
        try {
            flushLocked();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * {@return the frames as a {@link io.weft.stream.Stream}}: each {@code next()} is a
     * {@link #readFrame()}, the stream ends where the frames do, and closing the stream closes this
     * {@code Framed} (and its channel). An {@link IOException} reaches the consumer as an
     * {@link java.io.UncheckedIOException} at the frame where it happened; a
     * {@link FrameTooLongException} leaves the stream usable, as it leaves {@code readFrame}.
     *
     * {@snippet :
     * var lines = new Framed<>(stream, new LinesCodec(8 * 1024));
     * try (Stream<String> in = lines.stream()) {
     *     for (String line : in.filter(l -> !l.isBlank())) {
     *         handle(line);
     *     }
     * }
     * }
     */
    public io.weft.stream.Stream<T> stream() {
        return io.weft.stream.Stream.fromPull(() -> {
            try {
                return readFrame();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, () -> {
            try {
                close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /**
     * Flushes pending frames, then closes the channel.
     *
     * <p>If another task is in the middle of a write, it does not wait for it: it closes the channel,
     * which makes that write fail. The channel is closed even if the flush fails.
     *
     * <h4>Example</h4>
     * {@snippet :
     * try (var framed = new Framed<>(stream, new LinesCodec(1024))) {
     *     framed.writeFrame("bye");
     * }
     * }
     *
     * @throws IOException if the flush or the close fails
     */
    @Override
    public void close() throws IOException {
        Throwable failure = null;
        if (writeLock.tryLock()) {
            try {
                flushLocked();
            } catch (IOException | RuntimeException e) {
                failure = e;
            } finally {
                writeLock.unlock();
            }
        }
        try {
            channel.close();
        } catch (IOException | RuntimeException e) {
            if (failure != null) {
                e.addSuppressed(failure);
            }
            throw e;
        }
        if (failure instanceof IOException io) {
            throw io;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
    }

    /**
     * {@return the channel this {@code Framed} reads and writes}
     *
     * {@snippet :
     * ((DuplexChannel) framed.channel()).shutdownOutput();
     * }
     */
    public ByteChannel channel() {
        return channel;
    }

    /**
     * {@return the codec}
     *
     * {@snippet :
     * int max = ((LinesCodec) framed.codec()).maxLength();
     * }
     */
    public Codec<T> codec() {
        return codec;
    }

    /**
     * {@return how many bytes have been read but not yet decoded} Racy if another task is reading.
     *
     * {@snippet :
     * if (framed.readBuffered() > 0) log("a partial frame is pending");
     * }
     */
    public int readBuffered() {
        return readBuf.remaining(); // racy read, for monitoring only
    }

    /**
     * {@return how many encoded bytes are waiting to be written} Racy if another task is writing.
     *
     * {@snippet :
     * if (framed.writeBuffered() > 0) framed.flush();
     * }
     */
    public int writeBuffered() {
        return writeBuf.pendingBytes(); // racy read, for monitoring only
    }

    /**
     * {@return a description: the codec and the buffered byte counts}
     *
     * {@snippet :
     * System.out.println(framed); // Framed[LinesCodec[maxLength=80], readBuffered=3, writeBuffered=0]
     * }
     */
    @Override
    public String toString() {
        return "Framed[" + codec + ", readBuffered=" + readBuffered() + ", writeBuffered=" + writeBuffered() + "]";
    }

    /** The read buffer's capacity, for tests of the memory bound. */
    int readCapacity() {
        return readBuf.capacity();
    }

    // ---------------------------------------------------------------- read side

    /** Reads once from the channel, appending behind the unconsumed bytes. Holds readLock. */
    private void fill() throws IOException {
        ByteBuffer b = readBuf;
        if (!b.hasRemaining()) {
            if (b.capacity() > SHRINK_ABOVE) {
                b = setReadBuf(ByteBuffer.allocate(READ_CHUNK));
            }
            b.clear().limit(0);
        } else if (b.limit() == b.capacity()) {
            if (b.position() > 0) {
                b.compact().flip();
            } else {
                b = setReadBuf(grow(b));
            }
        }
        // The read goes through a second view of the same bytes, so readBuf stays in read mode (and
        // readBuffered() stays meaningful) while the task is parked in the read.
        final ByteBuffer view = fillView.limit(b.capacity()).position(b.limit());
        int n;
        try {
            n = channel.read(view);
        } finally {
            b.limit(view.position()); // whatever arrived, even if the read then threw
        }
        if (n < 0) {
            eof = true;
        } else if (n == 0) {
            Io.backOff();
        }
    }

    private ByteBuffer setReadBuf(ByteBuffer b) {
        readBuf = b;
        fillView = b.duplicate();
        return b;
    }

    /** A bigger buffer with the same unconsumed bytes; {@code b} is full of them. */
    private ByteBuffer grow(ByteBuffer b) throws FrameTooLongException {
        final int cap = b.capacity();
        final int bound = codec.maxBufferedBytes();
        final long max = Math.min(MAX_ARRAY, (long) bound + READ_CHUNK);
        if (cap >= max) {
            throw new FrameTooLongException("Framed: " + cap + " bytes are buffered and " + codec
                + " still cannot decode a frame, although it needs at most " + bound + " (Codec.maxBufferedBytes)",
                bound, -1);
        }
        int newCap = (int) Math.min(max, Math.max(2L * cap, READ_CHUNK));
        return ByteBuffer.allocate(newCap).put(b).flip();
    }

    /** No more frames: drop what is left. Holds readLock. */
    private void finish() {
        finished = true;
        setReadBuf(ByteBuffer.allocate(0));
    }

    // ---------------------------------------------------------------- write side

    /** Encodes into writeBuf, rolling back on failure. Holds writeLock. */
    private void encode(T frame) throws IOException {
        final int before = writeBuf.size();
        try {
            codec.encode(frame, writeBuf);
        } catch (IOException | RuntimeException | Error e) {
            writeBuf.truncate(before);
            throw e;
        }
    }

    /** Writes every pending byte. Holds writeLock. */
    private void flushLocked() throws IOException {
        while (writeBuf.pendingBytes() > 0) {
            int n = channel.write(writeBuf.pending());
            if (n > 0) {
                writeBuf.written(n);
            } else {
                Io.backOff();
            }
        }
    }

    private static void lock(ReentrantLock lock) {
        Waits.lock(lock, "a Framed read or write");
    }

    /** The write buffer: a ByteArrayOutputStream whose front {@code flushed} bytes are already written. */
    private static final class WriteBuffer extends ByteArrayOutputStream {
        /** Bytes at the front already written. */
        private int flushed;

        WriteBuffer() {
            super(256);
        }

        int pendingBytes() {
            return count - flushed;
        }

        ByteBuffer pending() {
            return ByteBuffer.wrap(buf, flushed, count - flushed);
        }

        void written(int n) {
            flushed += n;
            if (flushed == count) {
                flushed = 0;
                count = 0;
                if (buf.length > SHRINK_ABOVE) {
                    buf = new byte[256];
                }
            }
        }

        void truncate(int size) {
            count = size;
        }
    }
}
