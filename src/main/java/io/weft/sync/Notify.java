package io.weft.sync;

import io.weft.internal.scheduler.Coop;
import io.weft.internal.sync.Parker;
import io.weft.internal.sync.SelectArm;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Notifies one task, or all waiting tasks, of an event [Tokio: {@code sync::Notify}].
 *
 * <p>{@link #notified()} parks until notified. {@link #notifyOne()} wakes one waiter in FIFO order;
 * if nobody waits it stores a single permit, so the next {@code notified()} returns at once (several
 * {@code notifyOne} calls with nobody waiting still store only one). {@link #notifyWaiters()} wakes
 * everybody waiting now and stores nothing.
 *
 * <h2>Example</h2>
 * {@snippet :
 * Notify notify = new Notify();
 * var waiter = Task.spawn(() -> {
 *     notify.notified();
 *     System.out.println("received notification");
 * });
 * notify.notifyOne();
 * waiter.join();
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code notified()} throws {@link io.weft.task.CancelledException}.
 * If a {@code notifyOne} had already chosen it, the notification is handed to the next waiter (or
 * stored as the permit): it is never lost. A timed-out {@link #notified(Duration)} behaves the same.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code notifyOne()} or {@code notifyWaiters()} happen-before the return of the
 * {@code notified()} call that it wakes (or that consumes the stored permit).
 */
public final class Notify {
    /*
     * Implementation overview
     *
     * Algorithm: permit is 0 or 1. notified(): CAS the permit 1 -> 0, else queue a waiter under this
     *   monitor (re-checking the permit there) and park. notifyOne(): under the monitor, claim waiters
     *   from the front until one claim succeeds (a waiter that gave up concurrently fails its claim);
     *   if none, set the permit. Waiters are tagged with the kind of notification they received, so a
     *   waiter that gives up after a notifyOne forwards it (notifyWaiters wake-ups are not forwarded).
     * Memory ordering: the permit is an AtomicInteger; waiter lists change only under the monitor;
     *   Parker.claim publishes the hand-over.
     * Progress: notified() fast path and the permit are lock-free; the rest takes the monitor briefly.
     */
    private static final int ONE = 1;
    private static final int ALL = 2;

    private final AtomicInteger permit = new AtomicInteger();
    private final WaitList waiters = new WaitList();

    /**
     * Creates a {@code Notify} with no permit.
     *
     * {@snippet :
     * var notify = new Notify();
     * }
     */
    public Notify() {}

    /**
     * Parks until notified (or returns at once, consuming the stored permit).
     *
     * {@snippet :
     * notify.notified();
     * }
     *
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public void notified() {
        await(0);
    }

    /**
     * Parks at most {@code timeout} for a notification.
     *
     * {@snippet :
     * if (!notify.notified(Duration.ofMillis(100))) System.out.println("timed out");
     * }
     *
     * @param timeout the longest wait
     * @return true if notified, false if the time ran out
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public boolean notified(Duration timeout) {
        return await(Waits.deadline(timeout));
    }

    /**
     * Consumes the stored permit if there is one; never parks.
     *
     * {@snippet :
     * boolean had = notify.tryNotified();
     * }
     *
     * @return true if a permit was consumed
     */
    public boolean tryNotified() {
        return permit.get() == 1 && permit.compareAndSet(1, 0);
    }

    private boolean await(long deadline) {
        Waits.checkCancelled("Notify.notified");
        if (tryNotified()) {
            Coop.proceed();
            return true;
        }
        Waiter w = new Waiter(new Parker());
        synchronized (this) {
            if (permit.compareAndSet(1, 0)) {
                return true;
            }
            waiters.addLast(w);
        }
        if (w.parker.await(deadline) == w) {
            return true;
        }
        if (w.parker.cancel() == null) {
            synchronized (this) {
                waiters.remove(w);
            }
            if (Waits.interrupted()) {
                throw Waits.cancelled("Notify.notified");
            }
            return false;
        }
        // A notification reached us as we gave up.
        if (Waits.interrupted()) {
            if (w.got == ONE) {
                notifyOne();
            }
            throw Waits.cancelled("Notify.notified");
        }
        return true;
    }

    /**
     * Wakes the longest-waiting task, or stores one permit if nobody waits.
     *
     * {@snippet :
     * notify.notifyOne();
     * }
     */
    public void notifyOne() {
        synchronized (this) {
            Waiter w;
            while ((w = waiters.pollFirst()) != null) {
                w.got = ONE;
                if (w.claim()) {
                    return;
                }
            }
            permit.set(1);
        }
    }

    /**
     * Wakes every task waiting now; stores no permit.
     *
     * {@snippet :
     * notify.notifyWaiters();
     * }
     */
    public void notifyWaiters() {
        synchronized (this) {
            Waiter w;
            while ((w = waiters.pollFirst()) != null) {
                w.got = ALL;
                w.claim();
            }
        }
    }

    /** {@return the number of tasks waiting now (a snapshot)} */
    synchronized int waiterCount() {
        return waiters.size();
    }

    SelectArm arm() {
        return new SelectArm() {
            @Override
            public boolean poll(Waiter claimed) {
                return claimed != null || tryNotified();
            }

            @Override
            public void register(Waiter w) {
                synchronized (Notify.this) {
                    waiters.addLast(w);
                }
            }

            @Override
            public void deregister(Waiter w) {
                synchronized (Notify.this) {
                    waiters.remove(w);
                }
            }

            @Override
            public void forward(Waiter w) {
                if (w.got == ONE) {
                    notifyOne();
                }
            }
        };
    }

    @Override
    public String toString() {
        return "Notify[permit=" + permit.get() + ", waiters=" + waiterCount() + "]";
    }
}
