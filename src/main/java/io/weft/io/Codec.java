package io.weft.io;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns a byte stream into frames and frames back into bytes [Tokio: {@code tokio_util::codec::Decoder}
 * and {@code Encoder}].
 *
 * <p>A {@link Framed} owns the buffers and the channel; the codec only looks at bytes:
 * <ul>
 *   <li>{@link #decode(ByteBuffer)} gets the bytes read so far and not yet consumed, between the
 *       buffer's position and limit. If they hold a whole frame, it consumes the frame's bytes (moves
 *       the position past them) and returns the frame; otherwise it returns {@code null} and
 *       {@code Framed} reads more and calls it again. It may consume bytes before it has a whole
 *       frame (a header, say) if it remembers what it saw; the bytes it leaves are handed to it again,
 *       followed by new ones.</li>
 *   <li>{@link #decodeEof(ByteBuffer)} is called instead once the stream has ended, until it
 *       returns {@code null}; bytes left over then are an incomplete frame.</li>
 *   <li>{@link #encode(Object, ByteArrayOutputStream)} appends one frame's bytes to the output.</li>
 *   <li>{@link #maxBufferedBytes()} bounds how many bytes decoding may need to hold at once, so a
 *       peer that never ends its frame cannot make {@code Framed} buffer without bound.</li>
 * </ul>
 *
 * <p>A codec may keep state between calls ({@link LinesCodec} remembers how far it searched for a
 * newline), so a codec instance belongs to one {@code Framed}. If one task reads while another
 * writes, {@code decode} and {@code encode} run concurrently, so they must not share mutable state;
 * the codecs in this package keep all their state on the decoding side.
 *
 * <h2>Example</h2>
 * {@snippet :
 * // Frames are single bytes; each is sent as itself.
 * final class ByteCodec implements Codec<Byte> {
 *     @Override public Byte decode(ByteBuffer src) {
 *         return src.hasRemaining() ? src.get() : null;
 *     }
 *     @Override public void encode(Byte b, ByteArrayOutputStream dst) {
 *         dst.write(b);
 *     }
 * }
 * var framed = new Framed<>(channel, new ByteCodec());
 * }
 *
 * @param <T> the frame type
 */
public interface Codec<T> {
    /**
     * Decodes one frame from the bytes between {@code src}'s position and limit, or returns
     * {@code null} if they do not yet hold a whole frame.
     *
     * <p>On success the position is just past the frame's bytes. The codec may read (and consume)
     * bytes it has to see, but must not touch bytes before the position nor change the limit.
     *
     * <h4>Example</h4>
     * {@snippet :
     * // a 2-byte big-endian length, then that many bytes
     * public byte[] decode(ByteBuffer src) {
     *     if (src.remaining() < 2) return null;
     *     int len = src.getShort(src.position()) & 0xFFFF;
     *     if (src.remaining() < 2 + len) return null;
     *     byte[] frame = new byte[len];
     *     src.position(src.position() + 2).get(frame);
     *     return frame;
     * }
     * }
     *
     * @param src the bytes read and not yet consumed, in read mode
     * @return a frame, or {@code null} if more bytes are needed
     * @throws IOException if the bytes are not a valid frame (such as {@link FrameTooLongException});
     *     whether decoding can go on afterwards is up to the codec
     */
    T decode(ByteBuffer src) throws IOException;

    /**
     * Decodes a frame after the stream has ended: called repeatedly until it returns {@code null}.
     *
     * <p>The default calls {@link #decode(ByteBuffer)}, and if that needs more bytes while some are
     * left, throws {@link EOFException}: the stream ended in the middle of a frame. A codec whose last
     * frame may end at end of stream ({@link LinesCodec}'s last line without a newline) overrides it.
     *
     * <h4>Example</h4>
     * {@snippet :
     * @Override public String decodeEof(ByteBuffer src) throws IOException {
     *     String s = decode(src);
     *     if (s == null && src.hasRemaining()) {           // the unterminated tail is a frame too
     *         s = StandardCharsets.UTF_8.decode(src).toString();
     *     }
     *     return s;
     * }
     * }
     *
     * @param src the bytes left, in read mode
     * @return a frame, or {@code null} if there are no more
     * @throws EOFException if bytes of an incomplete frame are left
     * @throws IOException if the bytes are not a valid frame
     */
    default T decodeEof(ByteBuffer src) throws IOException {
        T frame = decode(src);
        if (frame == null && src.hasRemaining()) {
            throw new EOFException("stream ended in the middle of a frame: " + src.remaining()
                + " bytes left that " + getClass().getSimpleName() + " could not decode");
        }
        return frame;
    }

    /**
     * Appends the bytes of one frame to {@code dst}.
     *
     * <p>Only append: the stream may already hold earlier frames that are not written yet.
     *
     * <h4>Example</h4>
     * {@snippet :
     * public void encode(byte[] frame, ByteArrayOutputStream dst) {
     *     dst.write(frame.length >>> 8);
     *     dst.write(frame.length);
     *     dst.writeBytes(frame);
     * }
     * }
     *
     * @param frame the frame
     * @param dst where its bytes go
     * @throws IOException if the frame cannot be encoded (such as {@link FrameTooLongException})
     */
    void encode(T frame, ByteArrayOutputStream dst) throws IOException;

    /**
     * {@return the most bytes {@link #decode(ByteBuffer)} ever needs buffered to make progress}
     *
     * <p>{@link Framed} never grows its read buffer beyond this plus one read's worth (8 KiB); if
     * the buffer is that full and {@code decode} still wants more, {@code readFrame} throws
     * {@link FrameTooLongException}. The codecs in this package return their frame limit plus their
     * framing overhead, and report a frame over the limit themselves, as soon as they see it. The
     * default, {@link Integer#MAX_VALUE}, means no bound: then the codec alone stands between a peer
     * and unbounded memory.
     *
     * {@snippet :
     * @Override public int maxBufferedBytes() {
     *     return 2 + 65_535; // the header and the largest body
     * }
     * }
     */
    default int maxBufferedBytes() {
        return Integer.MAX_VALUE;
    }
}
