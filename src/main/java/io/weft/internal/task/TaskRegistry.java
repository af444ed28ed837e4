package io.weft.internal.task;

import io.weft.internal.scheduler.Carrier;
import io.weft.internal.scheduler.WeftScheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Every live task of one runtime, so that shutdown can abort them (Tokio's {@code OwnedTasks}).
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: a growable array of slots (segments of 1024 AtomicReferenceArray cells). A task takes a
 *   free slot index at spawn and gives it back at its end. Free indices are cached per carrier (a
 *   stack owned by the carrier's OS thread, no synchronisation), refilled from and spilled to a shared
 *   pool under a lock in batches of 256, so the lock is taken once per 256 spawns. Threads that are
 *   not carriers of this runtime use the shared pool directly. Shutdown scans the slots.
 *   Measured (docs/benchmarks.md): a sharded linked list under monitors cost 40-60 ns per task,
 *   because spawn and end usually happen on different carriers and bounced the shard's lock.
 * Closing: add() writes its slot, then re-reads closed; closeAndSnapshot() writes closed, then scans.
 *   Both are volatile, so a racing spawn is either seen by the scan or sees closed and backs out:
 *   never lost.
 * Invariant: a slot holds a task from add() to remove(); slot indices are unique among live tasks.
 *   remove() runs once per added task, on the thread that ends it, so it frees the slot with a store.
 * External stripes: threads that are not carriers use one of a few stripes (a LocalFree each) picked
 *   by thread id and held by a try-lock for the length of one add or remove; a busy stripe sends the
 *   caller to the shared pool. The lock's acquire/release orders the stripe's plain fields and its
 *   counters between the threads that take turns on it.
 * Carrier caches: a virtual thread uses its carrier's LocalFree only between two points where it
 *   cannot unmount (no park, no monitor wait), so it never sees that cache from another carrier.
 * </pre>
 */
public final class TaskRegistry {
    private final int segShift;
    private final int segSize;
    private final int segMask;
    private final int batch;

    /** A carrier's cache of free slot indices; touched only by that carrier's OS thread. */
    private static final class LocalFree {
        private static final java.lang.invoke.VarHandle LIVE;
        private static final java.lang.invoke.VarHandle ADDED;
        private static final java.lang.invoke.VarHandle LOCKED;

        static {
            try {
                LIVE = java.lang.invoke.MethodHandles.lookup().findVarHandle(LocalFree.class, "live", long.class);
                ADDED = java.lang.invoke.MethodHandles.lookup().findVarHandle(LocalFree.class, "added", long.class);
                LOCKED = java.lang.invoke.MethodHandles.lookup().findVarHandle(LocalFree.class, "locked", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final TaskRegistry owner;
        final int[] stack;
        int size;
        /** Adds minus removes made on this carrier (may be negative); single writer, release stores. */
        @SuppressWarnings("unused") private long live;

        /** Adds made on this carrier; single writer. */
        private volatile long added;

        /** For an external stripe only: 1 while a thread holds it. */
        @SuppressWarnings("unused") private volatile int locked;

        boolean tryLock() {
            return LOCKED.compareAndSet(this, 0, 1);
        }

        void unlock() {
            LOCKED.setRelease(this, 0);
        }

        void addLive(long d) {
            LIVE.setRelease(this, (long) LIVE.getOpaque(this) + d);
        }

        void countAdd() {
            ADDED.setRelease(this, (long) ADDED.getOpaque(this) + 1);
        }

        long live() {
            return (long) LIVE.getAcquire(this);
        }

        LocalFree(TaskRegistry owner) {
            this.owner = owner;
            this.stack = new int[owner.batch * 2];
        }
    }

    private final WeftScheduler scheduler;
    /**
     * Guards the shared pool and growth. A spin lock, not a monitor: a virtual thread blocked on a
     * monitor unmounts and may resume on another carrier, and it must not while it holds a carrier's
     * LocalFree. Held for a few array writes (a batch of 256 at most).
     */
    private final java.util.concurrent.atomic.AtomicBoolean lock = new java.util.concurrent.atomic.AtomicBoolean();
    @SuppressWarnings("unchecked")
    private volatile AtomicReferenceArray<TaskImpl<?>>[] segments = new AtomicReferenceArray[0];
    private int fresh;                  // guarded by the spin lock: the next index never handed out
    private int[] pool; // guarded by the spin lock: returned indices
    private int poolSize;               // guarded by the spin lock
    /**
     * Live count for adds and removes made off the carriers; carriers count in their LocalFree (a
     * LongAdder here cost about 14 % of a spawn-heavy profile: every new virtual thread seeds its own
     * probe, and both carriers kept hitting one cell).
     */
    private final java.util.concurrent.atomic.AtomicLong sharedLive = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong sharedAdded = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.List<LocalFree> caches = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * Caches for threads that are not this runtime's carriers (a platform thread spawning into the
     * runtime, blocking-pool threads), picked by thread id and held with a try-lock: a spawn from outside
     * takes no shared lock and touches no line the carriers write. When its stripe is busy a thread
     * uses the shared pool. Before these, a remote spawn took the shared lock every time, and the
     * carriers spilling freed indices spun on it (a quarter of a remote-spawn profile).
     */
    private final LocalFree[] stripes;
    private volatile boolean closed;

    /**
     * Creates a registry.
     *
     * @param scheduler the runtime's scheduler (its carriers cache free slots), or null
     */
    public TaskRegistry(WeftScheduler scheduler) {
        this(scheduler, 10, 256);
    }

    /**
     * Creates a registry with small segments, for model checking.
     *
     * @param scheduler the runtime's scheduler, or null
     * @param segmentShift log2 of the slots per segment
     * @param batch free indices moved between a carrier's cache and the shared pool at once
     */
    TaskRegistry(WeftScheduler scheduler, int segmentShift, int batch) {
        this.scheduler = scheduler;
        this.segShift = segmentShift;
        this.segSize = 1 << segmentShift;
        this.segMask = segSize - 1;
        this.batch = batch;
        this.pool = new int[Math.max(4, batch)];
        this.stripes = new LocalFree[EXTERNAL_STRIPES];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new LocalFree(this);
            caches.add(stripes[i]);
        }
    }

    private static final int EXTERNAL_STRIPES = 8; // a power of two

    /** {@return the calling thread's external stripe, locked, or null if another thread holds it} */
    private LocalFree lockStripe() {
        LocalFree s = stripes[(int) Thread.currentThread().threadId() & (EXTERNAL_STRIPES - 1)];
        return s.tryLock() ? s : null;
    }

    private LocalFree localFree() {
        Carrier c = scheduler == null ? null : scheduler.currentCarrier();
        if (c == null) {
            return null;
        }
        Object o = c.registryCache;
        if (o instanceof LocalFree lf && lf.owner == this) {
            return lf;
        }
        LocalFree lf = new LocalFree(this);
        c.registryCache = lf;
        caches.add(lf);
        return lf;
    }

    /**
     * Adds a task.
     *
     * @param t the task
     * @return false if the registry is closed
     */
    public boolean add(TaskImpl<?> t) {
        if (closed) {
            return false;
        }
        LocalFree lf = localFree();
        if (lf != null) {
            return addWith(lf, t);
        }
        LocalFree stripe = lockStripe();
        if (stripe == null) {
            return addWith(null, t);
        }
        try {
            return addWith(stripe, t);
        } finally {
            stripe.unlock();
        }
    }

    /** Adds with {@code lf} (a carrier's cache or a held stripe), or the shared pool when null. */
    private boolean addWith(LocalFree lf, TaskImpl<?> t) {
        int idx = lf != null && lf.size > 0 ? lf.stack[--lf.size] : take(lf);
        AtomicReferenceArray<TaskImpl<?>> seg = segments[idx >>> segShift];
        t.slot = idx;
        seg.set(idx & segMask, t); // volatile: pairs with the scan in closeAndSnapshot
        if (closed) {
            // The task has not started, so nothing else touches its slot. A closing scan that saw it
            // aborts a task that then ends as cancelled: harmless.
            seg.set(idx & segMask, null);
            t.slot = -1;
            giveTo(lf, idx);
            return false;
        }
        if (lf != null) {
            lf.addLive(1);
            lf.countAdd();
        } else {
            sharedLive.incrementAndGet();
            sharedAdded.incrementAndGet();
        }
        return true;
    }

    /**
     * Removes a task (no-op if absent). Called at most once per added task, by the thread that ends it
     * (its body's end, or the spawn that failed to start it), so the slot is the task's own: a release
     * store frees it. A CAS here cost 8 % of a 100 000-sleeper profile: with that many live tasks the
     * slot's line is rarely in cache, and a locked instruction waits for it where a store does not.
     *
     * @param t the task
     */
    public void remove(TaskImpl<?> t) {
        int idx = t.slot;
        if (idx < 0) {
            return;
        }
        segments[idx >>> segShift].setRelease(idx & segMask, null);
        t.slot = -1;
        LocalFree lf = localFree();
        if (lf != null) {
            lf.addLive(-1);
            giveTo(lf, idx);
            return;
        }
        LocalFree stripe = lockStripe();
        if (stripe == null) {
            sharedLive.decrementAndGet();
            giveTo(null, idx);
            return;
        }
        try {
            stripe.addLive(-1);
            giveTo(stripe, idx);
        } finally {
            stripe.unlock();
        }
    }

    private void giveTo(LocalFree lf, int idx) {
        if (lf == null) {
            lock();
            try {
                pushPool(idx);
            } finally {
                unlock();
            }
            return;
        }
        if (lf.size == lf.stack.length) {
            lock();
            try {
                for (int i = 0; i < batch; i++) {
                    pushPool(lf.stack[--lf.size]);
                }
            } finally {
                unlock();
            }
        }
        lf.stack[lf.size++] = idx;
    }

    private void pushPool(int idx) {
        if (poolSize == pool.length) {
            pool = Arrays.copyOf(pool, pool.length * 2);
        }
        pool[poolSize++] = idx;
    }

    /** Takes a free index, refilling the carrier's cache with a batch. */
    private int take(LocalFree lf) {
        lock();
        try {
            int want = lf == null ? 1 : batch;
            int got = 0;
            int first = -1;
            while (got < want) {
                int idx;
                if (poolSize > 0) {
                    idx = pool[--poolSize];
                } else {
                    idx = freshIndex();
                }
                if (first < 0) {
                    first = idx;
                } else {
                    lf.stack[lf.size++] = idx;
                }
                got++;
            }
            return first;
        } finally {
            unlock();
        }
    }

    private void lock() {
        while (!lock.compareAndSet(false, true)) {
            Thread.onSpinWait();
        }
    }

    private void unlock() {
        lock.set(false);
    }

    private int freshIndex() {
        int idx = fresh++;
        AtomicReferenceArray<TaskImpl<?>>[] segs = segments;
        if ((idx >>> segShift) >= segs.length) {
            AtomicReferenceArray<TaskImpl<?>>[] grown = Arrays.copyOf(segs, segs.length + 1);
            grown[segs.length] = new AtomicReferenceArray<>(segSize);
            segments = grown; // volatile publish, before any task is stored at idx
        }
        return idx;
    }

    /** {@return the number of live tasks} */
    public long size() {
        long n = sharedLive.get();
        for (LocalFree lf : caches) {
            n += lf.live();
        }
        return Math.max(0, n);
    }

    /** {@return how many tasks were ever added} */
    public long added() {
        long n = sharedAdded.get();
        for (LocalFree lf : caches) {
            n += lf.added;
        }
        return n;
    }

    /**
     * {@return the virtual threads of the live tasks now} (for thread dumps: Weft's thread container
     * lists them, since it records nothing per thread itself)
     */
    public java.util.stream.Stream<Thread> virtualThreads() {
        return scan().stream().map(TaskImpl::thread)
            .filter(t -> t != null && t.isVirtual() && t.isAlive());
    }

    /** {@return the live tasks now} */
    public List<TaskImpl<?>> snapshot() {
        return scan();
    }

    /** Refuses further adds and {@return the live tasks} */
    public List<TaskImpl<?>> closeAndSnapshot() {
        closed = true;
        return scan();
    }

    private List<TaskImpl<?>> scan() {
        List<TaskImpl<?>> all = new ArrayList<>();
        for (AtomicReferenceArray<TaskImpl<?>> seg : segments) {
            for (int i = 0; i < segSize; i++) {
                TaskImpl<?> t = seg.get(i);
                if (t != null) {
                    all.add(t);
                }
            }
        }
        return all;
    }
}
