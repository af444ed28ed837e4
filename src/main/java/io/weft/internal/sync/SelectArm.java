package io.weft.internal.sync;

/**
 * One arm of a {@code Select}, as a source implements it. Called only by the selecting thread.
 *
 * <pre>
 * Protocol (try / register / re-check / park, on one shared {@link Parker}):
 *   1. poll(null)                       try to complete without waiting
 *   2. register(w) for every arm         each source will claim the shared parker through w when ready
 *   3. poll(null) again                  re-check: an event between 1 and 2 is not missed
 *   4. park; the first source to claim wins the wake-up
 *   5. deregister(w) for every arm       (the claimed waiter is already out of its list)
 *   6. poll(claimed) in arm order        an arm whose own waiter was claimed may use what it was
 *                                        handed (a notify_one notification); others re-check state
 *   7. forward(w) for a claimed waiter whose arm did not win: hands the token to the next waiter,
 *      so a losing arm loses nothing
 * </pre>
 * Sources never hand over a message on claim: a channel arm takes its message in poll(), on the
 * selecting thread, only if it wins. That is what makes Select cancel-safe.
 */
public interface SelectArm {
    /**
     * Tries to complete without parking.
     *
     * @param claimed this arm's waiter if its source claimed the parker, else null
     * @return true if the arm completed (its result is kept by the arm)
     */
    boolean poll(Waiter claimed);

    /**
     * Registers {@code w} with the source.
     *
     * @param w a waiter on the select's parker
     */
    void register(Waiter w);

    /**
     * Removes {@code w} from the source if it is still queued.
     *
     * @param w the waiter
     */
    void deregister(Waiter w);

    /**
     * Hands on a token that the source gave {@code w} when it claimed it, because the arm lost.
     *
     * @param w a claimed waiter of this arm
     */
    default void forward(Waiter w) {}
}
