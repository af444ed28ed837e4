/**
 * Copying between byte streams, and framing them into messages [Tokio: {@code tokio::io},
 * {@code tokio_util::codec}].
 *
 * <p>Everything here is written against the standard NIO channel interfaces, in blocking style: a
 * {@code read} or {@code write} parks the calling virtual thread. Weft's sockets implement
 * {@link io.weft.io.DuplexChannel} (a {@link java.nio.channels.ByteChannel} that can half-close its
 * output), and so can any other stream.
 *
 * <h2>Which to use</h2>
 * <ul>
 *   <li>{@link io.weft.io.Io#copy(java.nio.channels.ReadableByteChannel, java.nio.channels.WritableByteChannel)}:
 *       move everything from one channel to another, returning the byte count; a file to a socket,
 *       a request body to a sink.</li>
 *   <li>{@link io.weft.io.Io#copyBidirectional(io.weft.io.DuplexChannel, io.weft.io.DuplexChannel)}:
 *       splice two connections together both ways, as a proxy does, with half-close passed through;
 *       needs a Weft runtime (each direction is a task).</li>
 *   <li>{@link io.weft.io.Framed} with a {@link io.weft.io.Codec}: read and write messages instead of
 *       bytes. {@link io.weft.io.LinesCodec} for text lines, {@link io.weft.io.LengthDelimitedCodec}
 *       for length-prefixed binary frames, or your own {@code Codec}.</li>
 * </ul>
 *
 * {@snippet :
 * // A proxy
 * Io.Copied c = Io.copyBidirectional(client, upstream);
 *
 * // A line protocol
 * var lines = new Framed<>(client, new LinesCodec(8 * 1024));
 * lines.writeFrame("HELLO");
 * String reply = lines.readFrame();
 *
 * // A binary protocol
 * var frames = new Framed<>(client, new LengthDelimitedCodec(1 << 20));
 * frames.writeFrame(payload);
 * byte[] response = frames.readFrame();
 * }
 *
 * <h2>Limits</h2>
 * Every codec here has a limit, and a frame over it is a {@link io.weft.io.FrameTooLongException},
 * reported as soon as the codec can tell (a length header, or too many bytes without a newline),
 * never after buffering the whole frame. A {@code Framed} never buffers more than its codec's
 * {@link io.weft.io.Codec#maxBufferedBytes()} plus one read.
 *
 * <h2>Cancellation</h2>
 * Over a cancel-safe channel, {@link io.weft.io.Framed#readFrame()} loses nothing when its task is
 * aborted; an aborted write leaves the unwritten rest of its frame pending for the next flush.
 * {@code Io.copy} may lose bytes read but not yet written, so an aborted copy should be followed by
 * closing both channels; {@code copyBidirectional} aborts and waits for both of its tasks before it
 * throws. The JDK's own channels close themselves when their thread is interrupted.
 */
package io.weft.io;
