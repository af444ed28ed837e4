package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A signal that work should stop, shared by whoever may stop it and whoever should notice, and
 * organised as a tree [Tokio: {@code tokio_util::sync::CancellationToken}].
 *
 * <p>{@link #cancel()} sets the token (idempotently) and wakes every task parked in
 * {@link #cancelled()}; {@link #isCancelled()} polls. {@link #child()} makes a token that is cancelled
 * together with its parent (and all of the parent's ancestors), while cancelling the child leaves the
 * parent alone, so a server can give each request a child of its shutdown token and cancel one
 * request or all of them. {@link #runUntilCancelled(Callable)} runs work that is aborted if the
 * token is cancelled first.
 *
 * <p>Cancellation is cooperative, as in Tokio: a token does not stop anything by itself. It is the
 * signal; code that parks in {@code cancelled()} (or selects on it), or checks
 * {@code isCancelled()}, decides what stopping means.
 *
 * <p>Children cost their parent nothing once they are gone: a cancelled child is unlinked from its
 * parent at once, and the parent holds its other children only weakly, so a child that is simply
 * dropped (the Java counterpart of dropping a Tokio token) is garbage-collected and its slot reused,
 * however long the parent lives. A child with a task parked on it is held strongly until that task
 * stops waiting.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var shutdown = new CancellationToken();
 * for (var conn : connections) {
 *     var token = shutdown.child();          // one per connection
 *     Task.spawn(() -> {
 *         String line;
 *         while ((line = token.runUntilCancelled(conn::readLine)) != null) {
 *             handle(line);
 *         }
 *         return null;                       // cancelled, or the peer closed
 *     });
 * }
 * shutdown.cancel();                         // stops every connection task
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code cancelled()} or {@code runUntilCancelled} throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status); the token is not changed.
 * Aborting a task and cancelling a token are different things: an abort is aimed at one task and
 * comes through its interrupt status, a token at whoever watches it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code cancel()} on a token happen-before actions after {@code isCancelled()}
 * returns true, or {@code cancelled()} returns, on that token or any of its descendants.
 */
public final class CancellationToken {
    /*
     * Implementation overview
     *
     * Algorithm (after tokio_util's tree_node): each token has a volatile cancelled flag, and under
     *   its own monitor a WaitList of parked tasks and an array of its children's ChildRefs.
     *   cancel(): for this token and then, breadth-first with an explicit queue (no recursion, so a
     *   deep chain cannot overflow the stack), each not-yet-cancelled descendant: under that token's
     *   monitor set the flag, claim every waiter and take its children array; then, outside every
     *   monitor, unlink this token from its parent. child(): under the parent's monitor, either link a
     *   new token or, if the parent is cancelled, return an already-cancelled unlinked one; so a child
     *   is never created in between and missed by the cascade.
     * Lock order: at most one token monitor is held at a time (cancel takes each in turn; unlinking
     *   takes only the parent's), plus ChildRef's leaf monitor for pins. No nesting, no deadlock.
     * Memory: a child holds its parent strongly (through ChildRef.parent); a parent holds children
     *   through ChildRef, a WeakReference, so a dropped child is collected. Cleared refs are swept
     *   when the array is full (before growing, and it shrinks when mostly empty): amortised O(1)
     *   per child(), memory O(live children). A cancelled child is unlinked at once (swap-remove by
     *   the index kept in its ChildRef, guarded by the parent's monitor).
     * Pinning: a task parked on a token must not lose its wake-up because the token, reachable from
     *   the root only through weak links, was collected together with the parked thread. While
     *   waiting, a task pins the ChildRef of its token and of every ancestor: a pinned ChildRef holds
     *   its child strongly (pins is a count under the ChildRef's own monitor).
     * Memory ordering: cancelled is written under the token's monitor and read volatile; the claims
     *   (Parker CAS) publish it to parked tasks. The cascade sets each child after its parent.
     * Progress: isCancelled() is wait-free; cancel, child and the waiting paths take monitors briefly
     *   and park on a Parker.
     */
    private static final ChildRef[] NO_CHILDREN = new ChildRef[0];

    private volatile boolean cancelled;
    /** This token's entry in its parent's children; null for a root (or a born-cancelled child). */
    private final ChildRef ref;
    /** Guarded by this. */
    private final WaitList waiters = new WaitList();
    /** Live children, then null once cancelled. Guarded by this. */
    private ChildRef[] children = NO_CHILDREN;
    /** Guarded by this. */
    private int childCount;

    /**
     * One child's link from its parent: weak, except while pinned by a waiting task.
     */
    static final class ChildRef extends WeakReference<CancellationToken> {
        final CancellationToken parent;
        /** Position in parent.children, or -1 once unlinked. Guarded by parent's monitor. */
        int index = -1;
        /** Guarded by this. */
        private int pins;
        /** The child, held strongly while pins > 0. Guarded by this. */
        @SuppressWarnings("unused") private CancellationToken strong;

        ChildRef(CancellationToken child, CancellationToken parent) {
            super(child);
            this.parent = parent;
        }

        synchronized void pin(CancellationToken child) {
            if (pins++ == 0) {
                strong = child;
            }
        }

        synchronized void unpin() {
            if (--pins == 0) {
                strong = null;
            }
        }
    }

    /**
     * Creates a root token, not cancelled.
     *
     * {@snippet :
     * var shutdown = new CancellationToken();
     * }
     */
    public CancellationToken() {
        this.ref = null;
    }

    private CancellationToken(CancellationToken parent) {
        this.ref = new ChildRef(this, parent);
    }

    /**
     * Cancels this token and every descendant, and wakes every task parked on them. Idempotent;
     * never parks. The parent (if any) is not affected. The call that cancels a token cancels its
     * descendants before it returns; a second, concurrent {@code cancel()} of the same token may
     * return while the first is still working through them.
     *
     * {@snippet :
     * token.cancel();
     * assert token.isCancelled();
     * }
     */
    public void cancel() {
        if (cancelled) {
            return;
        }
        ArrayDeque<CancellationToken> todo = null;
        CancellationToken t = this;
        while (t != null) {
            ChildRef[] kids = null;
            int n = 0;
            synchronized (t) {
                if (!t.cancelled) {
                    t.cancelled = true; // release: read by isCancelled(); also published by the claims
                    t.waiters.claimAll();
                    kids = t.children;
                    n = t.childCount;
                    for (int i = 0; i < n; i++) {
                        kids[i].index = -1; // unlinked: their own cancel has nothing to remove
                    }
                    t.children = null;
                    t.childCount = 0;
                }
            }
            for (int i = 0; i < n; i++) {
                CancellationToken k = kids[i].get();
                if (k != null) {
                    if (todo == null) {
                        todo = new ArrayDeque<>();
                    }
                    todo.add(k);
                }
            }
            t = todo == null ? null : todo.poll();
        }
        ChildRef r = ref;
        if (r != null) {
            CancellationToken p = r.parent;
            synchronized (p) {
                p.unlink(r);
            }
        }
    }

    /** Removes {@code r} from this token's children; under this monitor. */
    private void unlink(ChildRef r) {
        int i = r.index;
        if (i < 0 || children == null) {
            return;
        }
        int last = --childCount;
        ChildRef moved = children[last];
        children[i] = moved;
        moved.index = i;
        children[last] = null;
        r.index = -1;
    }

    /** Adds a child link; under this monitor, while not cancelled. */
    private void link(ChildRef r) {
        if (childCount == children.length) {
            sweep();
            if (childCount >= children.length - (children.length >> 2)) {
                children = java.util.Arrays.copyOf(children, Math.max(4, children.length * 2));
            }
        }
        r.index = childCount;
        children[childCount++] = r;
    }

    /** Drops links to collected children, and shrinks a mostly empty array; under this monitor. */
    private void sweep() {
        int n = 0;
        for (int i = 0; i < childCount; i++) {
            ChildRef r = children[i];
            if (r.refersTo(null)) {
                r.index = -1;
            } else {
                r.index = n;
                children[n++] = r;
            }
        }
        java.util.Arrays.fill(children, n, childCount, null);
        childCount = n;
        if (children.length > 16 && n < children.length >> 2) {
            children = java.util.Arrays.copyOf(children, children.length >> 1);
        }
    }

    /**
     * {@return true once this token, or any ancestor, has been cancelled}
     *
     * {@snippet :
     * while (!token.isCancelled()) {
     *     step();
     * }
     * }
     */
    public boolean isCancelled() {
        return cancelled;
    }

    /**
     * Creates a child token: cancelled when this token is, but cancelling it leaves this one alone
     * [Tokio: {@code child_token}]. If this token is already cancelled, the child is born cancelled.
     * Nothing needs to be done to dispose of a child: drop it, or cancel it.
     *
     * {@snippet :
     * var request = shutdown.child();
     * request.cancel();                 // this request only
     * assert !shutdown.isCancelled();
     * }
     *
     * @return the new child
     */
    public CancellationToken child() {
        synchronized (this) {
            if (!cancelled) {
                CancellationToken c = new CancellationToken(this);
                link(c.ref);
                return c;
            }
        }
        CancellationToken c = new CancellationToken();
        c.cancelled = true;
        return c;
    }

    /**
     * Parks until this token is cancelled (returns at once if it is).
     *
     * {@snippet :
     * Task.spawn(() -> {
     *     token.cancelled();
     *     System.out.println("shutting down");
     *     return null;
     * });
     * }
     *
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked;
     *     the interrupt status is kept
     */
    public void cancelled() {
        await(0);
    }

    /**
     * Parks at most {@code timeout} until this token is cancelled.
     *
     * {@snippet :
     * if (!token.cancelled(Duration.ofSeconds(1))) {
     *     System.out.println("still running");
     * }
     * }
     *
     * @param timeout the longest wait
     * @return true if the token is cancelled, false if the time ran out first
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws io.weft.task.CancelledException if the calling task is aborted before or while parked
     */
    public boolean cancelled(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return await(Waits.deadline(timeout));
    }

    private boolean await(long deadline) {
        Waits.checkCancelled("CancellationToken.cancelled");
        if (cancelled) {
            Coop.proceed(); // ready without parking: spend budget
            return true;
        }
        Waiter w = new Waiter(new Parker());
        synchronized (this) {
            if (cancelled) {
                return true;
            }
            waiters.addLast(w);
        }
        ChildRef[] pins = pin();
        try {
            if (w.parker.await(deadline) == w) {
                return true;
            }
            if (w.parker.cancel() == null) {
                synchronized (this) {
                    waiters.remove(w);
                }
                if (Waits.interrupted()) {
                    throw Waits.cancelled("CancellationToken.cancelled");
                }
                return false;
            }
            // Cancelled as we gave up; an abort still wins.
            if (Waits.interrupted()) {
                throw Waits.cancelled("CancellationToken.cancelled");
            }
            return true;
        } finally {
            unpin(pins);
        }
    }

    /** Pins this token's link and its ancestors' for the duration of a wait; null for a root. */
    private ChildRef[] pin() {
        int depth = 0;
        for (ChildRef r = ref; r != null; r = r.parent.ref) {
            depth++;
        }
        if (depth == 0) {
            return null;
        }
        ChildRef[] pins = new ChildRef[depth];
        int i = 0;
        CancellationToken t = this;
        for (ChildRef r = ref; r != null; r = r.parent.ref) {
            r.pin(t);
            pins[i++] = r;
            t = r.parent;
        }
        return pins;
    }

    private static void unpin(ChildRef[] pins) {
        if (pins != null) {
            for (ChildRef r : pins) {
                r.unpin();
            }
        }
    }

    /**
     * Runs {@code work} as a new task and returns its value, unless this token is cancelled first:
     * then the task is aborted and this returns null [Tokio: {@code run_until_cancelled}].
     *
     * <p>The work runs as a separate task (spawned on the current runtime) because only a task can
     * be aborted in Weft; the caller parks until the work finishes or the token is cancelled. On
     * cancellation the work is aborted and the caller waits for it to unwind, so when this returns
     * the work is over and holds nothing. If the work had already produced its value when the abort
     * came, that value is returned, not dropped, so wrapping a cancel-safe call (a channel
     * {@code recv}) stays cancel-safe. If the token is already cancelled, the work is not started.
     *
     * {@snippet :
     * String msg = token.runUntilCancelled(rx::recv);
     * if (msg == null) {
     *     return; // cancelled (or the channel closed)
     * }
     * }
     *
     * @param work the work; should not return null, which is indistinguishable from cancellation
     * @param <T> the result type
     * @return the work's value, or null if the token was cancelled first
     * @throws JoinException if the work threw before the token was cancelled (its exception is
     *     the cause)
     * @throws IllegalStateException if called outside a Weft runtime
     * @throws io.weft.task.CancelledException if the calling task is aborted; the work is aborted
     *     too; the interrupt status is kept
     */
    public <T> T runUntilCancelled(Callable<T> work) {
        Objects.requireNonNull(work, "work");
        Waits.checkCancelled("CancellationToken.runUntilCancelled");
        if (cancelled) {
            return null;
        }
        Parker parker = new Parker();
        Waiter onCancel = new Waiter(parker);
        Waiter onDone = new Waiter(parker);
        JoinHandle<T> h = Task.spawn(() -> {
            try {
                return work.call();
            } finally {
                onDone.claim(); // fails harmlessly if the caller has gone
            }
        });
        synchronized (this) {
            if (cancelled) {
                onCancel.claim();
            } else {
                waiters.addLast(onCancel);
            }
        }
        Waiter fired;
        ChildRef[] pins = pin();
        try {
            fired = parker.await(0);
        } finally {
            unpin(pins);
        }
        if (fired != onCancel) {
            synchronized (this) {
                waiters.remove(onCancel);
            }
        }
        if (fired == null) {
            parker.cancel();
            h.abort();
            throw Waits.cancelled("CancellationToken.runUntilCancelled");
        }
        if (fired == onDone) {
            return h.join();
        }
        h.abort();
        try {
            return h.join(); // a value produced before the abort took effect is kept
        } catch (JoinException e) {
            return null;
        }
    }

    /**
     * {@return a guard that cancels this token when closed, unless disarmed} [Tokio:
     * {@code drop_guard}]
     *
     * {@snippet :
     * try (var guard = token.dropGuard()) {
     *     serve(token);
     * } // however serve() ends, everything watching token stops
     * }
     */
    public DropGuard dropGuard() {
        return new DropGuard(this);
    }

    /**
     * Cancels a token when closed, so a try-with-resources block can tie a token's life to a scope
     * [Tokio: {@code DropGuard}].
     *
     * <h2>Example</h2>
     * {@snippet :
     * try (CancellationToken.DropGuard g = token.child().dropGuard()) {
     *     Task.spawn(() -> { g.token().cancelled(); return cleanup(); });
     *     work();
     * } // the child is cancelled here, the parent is not
     * }
     *
     * <h2>Cancellation</h2>
     * Closing never parks.
     *
     * <h2>Memory consistency effects</h2>
     * As for {@link CancellationToken#cancel()}.
     */
    public static final class DropGuard implements AutoCloseable {
        private static final VarHandle ARMED;

        static {
            try {
                ARMED = MethodHandles.lookup().findVarHandle(DropGuard.class, "armed", boolean.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final CancellationToken token;
        @SuppressWarnings("unused") private volatile boolean armed = true;

        DropGuard(CancellationToken token) {
            this.token = token;
        }

        /**
         * {@return the guarded token}
         *
         * {@snippet :
         * var t = guard.token();
         * }
         */
        public CancellationToken token() {
            return token;
        }

        /**
         * Disarms the guard: closing it will no longer cancel the token.
         *
         * {@snippet :
         * CancellationToken keep = guard.disarm();
         * }
         *
         * @return the token
         */
        public CancellationToken disarm() {
            armed = false;
            return token;
        }

        /**
         * Cancels the token, unless disarmed. Idempotent.
         *
         * {@snippet :
         * guard.close();
         * }
         */
        @Override
        public void close() {
            if (ARMED.compareAndSet(this, true, false)) {
                token.cancel();
            }
        }
    }

    /** {@return live links to children (a snapshot); for tests} */
    synchronized int childCount() {
        return children == null ? 0 : childCount;
    }

    /** {@return children slots allocated; for tests} */
    synchronized int childCapacity() {
        return children == null ? 0 : children.length;
    }

    /** {@return tasks parked now; for tests} */
    synchronized int waiterCount() {
        return waiters.size();
    }

    /** Forces a sweep of collected children; for tests. */
    synchronized void sweepForTest() {
        if (children != null) {
            sweep();
        }
    }

    /**
     * A {@code Select} arm that completes once this token is cancelled; it consumes nothing.
     *
     * @return the arm
     */
    SelectArm arm() {
        return new SelectArm() {
            @Override
            public boolean poll(Waiter claimed) {
                return claimed != null || cancelled;
            }

            @Override
            public void register(Waiter w) {
                synchronized (CancellationToken.this) {
                    if (cancelled) {
                        w.claim();
                        return;
                    }
                    waiters.addLast(w);
                }
                w.value = pin(); // kept until deregister
            }

            @Override
            public void deregister(Waiter w) {
                synchronized (CancellationToken.this) {
                    waiters.remove(w);
                }
                if (w.value instanceof ChildRef[] pins) {
                    w.value = null;
                    unpin(pins);
                }
            }
        };
    }

    @Override
    public String toString() {
        return "CancellationToken[" + (cancelled ? "cancelled" : "active") + "]";
    }
}
