package io.weft.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Lines of UTF-8 text, each ended by {@code \n} or {@code \r\n}, with a maximum length
 * [Tokio: {@code tokio_util::codec::LinesCodec}].
 *
 * <p>Decoded lines do not include their terminator: {@code "a\r\nb\n"} decodes to {@code "a"} and
 * {@code "b"}. A lone {@code \r} elsewhere in a line is kept. At end of stream, the bytes after the
 * last newline, if any, are the last line. Encoding appends {@code \n}; it does not check the line
 * for newlines or for length (the peer's limit may differ from ours).
 *
 * <p><b>Over-long lines.</b> The limit is {@code maxLength} bytes of UTF-8 per line, not counting
 * the terminator. As soon as more than that has arrived without a newline, decoding throws
 * {@link FrameTooLongException} (with no more than {@code maxLength + 2} bytes of the line ever
 * buffered) and then, as Tokio's codec does, <em>discards the rest of that line</em>: the next
 * {@code decode} drops bytes up to and including the next newline and goes on with the line after
 * it. So a {@link Framed} reader can report the error, call {@code readFrame()} again, and carry on;
 * or give up and close. A line that is not valid UTF-8 throws
 * {@link java.nio.charset.MalformedInputException} and is skipped likewise.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var lines = new Framed<>(stream, new LinesCodec(8 * 1024));
 * String line;
 * while ((line = lines.readFrame()) != null) {
 *     lines.writeFrame("echo: " + line);
 * }
 * }
 *
 * <p>A codec keeps decoding state: give each {@code Framed} its own instance.
 */
public final class LinesCodec implements Codec<String> {
    /*
     * Implementation overview
     *
     * decode searches the unconsumed bytes for '\n', but only within the first maxLength + 2 of them
     * (content, optional '\r', '\n'): a newline beyond that window would end an over-long line anyway.
     * nextIndex remembers how far (relative to the buffer's position) the search already went and
     * found nothing, so a long line arriving in small reads is scanned once, not once per read
     * (Tokio's next_index). Framed only ever appends behind the unconsumed bytes, so the offset stays
     * valid until decode consumes something, which resets it.
     *
     * When the window is full and holds no newline, the line is too long: the window is consumed,
     * discarding is set, and FrameTooLongException thrown. While discarding, decode consumes
     * everything up to and including the next newline, then decodes normally again.
     *
     * Only decode touches the state fields; encode is stateless, so one task may read while another
     * writes.
     */

    private final int maxLength;
    /** Bytes after the position already searched for a newline, without finding one. Decode side only. */
    private int nextIndex;
    /** True while skipping the rest of an over-long line. Decode side only. */
    private boolean discarding;
    /** Strict UTF-8: malformed input is an error, as in Tokio. Decode side only. */
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);

    /**
     * Creates a codec for lines of at most {@code maxLength} bytes.
     *
     * {@snippet :
     * var codec = new LinesCodec(1024); // lines up to 1 KiB of UTF-8
     * }
     *
     * @param maxLength the most bytes of UTF-8 a line may have, not counting its terminator
     * @throws IllegalArgumentException if {@code maxLength} is negative
     */
    public LinesCodec(int maxLength) {
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0, got " + maxLength);
        }
        this.maxLength = maxLength;
    }

    /**
     * {@return the most bytes a line may have, not counting its terminator}
     *
     * {@snippet :
     * int max = codec.maxLength();
     * }
     */
    public int maxLength() {
        return maxLength;
    }

    /**
     * Decodes the next line, or returns {@code null} if no newline has arrived yet.
     *
     * {@snippet :
     * var codec = new LinesCodec(80);
     * var buf = ByteBuffer.wrap("hi\r\nthere".getBytes(StandardCharsets.UTF_8));
     * codec.decode(buf); // "hi"
     * codec.decode(buf); // null: "there" has no newline yet
     * }
     *
     * @param src the bytes read and not yet consumed
     * @return the line without its terminator, or {@code null}
     * @throws FrameTooLongException if more than {@code maxLength} bytes arrived without a newline
     *     (the rest of that line is then skipped)
     * @throws CharacterCodingException if the line is not valid UTF-8 (it is skipped)
     */
    @Override
    public String decode(ByteBuffer src) throws IOException {
        for (;;) {
            final int pos = src.position();
            final int lim = src.limit();
            if (discarding) {
                int nl = indexOfNewline(src, Math.min(pos + nextIndex, lim), lim);
                if (nl < 0) {
                    src.position(lim);
                    nextIndex = 0;
                    return null;
                }
                src.position(nl + 1);
                nextIndex = 0;
                discarding = false;
                continue;
            }
            // A newline at index pos + maxLength + 1 can still end a line of maxLength bytes plus '\r'.
            final int windowEnd = (int) Math.min(lim, (long) pos + maxLength + 2);
            int nl = indexOfNewline(src, Math.min(pos + nextIndex, windowEnd), windowEnd);
            if (nl >= 0) {
                int end = nl > pos && src.get(nl - 1) == '\r' ? nl - 1 : nl;
                src.position(nl + 1);
                nextIndex = 0;
                if (end - pos > maxLength) { // the newline came right after maxLength + 1 bytes
                    throw tooLong();
                }
                return utf8(src, pos, end - pos);
            }
            if ((long) windowEnd - pos == (long) maxLength + 2) {
                src.position(windowEnd); // bytes after the window may hold the newline: discarding looks there
                nextIndex = 0;
                discarding = true;
                throw tooLong();
            }
            nextIndex = windowEnd - pos;
            return null;
        }
    }

    /**
     * Decodes a line at end of stream: the next line, or the bytes after the last newline as the last
     * line, or {@code null} when there is nothing left.
     *
     * {@snippet :
     * var buf = ByteBuffer.wrap("last".getBytes(StandardCharsets.UTF_8));
     * new LinesCodec(80).decodeEof(buf); // "last"
     * }
     *
     * @param src the bytes left
     * @return a line, or {@code null}
     * @throws FrameTooLongException if the last line is over the limit
     * @throws CharacterCodingException if the last line is not valid UTF-8
     */
    @Override
    public String decodeEof(ByteBuffer src) throws IOException {
        String line = decode(src);
        if (line != null) {
            return line;
        }
        discarding = false; // decode consumed everything it was discarding
        final int pos = src.position();
        final int lim = src.limit();
        if (pos == lim) {
            return null;
        }
        int end = src.get(lim - 1) == '\r' ? lim - 1 : lim;
        src.position(lim);
        nextIndex = 0;
        if (end - pos > maxLength) {
            throw tooLong();
        }
        return utf8(src, pos, end - pos);
    }

    /**
     * Appends {@code line} as UTF-8, then {@code \n}.
     *
     * {@snippet :
     * var out = new ByteArrayOutputStream();
     * new LinesCodec(80).encode("hello", out); // out holds "hello\n"
     * }
     *
     * @param line the line; it should not contain a newline
     * @param dst where the bytes go
     */
    @Override
    public void encode(String line, ByteArrayOutputStream dst) {
        dst.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        dst.write('\n');
    }

    /**
     * {@return {@code maxLength + 2}: a line of the maximum length with its {@code \r\n}}
     *
     * {@snippet :
     * int bound = new LinesCodec(100).maxBufferedBytes(); // 102
     * }
     */
    @Override
    public int maxBufferedBytes() {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxLength + 2);
    }

    /**
     * {@return a description with the limit}
     *
     * {@snippet :
     * System.out.println(new LinesCodec(80)); // LinesCodec[maxLength=80]
     * }
     */
    @Override
    public String toString() {
        return "LinesCodec[maxLength=" + maxLength + "]";
    }

    private FrameTooLongException tooLong() {
        return new FrameTooLongException(
            "line longer than " + maxLength + " bytes (LinesCodec maxLength); the rest of it is skipped",
            maxLength, -1);
    }

    private String utf8(ByteBuffer src, int from, int length) throws CharacterCodingException {
        return utf8.decode(src.slice(from, length)).toString(); // decode(ByteBuffer) resets the decoder
    }

    private static int indexOfNewline(ByteBuffer src, int from, int to) {
        if (src.hasArray()) {
            final byte[] a = src.array();
            final int off = src.arrayOffset();
            for (int i = from; i < to; i++) {
                if (a[off + i] == '\n') {
                    return i;
                }
            }
            return -1;
        }
        for (int i = from; i < to; i++) {
            if (src.get(i) == '\n') {
                return i;
            }
        }
        return -1;
    }
}
