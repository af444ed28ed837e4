package io.weft.internal.task;

import io.weft.internal.sync.Waiter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A one-shot release point: threads park on it, {@code Select} waiters and callbacks register on it,
 * until {@link #release}.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: a Treiber stack of nodes (a parked thread, a Select waiter, or a callback). release()
 *   swaps the head for RELEASED and wakes, claims or runs every node it took. A push that finds
 *   RELEASED fails, so the pusher knows the event already happened (a callback then runs on the
 *   caller). A thread that stops waiting (timeout, interrupt) or a Select arm that loses clears its
 *   node and unlinks every dead node it finds (FutureTask's removeWaiter), so repeated timed joins
 *   on a long-running task do not grow the stack.
 * Memory ordering: the head is CAS'd / swapped (volatile semantics); node fields are volatile.
 *   Everything the releaser wrote before release() happens-before a waiter's return from await and a
 *   callback's run.
 * Progress: push, remove and release are lock-free; await parks.
 * </pre>
 */
public class WaitStack {
    private static final VarHandle HEAD;
    private static final Node RELEASED = new Node(null, null, null);

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(WaitStack.class, "head", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A registration; pass it to {@link #remove(Node)} to withdraw it. */
    public static final class Node {
        volatile Thread thread;
        volatile Waiter waiter;
        final Runnable callback;
        volatile Node next;

        Node(Thread thread, Waiter waiter, Runnable callback) {
            this.thread = thread;
            this.waiter = waiter;
            this.callback = callback;
        }

        boolean isDead() {
            return thread == null && waiter == null && callback == null;
        }
    }

    @SuppressWarnings("unused") private volatile Node head;

    /** Creates an unreleased wait point. */
    public WaitStack() {}

    /** {@return true once released} */
    public boolean isReleased() {
        return head == RELEASED;
    }

    /**
     * Registers a callback to run at release; if already released, runs it now on the caller.
     *
     * @param callback the callback
     */
    public void onRelease(Runnable callback) {
        if (!push(new Node(null, null, callback))) {
            callback.run();
        }
    }

    /**
     * Registers a Select waiter, claimed at release.
     *
     * @param w the waiter
     * @return the registration, or null if already released (then nothing was registered)
     */
    public Node register(Waiter w) {
        Node n = new Node(null, w, null);
        return push(n) ? n : null;
    }

    private boolean push(Node n) {
        for (;;) {
            Node h = head;
            if (h == RELEASED) {
                return false;
            }
            n.next = h;
            if (HEAD.compareAndSet(this, h, n)) {
                return true;
            }
        }
    }

    /**
     * Withdraws a registration (a thread or Select waiter that stopped waiting) and unlinks dead nodes.
     *
     * @param node the registration
     */
    public void remove(Node node) {
        if (node == null) {
            return;
        }
        node.thread = null;
        node.waiter = null;
        retry:
        for (;;) {
            for (Node pred = null, q = head, s; q != null && q != RELEASED; q = s) {
                s = q.next;
                if (!q.isDead()) {
                    pred = q;
                } else if (pred != null) {
                    pred.next = s;
                    if (pred.isDead()) {
                        continue retry; // pred was removed concurrently: start over
                    }
                } else if (!HEAD.compareAndSet(this, q, s)) {
                    continue retry;
                }
            }
            return;
        }
    }

    /**
     * Parks until released, the deadline passes, or the thread is interrupted.
     *
     * @param deadline a {@link System#nanoTime()} deadline, or 0 for none
     * @return true if released
     */
    public boolean await(long deadline) {
        if (head == RELEASED) {
            return true;
        }
        Thread me = Thread.currentThread();
        Node n = new Node(me, null, null);
        if (!push(n)) {
            return true;
        }
        for (;;) {
            if (head == RELEASED) {
                return true;
            }
            if (me.isInterrupted()) {
                remove(n);
                return head == RELEASED;
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    remove(n);
                    return head == RELEASED;
                }
                LockSupport.parkNanos(this, left);
            }
        }
    }

    /**
     * Releases every waiter and runs every callback (on the calling thread). Idempotent.
     *
     * @param onCallbackError receives anything a callback throws
     */
    public void release(Consumer<Throwable> onCallbackError) {
        Node n = (Node) HEAD.getAndSet(this, RELEASED);
        while (n != null && n != RELEASED) {
            Thread t = n.thread;
            Waiter w = n.waiter;
            if (t != null) {
                LockSupport.unpark(t);
            } else if (w != null) {
                w.claim();
            } else if (n.callback != null) {
                try {
                    n.callback.run();
                } catch (Throwable e) {
                    onCallbackError.accept(e);
                }
            }
            n = n.next;
        }
    }
}
