package io.weft.internal.scheduler;

/**
 * Cooperative budgeting, as Tokio's {@code task::coop}: a task that keeps completing Weft calls without
 * ever parking (a receive loop over a full channel, a select whose channel has ended) yields after
 * {@link #BUDGET} of them, so the tasks it woke, which wait in its carrier's LIFO slot, and the rest of
 * the queue get to run.
 *
 * <p>The budget lives in the carrier and is reset each time the carrier resumes a continuation, so it
 * costs a carrier lookup (an intrinsic) and a decrement per call. On the JDK default scheduler it does
 * nothing: the JDK has no LIFO slot to starve.
 */
public final class Coop {
    private Coop() {}

    /** Weft calls a task may complete per carrier poll before it is made to yield (Tokio's 128). */
    public static final int BUDGET = 128;

    /**
     * Yields so that work waiting in the inject queue (wake-ups from outside the carriers) runs before
     * the caller resumes; a plain yield elsewhere. Used by {@code Time.advance}, whose wake-ups come
     * from the timer thread, so a test sees the woken tasks run before advance returns, as in Tokio.
     */
    public static void yieldBehindInjected() {
        Thread t = Thread.currentThread();
        if (t.isVirtual() && VirtualThreads.currentCarrier() instanceof Carrier c && c.scheduler.hasInjected()) {
            c.yieldBehindInject = true;
        }
        Thread.yield();
    }

    /** Spends one unit of the current task's budget; yields when it runs out and other work is queued. */
    public static void proceed() {
        Thread t = Thread.currentThread();
        if (t.isVirtual() && VirtualThreads.currentCarrier() instanceof Carrier c && c.spendBudget()) {
            Thread.yield();
        }
    }
}
