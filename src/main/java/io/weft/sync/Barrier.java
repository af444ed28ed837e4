package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;

/**
 * Lets a fixed number of tasks wait for each other, round after round [Tokio: {@code sync::Barrier}].
 *
 * <p>A barrier for {@code n} parties parks the first {@code n - 1} callers of {@link #await()} and
 * releases all of them when the {@code n}-th arrives; that last arrival does not park and is the
 * round's <em>leader</em> ({@link WaitResult#isLeader()}), so exactly one party per round can do the
 * round's single piece of work. The barrier then starts a new round (a <em>generation</em>) and can be
 * used again at once.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var barrier = new Barrier(3);
 * try (var set = new JoinSet<Boolean>()) {
 *     for (int i = 0; i < 3; i++) {
 *         set.spawn(() -> {
 *             loadShard();
 *             return barrier.await().isLeader();   // all three shards are loaded past this line
 *         });
 *     }
 *     long leaders = set.joinAll().stream().filter(b -> b).count(); // 1
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * An arrival cannot be taken back, as in Tokio. A task aborted while parked in {@code await()} throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status), but it still counts as
 * arrived in its generation: the remaining parties are released as soon as they have all arrived,
 * exactly as if the aborted task were still waiting, so no party is left parked on a round that can no
 * longer complete, and the next generation starts empty and whole. The cost is the other way round:
 * a task that replaces the aborted one and arrives in the same generation completes it one arrival
 * early. A task that is already aborted when it calls {@code await()} throws at once without
 * arriving.
 *
 * <p>(Java's {@link java.util.concurrent.CyclicBarrier} instead <em>breaks</em> the barrier for
 * everybody when one waiter is interrupted. Weft keeps Tokio's rule: a cancelled party is treated as
 * one that reached the barrier, and the rest carry on.)
 *
 * <h2>Memory consistency effects</h2>
 * Actions in each party before its {@code await()} happen-before the actions after
 * {@code await()} returns in every party of the same generation.
 */
public final class Barrier {
    /*
     * Implementation overview
     *
     * Algorithm: arrived and generation under this monitor. await(): arrived += 1; if it reaches n,
     *   the caller is the leader: reset arrived, bump generation, claim every waiter (they are all of
     *   this generation, since a new one cannot start before this claim) and return. Otherwise queue
     *   a waiter and park; a claimed waiter returns as a follower.
     * Cancellation: a waiter that gives up (interrupt) cancels its Parker and removes itself from the
     *   list, but does not decrement arrived (Tokio's rule; see the class comment). If its Parker
     *   had already been claimed, its generation is over anyway. Either way it throws
     *   CancelledException.
     * Memory ordering: arrivals are serialised by the monitor, so each arrival happens-before the
     *   leader's; the leader's claim of each waiter (Parker CAS) happens-before that waiter's return.
     * Progress: blocking; the monitor is held for a few field writes and the claims (wait-free
     *   unparks), never while parked.
     */
    private final int parties;
    private final WaitList waiters = new WaitList();
    /** Guarded by this. */
    private int arrived;
    /** Guarded by this. */
    private long generation;

    /**
     * Creates a barrier for {@code n} parties.
     *
     * {@snippet :
     * var barrier = new Barrier(4);
     * }
     *
     * @param n the number of parties per generation, at least 1 (a barrier of 1 never parks and
     *     makes every caller the leader)
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Barrier(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a barrier needs at least 1 party: " + n);
        }
        this.parties = n;
    }

    /**
     * The outcome of one {@link Barrier#await()} [Tokio: {@code BarrierWaitResult}].
     *
     * <h2>Example</h2>
     * {@snippet :
     * if (barrier.await().isLeader()) {
     *     System.out.println("everyone is here");
     * }
     * }
     *
     * <h2>Cancellation</h2>
     * A result is a value; it does not park.
     *
     * <h2>Memory consistency effects</h2>
     * None beyond those of {@link Barrier#await()}.
     */
    public static final class WaitResult {
        private static final WaitResult LEADER = new WaitResult(true);
        private static final WaitResult FOLLOWER = new WaitResult(false);

        private final boolean leader;

        private WaitResult(boolean leader) {
            this.leader = leader;
        }

        /**
         * {@return true for exactly one party per generation: the one whose arrival completed it}
         *
         * {@snippet :
         * boolean lead = barrier.await().isLeader();
         * }
         */
        public boolean isLeader() {
            return leader;
        }

        @Override
        public String toString() {
            return leader ? "WaitResult[leader]" : "WaitResult[follower]";
        }
    }

    /**
     * Arrives at the barrier and parks until all {@code n} parties of this generation have arrived.
     *
     * {@snippet :
     * compute(part);
     * var r = barrier.await();
     * if (r.isLeader()) merge();
     * }
     *
     * @return whether the caller is this generation's leader
     * @throws io.weft.task.CancelledException if the calling task is aborted before arriving (it does
     *     not arrive) or while parked (it stays arrived); the interrupt status is kept
     */
    public WaitResult await() {
        Waits.checkCancelled("Barrier.await");
        Waiter w = null;
        synchronized (this) {
            if (++arrived == parties) {
                arrived = 0;
                generation++;
                waiters.claimAll(); // everyone queued belongs to the generation that ends here
            } else {
                w = new Waiter(new Parker());
                waiters.addLast(w);
            }
        }
        if (w == null) {
            Coop.proceed(); // the leader did not park: spend budget (outside the monitor: it may yield)
            return WaitResult.LEADER;
        }
        if (w.parker.await(0) == w) {
            return WaitResult.FOLLOWER;
        }
        if (w.parker.cancel() == null) {
            synchronized (this) {
                waiters.remove(w); // arrived stays counted: an arrival cannot be taken back
            }
        }
        // Claimed or not, the task was aborted: it reports so (its generation may already be over).
        throw Waits.cancelled("Barrier.await");
    }

    /**
     * {@return the number of parties per generation}
     *
     * {@snippet :
     * int n = barrier.parties();
     * }
     */
    public int parties() {
        return parties;
    }

    /**
     * {@return how many parties have arrived in the current generation (a snapshot)}
     *
     * {@snippet :
     * System.out.println(barrier.arrived() + " of " + barrier.parties() + " here");
     * }
     */
    public synchronized int arrived() {
        return arrived;
    }

    /** {@return generations completed so far; for tests} */
    synchronized long generation() {
        return generation;
    }

    /** {@return tasks parked now; for tests} */
    synchronized int waiterCount() {
        return waiters.size();
    }

    @Override
    public synchronized String toString() {
        return "Barrier[parties=" + parties + ", arrived=" + arrived + ", generation=" + generation + "]";
    }
}
