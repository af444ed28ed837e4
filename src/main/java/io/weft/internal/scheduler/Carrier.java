package io.weft.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.SpmcVarHandleArrayQueue;

/**
 * One carrier: a platform thread that runs virtual-thread continuations for a {@link WeftScheduler}.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm (Tokio's multi_thread worker loop):
 *   loop: tick++; maintenance every eventInterval ticks;
 *         every globalQueueInterval ticks: local queue empty ? run the head of an inject batch
 *                                                          : move an inject batch to the queue's back;
 *         task = LIFO slot ?: local queue ?: inject batch
 *         ?: steal half of a random victim's queue (only while fewer than half the carriers search)
 *         run it, then up to MAX_LIFO_POLLS continuations it woke into the LIFO slot; else park.
 *   Submissions from a virtual thread mounted here (spawn, unpark) go to the LIFO slot, the previous
 *   occupant to the back of the local queue. Submissions made in this carrier's own context are
 *   yields (Thread.yield, or a park that raced with its unpark): they go to the back of the queue,
 *   behind queued work, as Tokio defers yielded tasks.
 *
 * Fields: lifo, lifoEnabled, tick, searching and the counters are written only by this carrier's OS
 *   thread: either the carrier itself, or a virtual thread mounted on it, whose continuation is pinned
 *   for the duration of execute(). Mount and unmount are ordered by the virtual thread's state CAS, so
 *   these plain fields need no further synchronisation. The local queue is a JCTools SPMC array
 *   queue: this carrier is its single producer; it and thieves are consumers.
 *   sleeping is written under the Idle monitor and read here in the park loop (volatile).
 *
 * Metrics are published with opaque stores (single writer), read with opaque loads.
 * </pre>
 */
public final class Carrier extends Thread {
    /** LIFO polls per tick before the slot is disabled (Tokio's MAX_LIFO_POLLS_PER_TICK). */
    static final int MAX_LIFO_POLLS = 3;
    /** Search rounds before parking; see {@link #stealWork()}. */
    static final int SPIN_ROUNDS = Integer.getInteger("weft.spinRounds", 32);
    private static final int SPINS_PER_ROUND = 8;

    private static final VarHandle POLL_COUNT;
    private static final VarHandle STEAL_COUNT;
    private static final VarHandle PARK_COUNT;
    private static final VarHandle BUSY_NANOS;
    private static final VarHandle PARKED;
    private static final VarHandle CORE_YIELDS;
    private static final VarHandle OVERFLOW_COUNT;
    private static final VarHandle UNPARKED_AT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            POLL_COUNT = l.findVarHandle(Carrier.class, "pollCount", long.class);
            STEAL_COUNT = l.findVarHandle(Carrier.class, "stealCount", long.class);
            PARK_COUNT = l.findVarHandle(Carrier.class, "parkCount", long.class);
            BUSY_NANOS = l.findVarHandle(Carrier.class, "busyNanos", long.class);
            PARKED = l.findVarHandle(Carrier.class, "parked", boolean.class);
            CORE_YIELDS = l.findVarHandle(Carrier.class, "coreYields", long.class);
            OVERFLOW_COUNT = l.findVarHandle(Carrier.class, "overflowCount", long.class);
            UNPARKED_AT = l.findVarHandle(Carrier.class, "unparkedAt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final WeftScheduler scheduler;
    final int index;
    final SpmcVarHandleArrayQueue<Runnable> queue;
    private final int capacity;
    private final int globalQueueInterval;
    private final int eventInterval;
    private final boolean lifoConfigured;

    // Written only by this carrier's OS thread (see overview).
    private Runnable lifo;
    /** Odd while a channel send window is open on this carrier; see {@link SendGate}. */
    volatile long gateSeq;
    private boolean lifoEnabled;
    private int tick;
    private boolean searching;
    private int seed;
    private int budget;
    private boolean injectFirst;
    /** Set by {@link Coop#yieldBehindInjected()} for the next yield only. */
    boolean yieldBehindInject;

    /** Per-carrier cache owned by the runtime's task registry; touched only by this carrier's OS thread. */
    public Object registryCache;

    /** True while parked in the sleeper stack; written under the Idle monitor. */
    volatile boolean sleeping;

    // Metrics: single writer, opaque access.
    @SuppressWarnings("unused") private long pollCount;
    @SuppressWarnings("unused") private long stealCount;
    @SuppressWarnings("unused") private long parkCount;
    @SuppressWarnings("unused") private long busyNanos;
    @SuppressWarnings("unused") private long overflowCount;
    @SuppressWarnings("unused") private boolean parked;
    @SuppressWarnings("unused") private long unparkedAt;

    Carrier(WeftScheduler scheduler, int index, SchedulerConfig config) {
        super(null, null, config.threadNamePrefix() + index, 0, false);
        setDaemon(true);
        this.scheduler = scheduler;
        this.index = index;
        this.capacity = config.localQueueCapacity();
        this.queue = new SpmcVarHandleArrayQueue<>(capacity);
        this.globalQueueInterval = config.globalQueueInterval();
        this.eventInterval = config.eventInterval();
        this.lifoConfigured = config.lifoSlot();
        this.lifoEnabled = lifoConfigured;
        this.seed = 0x9E3779B9 * (index + 1);
    }

    @Override
    public void run() {
        SchedulerConfig config = scheduler.config;
        runHook(config.onThreadStart());
        UNPARKED_AT.setOpaque(this, System.nanoTime());
        SendGate.register(this);
        try {
            loop();
        } finally {
            SendGate.deregister(this);
            scheduler.carrierExited(this);
            runHook(config.onThreadStop());
        }
    }

    private void loop() {
        final WeftScheduler sched = scheduler;
        while (sched.runState == WeftScheduler.RUNNING) {
            int t = ++tick;
            if (t % eventInterval == 0) {
                maintenance();
            }
            Runnable r = nextTask(t);
            if (r == null) {
                r = stealWork();
            }
            if (r != null) {
                runTask(r);
            } else {
                park();
            }
        }
    }

    /**
     * After running this long without parking, a carrier gives its core to the OS scheduler once, at
     * its next maintenance tick ({@code -Dweft.osYieldMicros}, default 200; 0 turns it off).
     *
     * <p>A carrier that polls I/O itself can keep finding work for as long as readiness keeps
     * coming, and never sleeps. Another thread that wants its core (a load generator, a sidecar,
     * another process) then waits for the kernel to preempt the carrier at the end of its slice, a
     * millisecond or more on this kind of machine, and that wait lands in every round trip it is part
     * of. A {@code Thread.yield()} of the carrier's own OS thread ({@code sched_yield}) hands the core
     * over early; with nobody waiting it returns at once, about a microsecond per 200 µs of running.
     * Measured in docs/benchmarks.md ("a carrier that never sleeps"), two cores shared by server and
     * client: p99 a third lower on echo at 64 connections and on HTTP, HTTP requests a second level or
     * higher; echo throughput at 64 connections up to 15 % lower in some rounds, since the core is
     * handed over with fewer ready connections batched per stretch.
     */
    static final long OS_YIELD_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("weft.osYieldMicros", 200));
    /** When this carrier last yielded its core (see {@link #OS_YIELD_NANOS}). */
    private long yieldedCoreAt;
    /** How many times it did (opaque, for tests and metrics readers). */
    @SuppressWarnings("unused") private long coreYields;

    /** {@return how many times this carrier gave its core to the OS scheduler (see {@link #OS_YIELD_NANOS})} */
    long coreYieldCount() {
        return (long) CORE_YIELDS.getOpaque(this);
    }

    private void maintenance() {
        if (OS_YIELD_NANOS > 0) {
            long now = System.nanoTime();
            if (now - Math.max(yieldedCoreAt, (long) UNPARKED_AT.getOpaque(this)) > OS_YIELD_NANOS) {
                Thread.yield(); // on the carrier's own thread, outside any task: the OS's yield, not a virtual thread's
                yieldedCoreAt = System.nanoTime();
                CORE_YIELDS.setOpaque(this, (long) CORE_YIELDS.getOpaque(this) + 1);
            }
        }
        // Metrics are published as they change. I/O: look at the selector every eventInterval ticks, so
        // a carrier busy with ready tasks still picks up readiness (Tokio's maintenance poll of the driver).
        IoPoller io = scheduler.io;
        if (io != null) {
            io.pollNow(index);
        }
        // Timers likewise: what falls due wakes into this carrier's queue (Tokio's workers drive the timer).
        java.util.function.BooleanSupplier timers = scheduler.timers;
        if (timers != null) {
            timers.getAsBoolean();
        }
    }

    private Runnable nextTask(int t) {
        if (injectFirst || t % globalQueueInterval == 0) {
            injectFirst = false;
            boolean empty = queue.isEmpty();
            if (empty || freeSlots() == 0) {
                // Empty: nothing to overtake. Full: the head runs now, out of order, because waiting
                // for room could wait forever (tasks that yield in a loop keep a full queue full).
                // A full queue does not wait for a sibling that holds the inject queue: it has work.
                Runnable r = empty ? scheduler.pollInjectBatch(this) : scheduler.tryPollInjectBatch(this);
                if (r != null) {
                    return r;
                }
            } else {
                // Local work is queued: the remote batch goes behind it rather than ahead. Remote work
                // still cannot starve (it runs after at most a queue's worth of local tasks), and work
                // that came through the inject queue keeps its order: earlier batches already sit in
                // this queue, so running this batch's head now would overtake them (a timer's wake-ups
                // fired in deadline order would run out of order).
                scheduler.pollInjectBatchToQueue(this);
            }
        }
        Runnable r = lifo;
        if (r != null) {
            lifo = null;
            return r;
        }
        r = queue.poll();
        if (r != null) {
            return r;
        }
        return scheduler.pollInjectBatch(this);
    }

    /**
     * Looks for work on other carriers and in the inject queue, spinning briefly before giving up.
     *
     * <p>While a carrier spins it counts as searching (or, alone, as unparked), so submitters do not
     * pay for a futex wake-up and the spinner picks their work up within a microsecond or so; a
     * parked carrier costs a system call on each side. Go's scheduler spins the same way; Tokio does
     * one pass. The budget ({@code weft.spinRounds}, default 32 rounds, tens of microseconds) is a
     * first guess, not yet tuned by an ablation benchmark.
     */
    private Runnable stealWork() {
        final Carrier[] all = scheduler.carriers;
        final int n = all.length;
        if (!searching) {
            // A lone carrier searches too: as the last searcher it re-checks the queues before it
            // parks, which is what keeps a remote spawn racing with its park from being lost.
            searching = scheduler.idle.transitionToSearching();
            if (!searching) {
                return null;
            }
        }
        for (int round = 0; ; round++) {
            if (n > 1) {
                int start = nextRandom(n);
                for (int i = 0; i < n; i++) {
                    Carrier victim = all[(start + i) % n];
                    if (victim != this) {
                        Runnable r = stealFrom(victim);
                        if (r != null) {
                            return r;
                        }
                    }
                }
            }
            Runnable r = scheduler.pollInjectBatch(this);
            if (r == null && (round & 7) == 0) {
                // Out of tasks: poll the selector and the timers; what they wake lands in this carrier's queue.
                IoPoller io = scheduler.io;
                java.util.function.BooleanSupplier timers = scheduler.timers;
                if ((io != null && io.pollAny(index)) | (timers != null && timers.getAsBoolean())) {
                    r = queue.poll();
                }
            }
            if (r != null || round >= SPIN_ROUNDS || scheduler.runState != WeftScheduler.RUNNING) {
                return r;
            }
            for (int k = 0; k < SPINS_PER_ROUND; k++) {
                Thread.onSpinWait();
            }
        }
    }

    /** Takes half (rounded up) of {@code victim}'s queue; returns one task and queues the rest here. */
    private Runnable stealFrom(Carrier victim) {
        final SpmcVarHandleArrayQueue<Runnable> mine = queue;
        int free = capacity - mine.size();
        if (free < capacity / 2) {
            return null; // Tokio: do not steal into a queue that is already more than half full
        }
        int available = victim.queue.size();
        if (available == 0) {
            return null;
        }
        int n = Math.min(available - available / 2, free);
        Runnable first = victim.queue.poll();
        if (first == null) {
            return null;
        }
        int taken = 1;
        for (; taken < n; taken++) {
            Runnable r = victim.queue.poll();
            if (r == null) {
                break;
            }
            mine.offer(r); // cannot fail: n <= free and only this carrier produces into its queue
        }
        STEAL_COUNT.setOpaque(this, (long) STEAL_COUNT.getOpaque(this) + taken);
        return first;
    }

    private void runTask(Runnable r) {
        if (searching) {
            searching = false;
            if (scheduler.idle.transitionFromSearching()) {
                // The last searcher to find work wakes one more carrier (Tokio's chain ramp-up).
                scheduler.idle.notifyParked();
            }
        }
        lifoEnabled = lifoConfigured;
        runOne(r);
        int lifoPolls = 0;
        Runnable next;
        while ((next = lifo) != null) {
            lifo = null;
            if (++lifoPolls >= MAX_LIFO_POLLS) {
                // Two tasks that wake each other would otherwise starve the queue.
                lifoEnabled = false;
            }
            runOne(next);
        }
    }

    private void runOne(Runnable r) {
        POLL_COUNT.setOpaque(this, (long) POLL_COUNT.getOpaque(this) + 1);
        budget = Coop.BUDGET;
        try {
            r.run();
        } catch (Throwable t) {
            // runContinuation does not throw; if it ever does, the carrier survives it.
            scheduler.reportInternalError(t);
        }
    }

    /**
     * Schedules a continuation submitted on this carrier's OS thread.
     *
     * @param r the continuation
     * @param isYield true when submitted in the carrier's own context (a yield)
     */
    void scheduleLocal(Runnable r, boolean isYield) {
        if (isYield && yieldBehindInject) {
            // Time.advance: queue behind the wake-ups it just caused (they sit in the inject queue),
            // and pick from the inject queue next, so the woken tasks run before advance returns.
            yieldBehindInject = false;
            injectFirst = true;
            scheduler.scheduleRemote(r);
            return;
        }
        if (isYield || !lifoEnabled) {
            pushBack(r);
        } else {
            Runnable prev = lifo;
            lifo = r;
            if (prev == null) {
                return;
            }
            pushBack(prev);
        }
        // Wake a parked carrier only for work beyond the one task this carrier runs next (Tokio's
        // should_notify_others rule: lifo + local > 1). A chain of spawns or a ping-pong keeps one task
        // queued at a time; waking a sibling for it costs a futex call on every hop and gains nothing.
        // If this carrier then stays stuck in one continuation, the monitor wakes a sibling to steal.
        if (queue.size() + (lifo != null ? 1 : 0) > 1) {
            scheduler.idle.notifyParked();
        }
    }

    private void pushBack(Runnable r) {
        if (!queue.offer(r)) {
            overflow(r);
        }
    }

    /** The local queue is full: move its older half to the inject queue in one batch. */
    private void overflow(Runnable r) {
        OVERFLOW_COUNT.setOpaque(this, (long) OVERFLOW_COUNT.getOpaque(this) + 1);
        scheduler.injectHalfOf(queue, capacity / 2);
        if (!queue.offer(r)) {
            scheduler.scheduleRemote(r);
        }
    }

    private void park() {
        if (lifo != null || !queue.isEmpty()) {
            return;
        }
        final WeftScheduler sched = scheduler;
        boolean wasSearching = searching;
        searching = false;
        if (sched.idle.transitionToParked(this, wasSearching) && sched.hasPendingWork()) {
            // The last searcher re-checks every queue: a submitter may have seen it searching and not notified.
            sched.idle.notifyParked();
        }
        Runnable quiescent = sched.onQuiescent;
        if (quiescent != null && sched.idle.unparkedCount() == 0) {
            quiescent.run();
        }
        long now = System.nanoTime();
        BUSY_NANOS.setOpaque(this, (long) BUSY_NANOS.getOpaque(this) + (now - (long) UNPARKED_AT.getOpaque(this)));
        PARK_COUNT.setOpaque(this, (long) PARK_COUNT.getOpaque(this) + 1);
        PARKED.setOpaque(this, true);
        runHook(sched.config.onThreadPark());
        boolean selfWoken = tryParkInPoller(sched);
        while (!selfWoken && sleeping && sched.runState == WeftScheduler.RUNNING) {
            LockSupport.park(this);
            IoPoller io = sched.io;
            if (sleeping && io != null && io.parksEveryCarrier()) {
                // Still parked, and the reactor (opened since, or with time resumed) gives this carrier
                // a set of its own: wait there, or readiness in it would wait for the driver thread's
                // stale look (WeftScheduler#pokeParked). A spurious wake-up costs the same check.
                selfWoken = tryParkInPoller(sched);
            }
        }
        runHook(sched.config.onThreadUnpark());
        UNPARKED_AT.setOpaque(this, System.nanoTime());
        PARKED.setOpaque(this, false);
        // notifyParked counted this carrier as searching when it woke it; readiness did not.
        searching = !selfWoken;
        IoPoller io = sched.io;
        if (io != null) {
            io.carrierWoke();
        }
    }

    private boolean tryParkInPoller(WeftScheduler sched) {
        IoPoller io = sched.io;
        return (sched.parkInPoller != WeftScheduler.PARK_IN_POLLER_OFF || (io != null && io.parksEveryCarrier()))
            && parkInPoller(sched, io);
    }

    /**
     * Wakes this carrier's OS thread if it is parked, without unparking it in the scheduler's
     * accounting; see {@link #park}. It reads {@code sleeping}, which the carrier sets (volatile)
     * before it reads the reactor and the clock, so a carrier on its way to park either sees what the
     * poker changed or gets the wake-up. A carrier inside the driver's wait gets one too: it may be
     * about to leave it (woken while time was paused) and park outside its set; the extra pass of
     * its retry loop costs nothing else.
     */
    void poke() {
        if (sleeping) {
            LockSupport.unpark(this);
        }
    }

    /**
     * Parks waiting in the I/O driver, if it lets one carrier do so and no other does (Tokio: the
     * parked worker that holds the driver). Readiness then wakes tasks straight into this carrier's
     * queue, with no driver thread in between; a notifier that wakes this carrier also wakes the
     * driver's wait ({@link #unparkCarrier}).
     *
     * <p>Lost wake-up: this carrier writes {@code inPoller}, then reads {@code sleeping} before each
     * wait; a notifier writes {@code sleeping}, then reads {@code inPoller} and wakes the driver's
     * wait. Both are volatile, so one of the two sees the other's write.
     *
     * @return true if readiness woke it (it has left the sleeper stack itself); false if it is still
     *     parked (the caller parks as usual) or a notifier woke it
     */
    private boolean parkInPoller(WeftScheduler sched, IoPoller io) {
        java.util.function.BooleanSupplier allowed = sched.parkInPollerAllowed;
        if (io == null || (allowed != null && !allowed.getAsBoolean()) || !stillParkedInPoller()
                || !io.enterParkedPoll(this, index)) {
            return false;
        }
        inPoller = true;
        try {
            while (stillParked.getAsBoolean() && sched.runState == WeftScheduler.RUNNING
                    && (allowed == null || allowed.getAsBoolean())) {
                int r = io.parkedPoll(index, stillParked);
                if (r < 0) {
                    return false;
                }
                if (r > 0 && (lifo != null || !queue.isEmpty())) {
                    return sched.idle.unparkSelf(this);
                }
            }
            return false;
        } finally {
            inPoller = false;
            io.leaveParkedPoll(index);
        }
    }

    /**
     * While true, the parked poller keeps waiting in the driver. In mode {@code last} only the last
     * carrier to park waits there, and only while every carrier stays parked: once a sibling wakes,
     * the awake carriers poll between tasks (in batches) and this one parks as usual, as the driver
     * thread hands polling back. In mode {@code any} (Tokio's way) a carrier waits there whenever
     * one parks, and busy siblings cannot poll past its wait.
     */
    private final java.util.function.BooleanSupplier stillParked = this::stillParkedInPoller;

    private boolean stillParkedInPoller() {
        if (!sleeping) {
            return false;
        }
        if (scheduler.parkInPoller != WeftScheduler.PARK_IN_POLLER_LAST) {
            return true;
        }
        IoPoller io = scheduler.io;
        return (io != null && io.parksEveryCarrier()) || scheduler.idle.unparkedCount() == 0;
    }
    /** True while this carrier parks inside the I/O driver's wait; see {@link #parkInPoller}. */
    volatile boolean inPoller;

    /**
     * Spends one unit of the running task's budget.
     *
     * @return true when it ran out (then it is refilled) and other work waits for this carrier: in its
     *     LIFO slot, its queue or the inject queue. With nothing else to run, a yield would only resume
     *     the same task, at the price of an unmount and a mount.
     */
    boolean spendBudget() {
        if (--budget > 0) {
            return false;
        }
        budget = Coop.BUDGET;
        return lifo != null || !queue.isEmpty() || scheduler.hasInjected();
    }

    void unparkCarrier() {
        LockSupport.unpark(this);
        if (inPoller && Thread.currentThread() != this) {
            IoPoller io = scheduler.io;
            if (io != null) {
                io.wakeParkedPoller(index);
            }
        }
    }

    /** Moves everything queued here to {@code sink}; called by this carrier as it exits. */
    void drainTo(java.util.function.Consumer<Runnable> sink) {
        Runnable r = lifo;
        lifo = null;
        if (r != null) {
            sink.accept(r);
        }
        while ((r = queue.poll()) != null) {
            sink.accept(r);
        }
    }

    int freeSlots() {
        return capacity - queue.size();
    }

    private int nextRandom(int bound) {
        int x = seed;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        seed = x;
        return (x & Integer.MAX_VALUE) % bound;
    }

    private void runHook(Runnable hook) {
        if (hook != null) {
            try {
                hook.run();
            } catch (Throwable t) {
                scheduler.reportInternalError(t);
            }
        }
    }

    // ---- metrics (read from any thread) ----

    long pollCount() {
        return (long) POLL_COUNT.getOpaque(this);
    }

    long stealCount() {
        return (long) STEAL_COUNT.getOpaque(this);
    }

    long parkCount() {
        return (long) PARK_COUNT.getOpaque(this);
    }

    long overflowCount() {
        return (long) OVERFLOW_COUNT.getOpaque(this);
    }

    /** {@return true if work is queued here (read by the monitor; racy)} */
    boolean hasQueuedWork() {
        return !queue.isEmpty();
    }

    boolean isParked() {
        return (boolean) PARKED.getOpaque(this);
    }

    /** {@return time spent unparked, including the current stint if the carrier is busy now} */
    long busyNanos() {
        long busy = (long) BUSY_NANOS.getOpaque(this);
        if (!isParked()) {
            busy += Math.max(0, System.nanoTime() - (long) UNPARKED_AT.getOpaque(this));
        }
        return busy;
    }

    int localQueueDepth() {
        return queue.size();
    }
}
