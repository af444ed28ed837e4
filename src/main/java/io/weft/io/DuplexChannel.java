package io.weft.io;

/**
 * A byte stream that reads and writes, and can half-close its write side (TcpStream, UnixStream implement it).
 *
 * <p>This is the contract {@link Io#copyBidirectional(DuplexChannel, DuplexChannel)} and
 * {@link Framed} are written against: a connected, bidirectional byte stream in blocking style.
 * {@link #read(java.nio.ByteBuffer)} parks the calling virtual thread until at least one byte has
 * arrived (or returns {@code -1} at end of stream); {@link #write(java.nio.ByteBuffer)} parks until
 * it has written at least one byte. Neither returns {@code 0} for a buffer with room or bytes left.
 * {@link #shutdownOutput()} ends the write side only: the peer reads end-of-stream after the bytes
 * already written, and this side can still read what the peer sends [Tokio:
 * {@code AsyncWrite::poll_shutdown}, {@code TcpStream::shutdown}].
 *
 * <h2>Example</h2>
 * {@snippet :
 * void sendAndDrain(DuplexChannel ch) throws IOException {
 *     ch.write(ByteBuffer.wrap("request".getBytes(StandardCharsets.UTF_8)));
 *     ch.shutdownOutput();                   // the peer sees end-of-stream after "request"
 *     var buf = ByteBuffer.allocate(1024);
 *     while (ch.read(buf.clear()) >= 0) {    // the reply, until the peer closes
 *         consume(buf.flip());
 *     }
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * Both {@code read} and {@code write} are cancel-safe: a task aborted while parked in {@code read}
 * throws {@link io.weft.task.CancelledException} and loses no bytes (the next {@code read} returns
 * them); an aborted {@code write} wrote nothing (a {@code write} that wrote bytes returns their
 * count). The JDK's own {@link java.nio.channels.InterruptibleChannel}s are different: an interrupt
 * closes them.
 */
public interface DuplexChannel extends java.nio.channels.ByteChannel {
    /**
     * Half-close: no more writes; the peer reads end-of-stream after the bytes already written.
     *
     * <p>Reading is unaffected. Writing afterwards fails with an {@link java.io.IOException}.
     * Calling it twice is harmless.
     *
     * {@snippet :
     * ch.write(ByteBuffer.wrap(lastBytes));
     * ch.shutdownOutput();
     * }
     *
     * @throws java.io.IOException if the channel is closed or the shutdown fails
     */
    void shutdownOutput() throws java.io.IOException;
}
