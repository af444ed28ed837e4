package io.weft.internal.scheduler;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Idle-carrier accounting: how many carriers are unparked and how many of those are searching for work.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm (after Tokio's multi_thread/idle.rs, itself after Go's "spinning" Ms):
 *   notify:   if nobody searches and somebody sleeps, wake exactly one sleeper, who starts out searching
 *   search:   a carrier out of local work may search only while 2 * searching < workers (sloppy limit)
 *   found:    the last searcher to find work wakes one more sleeper (chain ramp-up, no thundering herd)
 *   park:     push self on the sleeper stack; the last searcher to park re-checks every queue, so a
 *             submission that saw "somebody is searching" and did not notify is never lost.
 *
 * State word (state): bits 16..31 = unparked carriers, bits 0..15 = searching carriers.
 *
 * Memory ordering: every change of state is a volatile read-modify-write (sequentially consistent).
 *   A submitter publishes its task, then reads state through a full fence (notifyParked); a parking
 *   searcher decrements state, then reads the queues. Of the two, at least one sees the other's write.
 *
 * Progress: the fast path of notifyParked is one fenced read; waking and parking take a monitor that
 *   only idle-state transitions use.
 * </pre>
 */
final class Idle {
    private static final int UNPARK_SHIFT = 16;
    private static final int SEARCH_MASK = (1 << UNPARK_SHIFT) - 1;
    private static final int ONE_UNPARKED_ONE_SEARCHING = (1 << UNPARK_SHIFT) | 1;

    private final AtomicInteger state;
    private final int workers;
    private final Carrier[] carriers;
    /** Indices of parked carriers, a stack; guarded by {@code this}. */
    private final int[] sleepers;
    private int sleeperCount; // guarded by this
    /** Bumped whenever a parked carrier is woken; lets isQuiescent() see a wake-up it raced with. */
    private volatile int wakeEpoch;

    Idle(Carrier[] carriers) {
        this.carriers = carriers;
        this.workers = carriers.length;
        this.sleepers = new int[workers];
        this.state = new AtomicInteger(workers << UNPARK_SHIFT);
    }

    static int searching(int s) {
        return s & SEARCH_MASK;
    }

    static int unparked(int s) {
        return s >>> UNPARK_SHIFT;
    }

    /** {@return true if the caller may search (and is now counted as searching)} */
    boolean transitionToSearching() {
        int s = state.get();
        if (2 * searching(s) >= workers) {
            return false;
        }
        // Sloppy, as Tokio's: two carriers may both pass the check; the limit is a heuristic.
        state.getAndIncrement();
        return true;
    }

    /** {@return true if the caller was the last searcher} */
    boolean transitionFromSearching() {
        int prev = state.getAndDecrement();
        return searching(prev) == 1;
    }

    /**
     * Registers {@code c} as parked.
     *
     * @return true if {@code c} was the last searcher, so it must re-check all queues
     */
    boolean transitionToParked(Carrier c, boolean wasSearching) {
        synchronized (this) {
            int dec = wasSearching ? ONE_UNPARKED_ONE_SEARCHING : 1 << UNPARK_SHIFT;
            int prev = state.getAndAdd(-dec);
            sleepers[sleeperCount++] = c.index;
            c.sleeping = true;
            return wasSearching && searching(prev) == 1;
        }
    }

    /**
     * Wakes one parked carrier if nobody is searching. The woken carrier starts out searching.
     */
    void notifyParked() {
        // Full fence: orders the caller's queue publication before this read of state (see overview).
        // A fence is local to this core; an RMW on state (Tokio's fetch_add(0)) would pull its cache
        // line away from the other carriers on every submission.
        VarHandle.fullFence();
        notifyParkedAfterRmw();
    }

    /**
     * As {@link #notifyParked()}, for a caller whose publication was a volatile read-modify-write (a push
     * on the JCTools MPSC inject queue is a CAS on its producer index). Volatile accesses are totally
     * ordered, so that CAS already comes before the read of state below, and the carrier that parks
     * reads the producer index with a volatile load after its own RMW on state: the fence would add
     * nothing but a wait for the store buffer to drain (the element's release store, usually to a line
     * a carrier just read), which was three quarters of a remote spawn's time in a profile.
     */
    void notifyParkedAfterRmw() {
        int s = state.get();
        if (searching(s) != 0 || unparked(s) >= workers) {
            return;
        }
        wakeOne();
    }

    private void wakeOne() {
        int s;
        Carrier toWake = null;
        synchronized (this) {
            s = state.get();
            if (searching(s) == 0 && sleeperCount > 0) {
                int top = sleeperCount - 1;
                Carrier first = carriers[sleepers[top]];
                if (first.inPoller && first == Thread.currentThread()) {
                    // A carrier parked in the I/O driver, waking tasks into its own queue: it wakes
                    // itself; the notification is for a sibling.
                    if (top == 0) {
                        return;
                    }
                    int self = sleepers[top];
                    sleepers[top] = sleepers[top - 1];
                    sleepers[top - 1] = self;
                }
                state.getAndAdd(ONE_UNPARKED_ONE_SEARCHING);
                toWake = carriers[sleepers[--sleeperCount]];
                toWake.sleeping = false;
                wakeEpoch++;
            }
        }
        if (toWake != null) {
            toWake.unparkCarrier();
        }
    }

    /**
     * A parked carrier woke by itself with work in its own queue (it waited in the I/O driver, which
     * woke tasks into it): it leaves the sleeper stack, counted as unparked but not as searching
     * (Tokio's unpark_worker_by_id), since readiness is not a reason to look for more work.
     *
     * @return true if it left the stack; false if a notifier had woken it already (then it counts
     *     as searching, as every carrier a notifier wakes does)
     */
    boolean unparkSelf(Carrier c) {
        synchronized (this) {
            if (!c.sleeping) {
                return false;
            }
            for (int i = sleeperCount - 1; i >= 0; i--) {
                if (sleepers[i] == c.index) {
                    System.arraycopy(sleepers, i + 1, sleepers, i, sleeperCount - i - 1);
                    sleeperCount--;
                    break;
                }
            }
            state.getAndAdd(1 << UNPARK_SHIFT);
            c.sleeping = false;
            wakeEpoch++;
            return true;
        }
    }

    /** Wakes every parked carrier (shutdown). */
    void unparkAll() {
        Carrier[] toWake;
        synchronized (this) {
            toWake = new Carrier[sleeperCount];
            for (int i = 0; i < sleeperCount; i++) {
                toWake[i] = carriers[sleepers[i]];
                toWake[i].sleeping = false;
                state.getAndAdd(1 << UNPARK_SHIFT);
            }
            sleeperCount = 0;
            wakeEpoch++;
        }
        for (Carrier c : toWake) {
            c.unparkCarrier();
        }
    }

    int wakeEpoch() {
        return wakeEpoch;
    }

    int unparkedCount() {
        return unparked(state.get());
    }
}
