package io.weft.io;

import java.io.IOException;
import java.io.Serial;

/**
 * A frame is longer than its codec allows: the peer announced or sent more than the limit, or a frame
 * to be sent is over it [Tokio: {@code LinesCodecError::MaxLineLengthExceeded},
 * {@code LengthDelimitedCodecError}].
 *
 * <p>The check is made before the frame is buffered: a codec reports it as soon as it sees the length
 * header, or as soon as more than the limit has arrived without a delimiter, so memory stays bounded.
 * What happens next depends on the codec: {@link LinesCodec} and {@link LengthDelimitedCodec} skip the
 * rest of the offending frame, and the next {@link Framed#readFrame()} returns the frame after it.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try {
 *     String line = framed.readFrame();
 * } catch (FrameTooLongException e) {
 *     log("peer sent a line over " + e.limit() + " bytes; skipped");
 * }
 * }
 */
public class FrameTooLongException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The limit in bytes. */
    private final long limit;
    /** The frame's length in bytes if known, else -1. */
    private final long length;

    /**
     * Creates the exception.
     *
     * @param message what was too long, and which limit applies
     * @param limit the limit, in bytes
     * @param length the frame's length in bytes, or {@code -1} if it is not known (a line still
     *     without its newline)
     */
    public FrameTooLongException(String message, long limit, long length) {
        super(message);
        this.limit = limit;
        this.length = length;
    }

    /**
     * {@return the limit that was exceeded, in bytes}
     *
     * {@snippet :
     * long max = e.limit();
     * }
     */
    public long limit() {
        return limit;
    }

    /**
     * {@return the frame's length in bytes, or -1 if it was not known} A line is rejected once more
     * than the limit has arrived without its newline, so its length is never known.
     *
     * {@snippet :
     * if (e.length() >= 0) log("announced " + e.length() + " bytes");
     * }
     */
    public long length() {
        return length;
    }
}
