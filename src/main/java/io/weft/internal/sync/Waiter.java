package io.weft.internal.sync;

/**
 * A node in one source's wait list: which {@link Parker} to claim, plus what the waiter asked for.
 *
 * <p>Links are guarded by the owning {@link WaitList}'s lock. {@code need} and {@code got} let a
 * source hand over a quantity (semaphore permits) when it claims the waiter; {@code value} carries an
 * object (a handed-over element), written before the claim and read after it.
 */
public class Waiter {
    /** The parker this waiter claims. */
    public final Parker parker;
    /** What the waiter asks for (permits, or a kind flag); set before it is queued. */
    public int need;
    /** What a source handed over when it claimed the waiter; written before the claim. */
    public int got;
    /** An object handed over with the claim, or a per-primitive tag. */
    public Object value;

    /** Set by a Select when the arm this waiter belongs to used what its claim handed over. */
    public boolean consumed;

    Waiter prev;
    Waiter next;
    WaitList list;

    /**
     * Creates a waiter.
     *
     * @param parker the parker it claims
     */
    public Waiter(Parker parker) {
        this.parker = parker;
    }

    /** {@return true while linked in a wait list} */
    public boolean isQueued() {
        return list != null;
    }

    /**
     * Claims this waiter's parker.
     *
     * @return true if this call woke it
     */
    public boolean claim() {
        return parker.claim(this);
    }
}
