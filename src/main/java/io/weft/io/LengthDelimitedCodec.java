package io.weft.io;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Frames prefixed with their length: by default a 4-byte big-endian unsigned length, then that many
 * bytes [Tokio: {@code tokio_util::codec::LengthDelimitedCodec}].
 *
 * <p>Frames are {@code byte[]}, without the header. The length field counts the body only. The
 * {@linkplain #builder() builder} sets the length field's size (1 to 8 bytes) and byte order.
 *
 * <p><b>Over-long frames.</b> A length above {@link #maxFrameLength()} is rejected as soon as the
 * header has arrived, before anything is allocated for the body: decoding throws
 * {@link FrameTooLongException} with the announced length. The codec then <em>skips that frame's
 * body</em> as it arrives, without buffering it, and the next {@code decode} returns the frame after
 * it; a reader that does not want to wait for the body to go by closes the stream instead. Encoding
 * a frame over the limit throws {@code FrameTooLongException} and writes nothing.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var framed = new Framed<>(stream, new LengthDelimitedCodec(1 << 20)); // frames up to 1 MiB
 * framed.writeFrame("ping".getBytes(StandardCharsets.UTF_8));
 * byte[] reply = framed.readFrame();
 * }
 *
 * <p>A codec keeps decoding state: give each {@code Framed} its own instance.
 */
public final class LengthDelimitedCodec implements Codec<byte[]> {
    /*
     * Implementation overview
     *
     * decode is a two-state machine, as Tokio's is: Head (need lengthFieldLength bytes; parse the
     * length, check it against the limit, consume the header) then Data (need `pending` bytes; copy
     * them out as the frame and go back to Head). Consuming the header early means the bytes the codec
     * leaves buffered are never more than the body, so maxBufferedBytes is the limit plus a header.
     * A rejected frame puts the codec in a third state, skipping `skipping` more body bytes as they
     * come. Only decode touches the state; encode is stateless.
     */

    /** Tokio's default limit: 8 MiB. */
    static final int DEFAULT_MAX_FRAME_LENGTH = 8 * 1024 * 1024;

    private final int maxFrameLength;
    private final int lengthFieldLength;
    private final ByteOrder byteOrder;
    /** The body length of the frame whose header was consumed, or -1 while waiting for a header. Decode side only. */
    private long pending = -1;
    /** Body bytes of a rejected frame still to skip. Decode side only. */
    private long skipping;

    /**
     * Creates a codec with a 4-byte big-endian length and the given limit.
     *
     * {@snippet :
     * var codec = new LengthDelimitedCodec(64 * 1024);
     * }
     *
     * @param maxFrameLength the largest body a frame may have, in bytes
     * @throws IllegalArgumentException if {@code maxFrameLength} is negative
     */
    public LengthDelimitedCodec(int maxFrameLength) {
        this(maxFrameLength, 4, ByteOrder.BIG_ENDIAN);
    }

    private LengthDelimitedCodec(int maxFrameLength, int lengthFieldLength, ByteOrder byteOrder) {
        if (maxFrameLength < 0) {
            throw new IllegalArgumentException("maxFrameLength must be >= 0, got " + maxFrameLength);
        }
        this.lengthFieldLength = lengthFieldLength;
        this.byteOrder = byteOrder;
        // The limit is also what the length field can express.
        long fieldMax = lengthFieldLength >= 8 ? Long.MAX_VALUE : (1L << (8 * lengthFieldLength)) - 1;
        this.maxFrameLength = (int) Math.min(maxFrameLength, fieldMax);
    }

    /**
     * {@return a builder, starting from a 4-byte big-endian length and an 8 MiB limit}
     *
     * {@snippet :
     * var codec = LengthDelimitedCodec.builder()
     *     .lengthFieldLength(2)
     *     .byteOrder(ByteOrder.LITTLE_ENDIAN)
     *     .maxFrameLength(4096)
     *     .build();
     * }
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return the largest body a frame may have: the configured limit, or what the length field can
     * express if that is less}
     *
     * {@snippet :
     * LengthDelimitedCodec.builder().lengthFieldLength(1).build().maxFrameLength(); // 255
     * }
     */
    public int maxFrameLength() {
        return maxFrameLength;
    }

    /**
     * {@return the size of the length field, in bytes}
     *
     * {@snippet :
     * new LengthDelimitedCodec(100).lengthFieldLength(); // 4
     * }
     */
    public int lengthFieldLength() {
        return lengthFieldLength;
    }

    /**
     * {@return the byte order of the length field}
     *
     * {@snippet :
     * new LengthDelimitedCodec(100).byteOrder(); // BIG_ENDIAN
     * }
     */
    public ByteOrder byteOrder() {
        return byteOrder;
    }

    /**
     * Decodes the next frame's body, or returns {@code null} if it has not fully arrived.
     *
     * {@snippet :
     * var buf = ByteBuffer.wrap(new byte[] {0, 0, 0, 2, 'h', 'i'});
     * byte[] frame = new LengthDelimitedCodec(100).decode(buf); // "hi"
     * }
     *
     * @param src the bytes read and not yet consumed
     * @return the frame's body, or {@code null}
     * @throws FrameTooLongException if a header announces more than {@link #maxFrameLength()} bytes
     *     (that frame's body is then skipped)
     */
    @Override
    public byte[] decode(ByteBuffer src) throws IOException {
        if (skipping > 0) {
            int n = (int) Math.min(src.remaining(), skipping);
            src.position(src.position() + n);
            skipping -= n;
            if (skipping > 0) {
                return null;
            }
        }
        if (pending < 0) {
            if (src.remaining() < lengthFieldLength) {
                return null;
            }
            long length = readLength(src);
            if (length < 0 || length > maxFrameLength) { // < 0: an 8-byte length above Long.MAX_VALUE
                long toSkip = length < 0 ? Long.MAX_VALUE : length;
                int now = (int) Math.min(src.remaining(), toSkip);
                src.position(src.position() + now);
                skipping = toSkip - now;
                throw new FrameTooLongException("frame of " + Long.toUnsignedString(length)
                    + " bytes announced, over the limit of " + maxFrameLength
                    + " bytes (LengthDelimitedCodec maxFrameLength); its body is skipped", maxFrameLength, length);
            }
            pending = length;
        }
        if (src.remaining() < pending) {
            return null;
        }
        byte[] frame = new byte[(int) pending];
        src.get(frame);
        pending = -1;
        return frame;
    }

    /**
     * Decodes a frame at end of stream; a partial header or body left over is an error.
     *
     * {@snippet :
     * var buf = ByteBuffer.wrap(new byte[] {0, 0, 0, 9, 'h', 'i'});
     * new LengthDelimitedCodec(100).decodeEof(buf); // throws EOFException: 7 bytes missing
     * }
     *
     * @param src the bytes left
     * @return a frame, or {@code null} at a clean end
     * @throws EOFException if the stream ended inside a header or a body
     * @throws FrameTooLongException if a header announces more than the limit
     */
    @Override
    public byte[] decodeEof(ByteBuffer src) throws IOException {
        byte[] frame = decode(src);
        if (frame != null) {
            return frame;
        }
        if (pending >= 0) {
            long missing = pending - src.remaining();
            pending = -1;
            src.position(src.limit());
            throw new EOFException("stream ended in the middle of a frame: " + missing + " of its bytes are missing");
        }
        if (skipping > 0) {
            skipping = 0;
            throw new EOFException("stream ended in the middle of the body of a frame that was over the limit");
        }
        if (src.hasRemaining()) {
            int left = src.remaining();
            src.position(src.limit());
            throw new EOFException("stream ended in the middle of a frame header: " + left + " of its "
                + lengthFieldLength + " bytes arrived");
        }
        return null;
    }

    /**
     * Appends the length field, then {@code frame}.
     *
     * {@snippet :
     * var out = new ByteArrayOutputStream();
     * new LengthDelimitedCodec(100).encode(new byte[] {'h', 'i'}, out); // 0 0 0 2 'h' 'i'
     * }
     *
     * @param frame the body
     * @param dst where the bytes go
     * @throws FrameTooLongException if the frame is longer than {@link #maxFrameLength()} (nothing is written)
     */
    @Override
    public void encode(byte[] frame, ByteArrayOutputStream dst) throws FrameTooLongException {
        final int length = frame.length;
        if (length > maxFrameLength) {
            throw new FrameTooLongException("frame of " + length + " bytes is over the limit of " + maxFrameLength
                + " bytes (LengthDelimitedCodec maxFrameLength); not sent", maxFrameLength, length);
        }
        for (int i = 0; i < lengthFieldLength; i++) {
            int shift = byteOrder == ByteOrder.BIG_ENDIAN ? 8 * (lengthFieldLength - 1 - i) : 8 * i;
            dst.write(shift >= 32 ? 0 : length >>> shift);
        }
        dst.writeBytes(frame);
    }

    /**
     * {@return the length field plus {@link #maxFrameLength()}}
     *
     * {@snippet :
     * new LengthDelimitedCodec(100).maxBufferedBytes(); // 104
     * }
     */
    @Override
    public int maxBufferedBytes() {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxFrameLength + lengthFieldLength);
    }

    /**
     * {@return a description with the configuration}
     *
     * {@snippet :
     * System.out.println(new LengthDelimitedCodec(100));
     * // LengthDelimitedCodec[lengthFieldLength=4, byteOrder=BIG_ENDIAN, maxFrameLength=100]
     * }
     */
    @Override
    public String toString() {
        return "LengthDelimitedCodec[lengthFieldLength=" + lengthFieldLength + ", byteOrder=" + byteOrder
            + ", maxFrameLength=" + maxFrameLength + "]";
    }

    /** Reads and consumes the length field as an unsigned number (negative if an 8-byte one overflows). */
    private long readLength(ByteBuffer src) {
        long v = 0;
        final int pos = src.position();
        for (int i = 0; i < lengthFieldLength; i++) {
            long b = src.get(pos + i) & 0xFFL;
            v |= byteOrder == ByteOrder.BIG_ENDIAN ? b << (8 * (lengthFieldLength - 1 - i)) : b << (8 * i);
        }
        src.position(pos + lengthFieldLength);
        return v;
    }

    /**
     * Configures a {@link LengthDelimitedCodec} [Tokio: {@code length_delimited::Builder}].
     *
     * <h2>Example</h2>
     * {@snippet :
     * var codec = LengthDelimitedCodec.builder().lengthFieldLength(2).maxFrameLength(1000).build();
     * }
     */
    public static final class Builder {
        private int maxFrameLength = DEFAULT_MAX_FRAME_LENGTH;
        private int lengthFieldLength = 4;
        private ByteOrder byteOrder = ByteOrder.BIG_ENDIAN;

        Builder() {}

        /**
         * Sets the largest body a frame may have (default 8 MiB).
         *
         * {@snippet :
         * LengthDelimitedCodec.builder().maxFrameLength(64 * 1024);
         * }
         *
         * @param maxFrameLength the limit in bytes
         * @return this builder
         * @throws IllegalArgumentException if it is negative
         */
        public Builder maxFrameLength(int maxFrameLength) {
            if (maxFrameLength < 0) {
                throw new IllegalArgumentException("maxFrameLength must be >= 0, got " + maxFrameLength);
            }
            this.maxFrameLength = maxFrameLength;
            return this;
        }

        /**
         * Sets the size of the length field (default 4). With fewer than 4 bytes the limit is also
         * capped at what the field can express (255 for 1 byte, 65,535 for 2, 16,777,215 for 3).
         *
         * {@snippet :
         * LengthDelimitedCodec.builder().lengthFieldLength(2);
         * }
         *
         * @param bytes 1 to 8
         * @return this builder
         * @throws IllegalArgumentException if it is not between 1 and 8
         */
        public Builder lengthFieldLength(int bytes) {
            if (bytes < 1 || bytes > 8) {
                throw new IllegalArgumentException("lengthFieldLength must be between 1 and 8, got " + bytes);
            }
            this.lengthFieldLength = bytes;
            return this;
        }

        /**
         * Sets the byte order of the length field (default big-endian, network order).
         *
         * {@snippet :
         * LengthDelimitedCodec.builder().byteOrder(ByteOrder.LITTLE_ENDIAN);
         * }
         *
         * @param order the byte order
         * @return this builder
         */
        public Builder byteOrder(ByteOrder order) {
            this.byteOrder = Objects.requireNonNull(order, "order");
            return this;
        }

        /**
         * {@return a new codec with this configuration}
         *
         * {@snippet :
         * var codec = LengthDelimitedCodec.builder().build(); // the defaults
         * }
         */
        public LengthDelimitedCodec build() {
            return new LengthDelimitedCodec(maxFrameLength, lengthFieldLength, byteOrder);
        }
    }
}
