package io.weft.io;

/**
 * A byte stream that reads and writes, and can half-close its write side ({@code TcpStream} and
 * {@code UnixStream} implement it). {@link #read} parks the calling virtual thread until at least one
 * byte arrives (or returns -1 at the end); {@link #write} parks until it wrote at least one byte.
 *
 * {@snippet :
 * DuplexChannel ch = TcpStream.connect(address);
 * ch.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.UTF_8)));
 * ch.shutdownOutput(); // the peer reads end-of-stream after "ping"
 * }
 */
public interface DuplexChannel extends java.nio.channels.ByteChannel {
    /**
     * Half-close: no more writes; the peer reads end-of-stream after the bytes already written.
     *
     * {@snippet :
     * stream.writeAll(request);
     * stream.shutdownOutput(); // "that was all": the server sees EOF and answers
     * }
     *
     * @throws java.io.IOException if the channel is closed or the socket fails
     */
    void shutdownOutput() throws java.io.IOException;
}
