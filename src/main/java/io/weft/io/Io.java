package io.weft.io;

import io.weft.Weft;
import io.weft.runtime.Handle;
import io.weft.task.CancelledException;
import io.weft.task.JoinException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Objects;

/**
 * Copying bytes between channels [Tokio: {@code io::copy}, {@code io::copy_bidirectional}].
 *
 * <p>{@link #copy(ReadableByteChannel, WritableByteChannel)} moves everything one source has to one
 * sink and returns the byte count once the source ends. {@link #copyBidirectional(DuplexChannel,
 * DuplexChannel)} joins two streams, both ways at once, as a proxy does: when one side ends its
 * output, the other side's output is half-closed, and it returns once both ways have ended.
 *
 * <h2>Example</h2>
 * {@snippet :
 * // A TCP proxy: each accepted connection is spliced to the upstream server.
 * while (true) {
 *     TcpStream inbound = listener.accept();
 *     Task.spawn(() -> {
 *         try (inbound; var upstream = TcpStream.connect(backend)) {
 *             Io.Copied c = Io.copyBidirectional(inbound, upstream);
 *             log("client sent " + c.aToB() + " bytes, server sent " + c.bToA());
 *         }
 *         return null;
 *     });
 * }
 * }
 */
public final class Io {
    /*
     * Implementation overview
     *
     * copy is the classic loop: read into one reused buffer, write until the buffer is drained, and
     * go again until read returns -1. A read or write that returns 0 (a channel that breaks the
     * parking contract) yields and checks for cancellation rather than spinning hot.
     *
     * copyBidirectional runs each direction as its own Weft task, "copy then shutdownOutput", and
     * waits for both with Weft.tryJoinAll, which gives it the structure it needs for free:
     *   - the first direction to fail aborts the other and waits for it to end, then the failure
     *     is rethrown (unwrapped from its JoinException);
     *   - if the calling task is aborted, both directions are aborted and waited for before
     *     CancelledException propagates, so no copying task outlives the call.
     * Two tasks rather than "one task plus the caller" because a failure must be able to stop the
     * other direction while it is parked in read: aborting a task does that; the caller's own
     * thread could only be stopped by interrupting it, which would leak into its later calls.
     */

    /** The size of the buffer {@link #copy(ReadableByteChannel, WritableByteChannel)} allocates: Tokio's 8 KiB. */
    static final int DEFAULT_BUFFER_SIZE = 8 * 1024;

    private Io() {}

    /**
     * How many bytes {@link Io#copyBidirectional(DuplexChannel, DuplexChannel)} moved each way.
     *
     * <h2>Example</h2>
     * {@snippet :
     * Io.Copied c = Io.copyBidirectional(client, server);
     * long total = c.aToB() + c.bToA();
     * }
     *
     * @param aToB bytes read from {@code a} and written to {@code b}
     * @param bToA bytes read from {@code b} and written to {@code a}
     */
    public record Copied(long aToB, long bToA) {}

    /**
     * Copies everything {@code source} has to {@code sink}: reads until end of stream, writing each
     * read fully, and returns the number of bytes copied [Tokio: {@code io::copy}].
     *
     * <p>It uses one 8 KiB heap buffer for the whole copy. It closes
     * neither channel, and does not half-close the sink: call {@link DuplexChannel#shutdownOutput()}
     * afterwards if the peer should see the end.
     *
     * <h4>Example</h4>
     * {@snippet :
     * try (var in = FileChannel.open(path); var out = TcpStream.connect(addr)) {
     *     long n = Io.copy(in, out);
     * }
     * }
     *
     * <h4>Cancellation</h4>
     * Not cancel-safe as a whole: if the task is aborted while parked in the source's {@code read},
     * nothing read is lost (with a Weft channel); if it is aborted while parked in the sink's
     * {@code write}, the bytes read but not yet written are lost, and so is the count. Abort the copy
     * only when you are going to close both channels.
     *
     * @param source where the bytes come from; a blocking channel
     * @param sink where they go; a blocking channel
     * @return the number of bytes copied
     * @throws IOException if a read or write fails (the bytes copied so far are not reported)
     * @throws IllegalArgumentException if either channel is a {@link SelectableChannel} in
     *     non-blocking mode (it would make this loop spin)
     * @throws CancelledException if the calling task is aborted while parked
     */
    public static long copy(ReadableByteChannel source, WritableByteChannel sink) throws IOException {
        return copy(source, sink, ByteBuffer.allocate(DEFAULT_BUFFER_SIZE));
    }

    /**
     * Copies everything {@code source} has to {@code sink} through the given buffer, which lets the
     * caller reuse one buffer for many copies, or choose a direct or larger one.
     *
     * <p>The buffer is cleared first; its contents afterwards are unspecified.
     *
     * <h4>Example</h4>
     * {@snippet :
     * var buf = ByteBuffer.allocateDirect(64 * 1024);
     * long n = Io.copy(source, sink, buf);
     * }
     *
     * <h4>Cancellation</h4>
     * As for {@link #copy(ReadableByteChannel, WritableByteChannel)}.
     *
     * @param source where the bytes come from; a blocking channel
     * @param sink where they go; a blocking channel
     * @param buffer the buffer to copy through; it must have a capacity of at least 1
     * @return the number of bytes copied
     * @throws IOException if a read or write fails
     * @throws IllegalArgumentException if the buffer has no capacity or is read-only, or a channel is a
     *     non-blocking {@link SelectableChannel}
     * @throws CancelledException if the calling task is aborted while parked
     */
    public static long copy(ReadableByteChannel source, WritableByteChannel sink, ByteBuffer buffer)
        throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sink, "sink");
        Objects.requireNonNull(buffer, "buffer");
        if (buffer.capacity() == 0 || buffer.isReadOnly()) {
            throw new IllegalArgumentException("copy needs a writable buffer with a capacity of at least 1, got " + buffer);
        }
        requireBlocking(source, "source");
        requireBlocking(sink, "sink");
        long total = 0;
        for (;;) {
            buffer.clear();
            int n = source.read(buffer);
            if (n < 0) {
                return total;
            }
            if (n == 0) {
                backOff();
                continue;
            }
            buffer.flip();
            writeFully(sink, buffer);
            total += n;
        }
    }

    /**
     * Copies between {@code a} and {@code b} in both directions at once, until both have ended
     * [Tokio: {@code io::copy_bidirectional}].
     *
     * <p>Bytes read from {@code a} are written to {@code b} and bytes read from {@code b} to
     * {@code a}, each direction in its own Weft task. When one side's read reaches end of stream, the
     * other side's output is half-closed with {@link DuplexChannel#shutdownOutput()}, so its peer sees
     * the end too, and that direction is done. The call returns when both directions are done: a side
     * that never ends its output keeps it waiting (put a {@link io.weft.time.Time#timeout timeout}
     * around it if that matters). Neither channel is closed.
     *
     * <p>If one direction fails, the other is aborted and waited for, and the failure is thrown.
     *
     * <h4>Example</h4>
     * {@snippet :
     * try (var client = listener.accept(); var server = TcpStream.connect(upstream)) {
     *     Io.Copied c = Io.copyBidirectional(client, server);
     * }
     * }
     *
     * <h4>Cancellation</h4>
     * If the calling task is aborted while waiting, both directions are aborted and have ended by the
     * time {@link CancelledException} propagates: no copying task is left behind. Bytes in flight
     * between a read and its write are lost, so close both channels afterwards.
     *
     * @param a one stream
     * @param b the other stream
     * @return the byte counts of both directions
     * @throws IOException the first failure of a read, write or half-close, in either direction
     * @throws IllegalStateException if called outside a Weft runtime (it needs one to run the directions)
     * @throws CancelledException if the calling task is aborted while waiting
     */
    public static Copied copyBidirectional(DuplexChannel a, DuplexChannel b) throws IOException {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (Handle.tryCurrent().isEmpty()) {
            throw new IllegalStateException(
                "Io.copyBidirectional runs each direction as a Weft task: call it from inside a Weft runtime "
                    + "(a task, Runtime.blockOn or Runtime.spawn)");
        }
        List<Long> counts;
        try {
            counts = Weft.tryJoinAll(() -> copyThenShutdown(a, b), () -> copyThenShutdown(b, a));
        } catch (JoinException e) {
            throw rethrow(e);
        }
        return new Copied(counts.get(0), counts.get(1));
    }

    /** One direction of copyBidirectional: copy, then half-close the destination. */
    private static long copyThenShutdown(DuplexChannel from, DuplexChannel to) throws IOException {
        long n = copy(from, to);
        to.shutdownOutput();
        return n;
    }

    /** Turns the JoinException of a failed direction back into what that direction threw. */
    private static IOException rethrow(JoinException e) {
        if (e.isCancelled()) {
            // A direction was aborted by someone else (runtime shutdown): report it as a cancellation.
            CancelledException ce = new CancelledException("Io.copyBidirectional: a copying task was cancelled");
            ce.initCause(e);
            throw ce;
        }
        Throwable cause = e.getCause();
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        throw new UncheckedIOException(new IOException("Io.copyBidirectional: a direction failed", cause));
    }

    /** Writes all of {@code buf} to {@code sink}. */
    static void writeFully(WritableByteChannel sink, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (sink.write(buf) == 0) {
                backOff();
            }
        }
    }

    /**
     * A channel returned 0: it breaks the parking contract (or a custom channel uses 0 for "try
     * again"). Yield rather than spin, and stay abortable.
     */
    static void backOff() {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancelledException("thread interrupted during I/O");
        }
        Thread.yield();
    }

    private static void requireBlocking(Object channel, String what) {
        if (channel instanceof SelectableChannel sc && !sc.isBlocking()) {
            throw new IllegalArgumentException(what + " is a non-blocking channel; Io.copy needs a blocking one: " + channel);
        }
    }
}
