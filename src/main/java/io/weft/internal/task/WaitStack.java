package io.weft.internal.task;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A one-shot release point: threads park on it and callbacks register on it until {@link #release}.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: a Treiber stack of nodes (a parked thread or a callback). release() swaps the head for
 *   RELEASED and wakes or runs every node it took. A push that finds RELEASED fails, so the pusher
 *   knows the event already happened (a callback then runs on the caller).
 * Memory ordering: the head is CAS'd / swapped (volatile semantics). Everything the releaser wrote
 *   before release() happens-before a waiter's return from await and a callback's run.
 * Progress: push and release are lock-free; await parks.
 * Cancellation: a waiter whose thread is interrupted leaves its node behind (a dead node is woken
 *   harmlessly at release), as FutureTask's do.
 * </pre>
 */
public final class WaitStack {
    private static final VarHandle HEAD;
    private static final Node RELEASED = new Node(null, null);

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(WaitStack.class, "head", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final class Node {
        final Thread thread;
        final Runnable callback;
        Node next;

        Node(Thread thread, Runnable callback) {
            this.thread = thread;
            this.callback = callback;
        }
    }

    @SuppressWarnings("unused") private volatile Node head;

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
        if (!push(new Node(null, callback))) {
            callback.run();
        }
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
        Node n = new Node(me, null);
        if (!push(n)) {
            return true;
        }
        for (;;) {
            if (head == RELEASED) {
                return true;
            }
            if (me.isInterrupted()) {
                return false;
            }
            if (deadline == 0) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
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
            if (n.thread != null) {
                LockSupport.unpark(n.thread);
            } else {
                try {
                    n.callback.run();
                } catch (Throwable t) {
                    onCallbackError.accept(t);
                }
            }
            n = n.next;
        }
    }
}
