package io.weft.internal.sync;

/**
 * An intrusive FIFO list of {@link Waiter}s. Not thread-safe: every call is made under the owning
 * primitive's lock, which is what makes "check state, then queue" and "change state, then claim the
 * first waiter" atomic with respect to each other.
 */
public final class WaitList {
    private Waiter head;
    private Waiter tail;
    private int size;

    /** {@return true if nobody waits} */
    public boolean isEmpty() {
        return head == null;
    }

    /** {@return the number of waiters} */
    public int size() {
        return size;
    }

    /** {@return the first waiter, or null} */
    public Waiter peekFirst() {
        return head;
    }

    /**
     * Appends a waiter.
     *
     * @param w the waiter (not in any list)
     */
    public void addLast(Waiter w) {
        w.list = this;
        w.next = null;
        w.prev = tail;
        if (tail == null) {
            head = w;
        } else {
            tail.next = w;
        }
        tail = w;
        size++;
    }

    /**
     * Removes a waiter if it is in this list.
     *
     * @param w the waiter
     * @return true if it was removed
     */
    public boolean remove(Waiter w) {
        if (w.list != this) {
            return false;
        }
        Waiter p = w.prev;
        Waiter n = w.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        w.prev = null;
        w.next = null;
        w.list = null;
        size--;
        return true;
    }

    /** {@return the first waiter, removed, or null} */
    public Waiter pollFirst() {
        Waiter w = head;
        if (w != null) {
            remove(w);
        }
        return w;
    }

    /**
     * Removes waiters from the front and claims them until one claim succeeds.
     *
     * @return the waiter that was woken, or null if none could be
     */
    public Waiter claimFirst() {
        Waiter w;
        while ((w = pollFirst()) != null) {
            if (w.claim()) {
                return w;
            }
        }
        return null;
    }

    /**
     * Removes every waiter and claims each (a broadcast wake-up).
     *
     * @return how many were woken
     */
    public int claimAll() {
        int n = 0;
        Waiter w;
        while ((w = pollFirst()) != null) {
            if (w.claim()) {
                n++;
            }
        }
        return n;
    }
}
