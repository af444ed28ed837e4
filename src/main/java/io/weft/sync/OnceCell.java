package io.weft.sync;

import io.weft.internal.sync.Parker;
import io.weft.internal.sync.WaitList;
import io.weft.internal.sync.Waiter;
import io.weft.internal.sync.Waits;
import io.weft.time.ElapsedException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A cell written at most once, with initialisation that parks the other callers
 * [Tokio: {@code sync::OnceCell}].
 *
 * <p>{@link #getOrInit(Supplier)} returns the value, running the supplier first if the cell is
 * empty. Exactly one caller at a time runs a supplier; the others park (not spin, not block a
 * carrier) until it finishes, and then return its value. If the supplier throws, the exception goes
 * to its caller, the cell stays empty, and the next waiter (in arrival order) runs its own supplier:
 * a failed initialisation is retried, never cached. {@link #set(Object)} stores a value directly,
 * {@link #get()} reads without parking, and {@link #await()} parks until some other task has filled
 * the cell.
 *
 * <p>The value is never null: a supplier that returns null fails like one that throws
 * ({@link NullPointerException}).
 *
 * <h2>Example</h2>
 * {@snippet :
 * static final OnceCell<Connection> DB = new OnceCell<>();
 *
 * Connection db() {
 *     return DB.getOrInit(() -> Connection.open(URL));  // opened once, even with 1000 callers at once
 * }
 * }
 *
 * <h2>Cancellation</h2>
 * A task aborted while parked in {@code getOrInit}, {@code set} or {@code await} throws
 * {@link io.weft.task.CancelledException} (keeping its interrupt status) and leaves the cell as it
 * was; if the initialiser's failure had just handed it the turn to initialise, it hands the turn on
 * to the next waiter. A task aborted while <em>running</em> a supplier sees the abort wherever the
 * supplier parks; if the supplier then throws, that counts as a failed initialisation and the next
 * waiter initialises.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of the supplier that produced the value (or before the {@code set} that stored it)
 * happen-before every return of that value from {@code get}, {@code getOrInit}, {@code await} or
 * {@code set}'s losers, in any task.
 *
 * @param <T> the type of the value
 */
public final class OnceCell<T> {
    /*
     * Implementation overview
     *
     * Algorithm: value is volatile (null = empty); the rest is under this monitor.
     *   getOrInit(f): if value != null return it. Under the monitor: if the cell is empty and nobody
     *   initialises, become the initialiser (initializer = current thread) and run f() outside the
     *   monitor. Success: publish value, claim every waiter. Failure: initializer = null and claim
     *   the first waiter, which loops and becomes the next initialiser. If somebody else initialises,
     *   queue a waiter and park, then loop.
     *   set(v) queues behind a running initialiser the same way (JDK StableValue.trySet also waits),
     *   so set's result is definitive: when it returns the cell is full. await() parks in a second
     *   list, awaiters, that only a success wakes: a failure's turn must go to a caller that can
     *   fill the cell.
     * Hand-over: only a failure hands anything over (the turn to initialise, to exactly one waiter).
     *   A waiter that was claimed for it and then gives up re-runs the hand-over under the monitor,
     *   so the turn is never lost. Success wakes everybody, so there is nothing to hand on.
     * Re-entrance: a supplier that calls getOrInit or set on its own cell would wait for itself;
     *   initializer == current thread detects it and throws IllegalStateException.
     * Memory ordering: the volatile write of value releases the supplier's actions; every reader
     *   returns only a value it read from that field.
     * Progress: get() and the fast path of getOrInit() are wait-free; the rest takes the monitor
     *   briefly and parks on a Parker. The supplier runs outside the monitor.
     */
    /** Null while empty; written once, under the monitor. */
    private volatile T value;
    /** The thread running a supplier, or null. Guarded by this. */
    private Thread initializer;
    /**
     * Callers of getOrInit and set parked behind the initialiser: woken all on success, one on
     * failure (it takes the turn). Guarded by this.
     */
    private final WaitList waiters = new WaitList();
    /** Callers of await(): woken only on success (they cannot take a turn). Guarded by this. */
    private final WaitList awaiters = new WaitList();

    /**
     * Creates an empty cell.
     *
     * {@snippet :
     * var cell = new OnceCell<String>();
     * }
     */
    public OnceCell() {}

    /**
     * Creates a cell that already holds {@code value} [Tokio: {@code new_with}].
     *
     * {@snippet :
     * var cell = new OnceCell<>("ready");
     * }
     *
     * @param value the value
     * @throws NullPointerException if {@code value} is null
     */
    public OnceCell(T value) {
        this.value = Objects.requireNonNull(value, "value");
    }

    /**
     * {@return the value, if the cell has one}
     *
     * {@snippet :
     * cell.get().ifPresent(System.out::println);
     * }
     */
    public Optional<T> get() {
        return Optional.ofNullable(value);
    }

    /**
     * {@return true once the cell holds a value}
     *
     * {@snippet :
     * if (!cell.isInitialized()) warmUp();
     * }
     */
    public boolean isInitialized() {
        return value != null;
    }

    /**
     * Returns the value, first running {@code init} if the cell is empty and nobody else is
     * initialising it; parks while another task's supplier runs.
     *
     * {@snippet :
     * String token = cell.getOrInit(() -> fetchToken());
     * }
     *
     * @param init computes the value; runs on the calling task, at most once per call
     * @return the cell's value (this caller's or another's)
     * @throws NullPointerException if {@code init} is null, or returns null
     * @throws IllegalStateException if {@code init} re-enters this cell's initialisation
     * @throws io.weft.task.CancelledException if the calling task is aborted before it runs
     *     {@code init} or while parked; the interrupt status is kept
     * @throws RuntimeException whatever {@code init} throws (the cell stays empty)
     */
    public T getOrInit(Supplier<? extends T> init) {
        Objects.requireNonNull(init, "init");
        T v = value;
        if (v != null) {
            return v;
        }
        for (;;) {
            Waiter w;
            synchronized (this) {
                v = value;
                if (v != null) {
                    return v;
                }
                if (initializer == null) {
                    if (Waits.interrupted()) {
                        waiters.claimFirst(); // we may hold the turn a failure handed us: pass it on
                        throw Waits.cancelled("OnceCell.getOrInit");
                    }
                    initializer = Thread.currentThread();
                    w = null;
                } else {
                    w = enqueue("OnceCell.getOrInit");
                }
            }
            if (w == null) {
                return initialize(init);
            }
            park(w, "OnceCell.getOrInit");
            v = value;
            if (v != null) {
                return v;
            }
        }
    }

    /** Runs the supplier as the initialiser; publishes or hands the turn on. */
    private T initialize(Supplier<? extends T> init) {
        T v = null;
        try {
            v = Objects.requireNonNull(init.get(), "OnceCell initialiser returned null");
        } finally {
            synchronized (this) {
                initializer = null;
                if (v != null) {
                    value = v; // release: publishes the supplier's actions to every reader
                    waiters.claimAll();
                    awaiters.claimAll();
                } else {
                    waiters.claimFirst(); // the next in line initialises
                }
            }
        }
        return v;
    }

    /** Queues a waiter behind a running initialiser; under the monitor. */
    private Waiter enqueue(String where) {
        if (initializer == Thread.currentThread()) {
            throw new IllegalStateException("recursive initialisation of a OnceCell (" + where + " from its own supplier)");
        }
        Waits.checkCancelled(where);
        Waiter w = new Waiter(new Parker());
        waiters.addLast(w);
        return w;
    }

    /**
     * Parks until claimed or the deadline; returns false on timeout. A waiter that gives up after
     * being claimed for a failed initialisation hands the turn on.
     */
    private boolean park(Waiter w, String where) {
        return park(w, 0, where);
    }

    private boolean park(Waiter w, long deadline, String where) {
        if (w.parker.await(deadline) == w) {
            return true;
        }
        boolean claimed = w.parker.cancel() != null;
        synchronized (this) {
            if (!claimed) {
                waiters.remove(w); // a no-op unless w is in that list
                awaiters.remove(w);
            } else if (value == null && initializer == null) {
                waiters.claimFirst(); // we were handed the turn to initialise: pass it on
            }
        }
        if (Waits.interrupted()) {
            throw Waits.cancelled(where);
        }
        return claimed;
    }

    /**
     * Stores {@code value} if the cell is empty; otherwise leaves the cell unchanged. If another
     * task's supplier is running, parks until it finishes: when {@code set} returns, the cell is
     * full either way.
     *
     * {@snippet :
     * if (!cell.set(config)) {
     *     System.out.println("already configured: " + cell.get().orElseThrow());
     * }
     * }
     *
     * <p>This returns a {@code boolean} rather than throwing (as JDK 25's
     * {@code StableValue.trySet} does) because losing a race to fill a cell is ordinary, not a bug.
     *
     * @param value the value
     * @return true if this call stored {@code value}; false if the cell already held a value
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalStateException if called from this cell's own running initialiser
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked behind an
     *     initialiser (the cell is unchanged); the interrupt status is kept
     */
    public boolean set(T value) {
        Objects.requireNonNull(value, "value");
        if (this.value != null) {
            return false;
        }
        for (;;) {
            Waiter w;
            synchronized (this) {
                if (this.value != null) {
                    return false;
                }
                if (initializer == null) {
                    this.value = value; // release: pairs with the volatile reads of value
                    waiters.claimAll();
                    awaiters.claimAll();
                    return true;
                }
                w = enqueue("OnceCell.set");
            }
            park(w, "OnceCell.set");
        }
    }

    /**
     * Parks until the cell holds a value, and returns it; does not initialise
     * [Tokio: {@code SetOnce::wait}].
     *
     * {@snippet :
     * // in a worker: wait for the coordinator to publish the plan
     * Plan plan = planCell.await();
     * }
     *
     * @return the value
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked; the
     *     interrupt status is kept
     */
    public T await() {
        return await(0, null);
    }

    /**
     * Parks at most {@code timeout} until the cell holds a value, and returns it.
     *
     * {@snippet :
     * Plan plan = planCell.await(Duration.ofSeconds(5));
     * }
     *
     * @param timeout the longest wait
     * @return the value
     * @throws ElapsedException if the cell was still empty when the time ran out
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws NullPointerException if {@code timeout} is null
     * @throws io.weft.task.CancelledException if the calling task is aborted while parked
     */
    public T await(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return await(Waits.deadline(timeout), timeout);
    }

    private T await(long deadline, Duration timeout) {
        T v = value;
        if (v != null) {
            return v;
        }
        for (;;) {
            Waiter w;
            synchronized (this) {
                v = value;
                if (v != null) {
                    return v;
                }
                if (initializer == Thread.currentThread()) {
                    throw new IllegalStateException("OnceCell.await from the cell's own initialiser");
                }
                Waits.checkCancelled("OnceCell.await");
                w = new Waiter(new Parker());
                awaiters.addLast(w); // never handed the turn to initialise

            }
            boolean woken = park(w, deadline, "OnceCell.await");
            v = value;
            if (v != null) {
                return v;
            }
            if (!woken) {
                throw new ElapsedException("OnceCell still empty after " + timeout);
            }
        }
    }

    /** {@return tasks parked now; for tests} */
    synchronized int waiterCount() {
        return waiters.size() + awaiters.size();
    }

    @Override
    public String toString() {
        T v = value;
        return v != null ? "OnceCell[" + v + "]" : "OnceCell[empty]";
    }
}
