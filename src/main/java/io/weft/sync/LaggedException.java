package io.weft.sync;

import java.io.Serial;

/**
 * A broadcast receiver fell so far behind that values it had not seen were overwritten.
 *
 * <p>The receiver resumes at the oldest value still kept: the next {@code recv()} returns it.
 *
 * <h2>Example</h2>
 * {@snippet :
 * while (true) {
 *     try {
 *         var v = rx.recv();
 *         if (v == null) break;
 *         handle(v);
 *     } catch (LaggedException e) {
 *         System.out.println("skipped " + e.skipped() + " values");
 *     }
 * }
 * }
 */
public class LaggedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** How many values the receiver missed. */
    private final long skipped;

    /**
     * Creates the exception.
     *
     * @param skipped how many values the receiver missed
     */
    public LaggedException(long skipped) {
        super("receiver lagged: " + skipped + " values skipped");
        this.skipped = skipped;
    }

    /** {@return how many values the receiver missed} */
    public long skipped() {
        return skipped;
    }
}
