package io.weft.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jctools.queues.varhandle.MpscUnboundedVarHandleArrayQueue;
import org.jctools.queues.varhandle.SpmcVarHandleArrayQueue;

/**
 * Weft's carrier scheduler: the {@link Executor} that Weft's virtual threads submit their continuations to.
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm (Tokio's multi-thread scheduler, re-done for continuations; see docs/ARCHITECTURE.md):
 *   execute(r):
 *     on a carrier of ours, in its own context   -> a yield: back of that carrier's local queue
 *     from a virtual thread mounted on our carrier -> that carrier's LIFO slot (spawn, wake-up)
 *     from anywhere else (other carriers, JDK timer/unblocker/poller threads, platform threads)
 *                                                -> the global inject queue, then wake one idle carrier
 *   Each carrier (Carrier.loop) takes from its LIFO slot and local queue, checks the inject queue every
 *   globalQueueInterval ticks (taking a batch), steals half a random victim's queue when out of work,
 *   and parks when there is none. Idle tracks who is parked and searching so that a submission wakes
 *   at most one carrier and the last searcher to find work wakes the next.
 *
 * Queues: local run queues are JCTools SPMC arrays (owner produces; owner and thieves consume). The
 *   inject queue is a JCTools MPSC unbounded array; its single-consumer side is guarded by injectLock,
 *   a CAS flag held only while a carrier pulls a batch (Tokio guards its inject list with a mutex).
 *
 * Shutdown: stop() sets runState STOPPING and wakes every carrier; each carrier leaves its loop after
 *   the continuation it is running and hands what it holds to the LateExecutor. The last carrier sets
 *   STOPPED and drains the inject queue there too. A remote submission publishes to the inject queue,
 *   then reads runState; the last carrier writes runState, then drains. Both are sequentially
 *   consistent, so every continuation is run somewhere: execute() never throws and never drops work.
 *
 * Memory ordering: runState is volatile. Queue publication is JCTools' (release store of the element
 *   / index). Idle's notify reads state through a full fence after publication (see Idle).
 * </pre>
 */
public final class WeftScheduler implements Executor {
    static final int RUNNING = 0;
    static final int STOPPING = 1;
    static final int STOPPED = 2;

    private static final int MAX_INJECT_BATCH = 128;
    private static final VarHandle INJECT_LOCK;

    static {
        try {
            INJECT_LOCK = MethodHandles.lookup().findVarHandle(WeftScheduler.class, "injectLock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final SchedulerConfig config;
    final Carrier[] carriers;
    final Idle idle;
    private final MpscUnboundedVarHandleArrayQueue<Runnable> inject;
    private final int workers;
    private final int maxBatch;
    private final AtomicInteger liveCarriers;
    private final LongAdder remoteSchedules = new LongAdder();
    private final LongAdder lateSchedules = new LongAdder();
    private final Monitor monitor;

    volatile int runState;
    /** The runtime this scheduler serves; lets code on a carrier find its runtime. */
    public volatile Object owner;
    /** Run by the last carrier to park (the time driver's auto-advance listens), or null. */
    public volatile Runnable onQuiescent;
    /** The runtime's I/O driver once it has one (sockets opened), polled by the carriers. */
    public volatile IoPoller io;
    /** {@link #parkInPoller}: carriers park on their own; the driver thread waits in the I/O driver. */
    public static final int PARK_IN_POLLER_OFF = 0;
    /** {@link #parkInPoller}: the last carrier to park waits in the I/O driver while all stay parked. */
    public static final int PARK_IN_POLLER_LAST = 1;
    /** {@link #parkInPoller}: one parked carrier always waits in the I/O driver (Tokio's way). */
    public static final int PARK_IN_POLLER_ANY = 2;

    /**
     * Whether an idle carrier waits inside the I/O driver instead of the driver thread, from
     * {@code -Dweft.io.parkInPoller=false|last|any} when the runtime is built. Off by default: in
     * the echo benchmark (docs/benchmarks.md) waiting in the driver gave the same throughput and a
     * p99 twice as high at 64 connections as leaving the idle wait to the driver thread.
     */
    public final int parkInPoller = parkInPollerMode(System.getProperty("weft.io.parkInPoller", "false"));

    static int parkInPollerMode(String s) {
        return switch (s) {
            case "last", "true" -> PARK_IN_POLLER_LAST;
            case "any" -> PARK_IN_POLLER_ANY;
            default -> PARK_IN_POLLER_OFF;
        };
    }

    /** While false (the clock is paused), no carrier parks inside the I/O driver; null: always allowed. */
    public volatile java.util.function.BooleanSupplier parkInPollerAllowed;
    /**
     * The runtime's timers as the carriers see them: fires due timers into the calling carrier's own
     * queue and returns true if it fired any (null until the runtime sets it).
     */
    public volatile java.util.function.BooleanSupplier timers;
    @SuppressWarnings("unused") private volatile int injectLock;

    /**
     * Creates a scheduler; {@link #start()} starts its carriers.
     *
     * @param config the settings
     */
    public WeftScheduler(SchedulerConfig config) {
        this.config = config;
        this.workers = config.workers();
        this.carriers = new Carrier[workers];
        for (int i = 0; i < workers; i++) {
            carriers[i] = new Carrier(this, i, config);
        }
        this.idle = new Idle(carriers);
        this.inject = new MpscUnboundedVarHandleArrayQueue<>(1024);
        this.maxBatch = Math.min(MAX_INJECT_BATCH, config.localQueueCapacity() / 2);
        this.liveCarriers = new AtomicInteger(workers);
        this.monitor = new Monitor(this);
    }

    /** Starts the carriers and the stall monitor. */
    public void start() {
        for (Carrier c : carriers) {
            c.start();
        }
        monitor.start();
    }

    @Override
    public void execute(Runnable r) {
        if (r == null) {
            throw new NullPointerException("continuation");
        }
        final Thread t = Thread.currentThread();
        if (t instanceof Carrier c) {
            if (c.scheduler == this) {
                c.scheduleLocal(r, true);
                return;
            }
        } else if (t.isVirtual() && VirtualThreads.currentCarrier() instanceof Carrier c && c.scheduler == this) {
            c.scheduleLocal(r, false);
            return;
        }
        scheduleRemote(r);
    }

    /** Pushes to the inject queue and wakes a carrier; never throws. */
    void scheduleRemote(Runnable r) {
        inject.offer(r);
        remoteSchedules.increment();
        if (runState == STOPPED) {
            drainInjectToLate();
            return;
        }
        idle.notifyParkedAfterRmw();
    }

    /**
     * Takes a batch from the inject queue: the first task is returned, the rest go to {@code c}'s local
     * queue (Tokio: {@code len / workers + 1}, at most 128 and what fits).
     */
    Runnable pollInjectBatch(Carrier c) {
        return pollInjectBatch(c, true, true);
    }

    /** Moves a batch from the inject queue to the back of {@code c}'s local queue, which has room. */
    void pollInjectBatchToQueue(Carrier c) {
        pollInjectBatch(c, false, false);
    }

    /**
     * Like {@link #pollInjectBatch(Carrier)}, for a carrier that has local work to go on with: if
     * another carrier holds the inject queue it gives up at once rather than wait (that carrier is
     * draining the queue anyway). Spinning there cost 4 % of a profile whose local queues overflowed
     * into the inject queue all the time.
     */
    Runnable tryPollInjectBatch(Carrier c) {
        return pollInjectBatch(c, true, false);
    }

    private Runnable pollInjectBatch(Carrier c, boolean runFirst, boolean wait) {
        final MpscUnboundedVarHandleArrayQueue<Runnable> q = inject;
        if (q.isEmpty()) {
            return null;
        }
        while (!INJECT_LOCK.compareAndSet(this, 0, 1)) {
            if (!wait || q.isEmpty()) {
                return null;
            }
            Thread.onSpinWait();
        }
        try {
            Runnable first = q.poll();
            if (first == null) {
                return null;
            }
            int n = Math.min(q.size() / workers + 1, Math.min(c.freeSlots(), maxBatch));
            if (!runFirst) {
                c.queue.offer(first); // the caller checked there is room
                n--;
            }
            for (int i = runFirst ? 1 : 0; i < n; i++) {
                Runnable r = q.poll();
                if (r == null) {
                    break;
                }
                c.queue.offer(r);
            }
            return runFirst ? first : null;
        } finally {
            INJECT_LOCK.setRelease(this, 0);
        }
    }

    /** Moves {@code n} tasks from a full local queue (its owner calling) to the inject queue. */
    void injectHalfOf(SpmcVarHandleArrayQueue<Runnable> local, int n) {
        for (int i = 0; i < n; i++) {
            Runnable r = local.poll();
            if (r == null) {
                break;
            }
            inject.offer(r);
        }
        idle.notifyParked(); // the loop may have offered nothing: keep the fence
    }

    /**
     * Moves parked carriers into the I/O driver's wait when it has one per carrier: called when the
     * reactor opens and when paused time resumes, since a carrier that parked before (or during the
     * pause) waits outside its epoll set. Each stays parked and looks at nothing else.
     */
    public void pokeParked() {
        IoPoller poller = io;
        if (poller == null || !poller.parksEveryCarrier()) {
            return; // only carriers with a set of their own wait anywhere but in LockSupport.park
        }
        for (Carrier c : carriers) {
            c.poke();
        }
    }

    /** {@return true when every carrier is parked (a snapshot: one may wake right after)} */
    public boolean allCarriersParked() {
        return idle.unparkedCount() == 0;
    }

    /** {@return true when every carrier is parked and no continuation is queued anywhere} */
    public boolean isQuiescent() {
        // Not one atomic read: a carrier could wake and empty the queues between the two checks, so
        // bracket them with the wake epoch (the paused clock must not jump while a task is runnable).
        int epoch = idle.wakeEpoch();
        if (idle.unparkedCount() != 0 || hasPendingWork()) {
            return false;
        }
        return idle.wakeEpoch() == epoch && idle.unparkedCount() == 0;
    }

    boolean hasInjected() {
        return !inject.isEmpty();
    }

    boolean hasPendingWork() {
        if (!inject.isEmpty()) {
            return true;
        }
        for (Carrier c : carriers) {
            if (!c.queue.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the carriers. Each leaves its loop after the continuation it is running; whatever is still
     * queued, or submitted later, runs on the {@link LateExecutor}.
     */
    public void stop() {
        if (runState != RUNNING) {
            return;
        }
        runState = STOPPING;
        idle.unparkAll();
        for (Carrier c : carriers) {
            c.unparkCarrier();
        }
        monitor.stop();
    }

    /**
     * Waits for the carriers to exit.
     *
     * @param nanos the longest wait
     * @return true if every carrier exited
     */
    public boolean awaitCarriers(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (Carrier c : carriers) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !anyCarrierAlive();
            }
            try {
                c.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !anyCarrierAlive();
            }
        }
        return !anyCarrierAlive();
    }

    private boolean anyCarrierAlive() {
        for (Carrier c : carriers) {
            if (c.isAlive()) {
                return true;
            }
        }
        return false;
    }

    void carrierExited(Carrier c) {
        c.drainTo(this::late);
        if (liveCarriers.decrementAndGet() == 0) {
            runState = STOPPED;
            drainInjectToLate();
        }
    }

    private void drainInjectToLate() {
        while (!inject.isEmpty()) {
            if (!INJECT_LOCK.compareAndSet(this, 0, 1)) {
                Thread.onSpinWait();
                continue;
            }
            try {
                Runnable r;
                while ((r = inject.poll()) != null) {
                    late(r);
                }
            } finally {
                INJECT_LOCK.setRelease(this, 0);
            }
        }
    }

    private void late(Runnable r) {
        lateSchedules.increment();
        LateExecutor.execute(r);
    }

    void reportInternalError(Throwable t) {
        System.getLogger("io.weft").log(System.Logger.Level.ERROR, "error on a Weft carrier (the carrier survives)", t);
    }

    /** {@return the scheduler whose carrier the calling thread is or runs on, or null} */
    public static WeftScheduler current() {
        Thread t = Thread.currentThread();
        if (t instanceof Carrier c) {
            return c.scheduler;
        }
        if (t.isVirtual() && VirtualThreads.currentCarrier() instanceof Carrier c) {
            return c.scheduler;
        }
        return null;
    }

    /** {@return the carrier of this scheduler that the calling thread is or runs on, or null} */
    public Carrier currentCarrier() {
        Thread t = Thread.currentThread();
        Carrier c = t instanceof Carrier cc ? cc
            : t.isVirtual() && VirtualThreads.currentCarrier() instanceof Carrier cc ? cc : null;
        return c != null && c.scheduler == this ? c : null;
    }

    // ---- metrics ----

    /** {@return the number of carriers} */
    public int workerCount() {
        return workers;
    }

    /** {@return continuations waiting in the inject queue} */
    public int globalQueueDepth() {
        return inject.size();
    }

    /** {@return continuations submitted from outside the carriers} */
    public long remoteScheduleCount() {
        return remoteSchedules.sum();
    }

    /** {@return continuations run by the late executor after the carriers stopped} */
    public long lateScheduleCount() {
        return lateSchedules.sum();
    }

    /** @param i carrier index @return continuations run by carrier i */
    public long workerPollCount(int i) {
        return carriers[i].pollCount();
    }

    /**
     * {@return how many times carrier {@code i} gave its core to the OS scheduler after running long without parking}
     *
     * @param i the carrier's index
     */
    public long workerCoreYieldCount(int i) {
        return carriers[i].coreYieldCount();
    }

    /** @param i carrier index @return tasks stolen by carrier i */
    public long workerStealCount(int i) {
        return carriers[i].stealCount();
    }

    /** @param i carrier index @return times carrier i parked */
    public long workerParkCount(int i) {
        return carriers[i].parkCount();
    }

    /** @param i carrier index @return nanoseconds carrier i spent unparked */
    public long workerBusyNanos(int i) {
        return carriers[i].busyNanos();
    }

    /** @param i carrier index @return continuations in carrier i's local queue */
    public int workerLocalQueueDepth(int i) {
        return carriers[i].localQueueDepth();
    }

    /** @param i carrier index @return times carrier i's local queue overflowed */
    public long workerOverflowCount(int i) {
        return carriers[i].overflowCount();
    }

    /** @param i carrier index @return how long carrier i has been running its current continuation, 0 if none */
    public long workerCurrentPollNanos(int i) {
        return monitor.currentPollNanos(i);
    }

    /** @return the carrier threads, for tests */
    public Thread[] carrierThreads() {
        return carriers.clone();
    }

    /**
     * Samples the carriers every few milliseconds to see which one has been running one continuation
     * for long (blocking file I/O, a pinned park, a CPU loop), which the JDK cannot compensate for on
     * a custom scheduler. Carriers pay nothing for it: they publish a poll counter they keep anyway.
     */
    static final class Monitor implements Runnable {
        static final String WARN_PROP_NAME = "weft.blockedCarrierWarnMillis";
        static final long WARN_DEFAULT_MILLIS = 2000;
        private static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

        private final WeftScheduler scheduler;
        private final long[] lastPoll;
        private final long[] since;
        private final boolean[] warned;
        private final long warnNanos;
        private final Thread thread;
        private volatile boolean stopped;

        Monitor(WeftScheduler scheduler) {
            this.scheduler = scheduler;
            int n = scheduler.workers;
            this.lastPoll = new long[n];
            this.since = new long[n];
            this.warned = new boolean[n];
            this.warnNanos = TimeUnit.MILLISECONDS.toNanos(Long.getLong(WARN_PROP_NAME, WARN_DEFAULT_MILLIS));
            this.thread = Thread.ofPlatform().daemon().name(scheduler.config.threadNamePrefix() + "monitor")
                .unstarted(this);
        }

        void start() {
            thread.start();
        }

        void stop() {
            stopped = true;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            Carrier[] cs = scheduler.carriers;
            while (!stopped) {
                long now = System.nanoTime();
                for (int i = 0; i < cs.length; i++) {
                    Carrier c = cs[i];
                    long polls = c.pollCount();
                    boolean busy = !c.isParked();
                    synchronized (this) {
                        if (!busy || polls != lastPoll[i]) {
                            lastPoll[i] = polls;
                            since[i] = busy ? now : 0;
                            warned[i] = false;
                        } else if (since[i] == 0) {
                            since[i] = now;
                        } else if (c.hasQueuedWork()) {
                            // Stuck in one continuation with work queued behind it: let a sibling steal it.
                            scheduler.idle.notifyParked();
                        }
                        if (busy && polls == lastPoll[i] && since[i] != 0 && !warned[i] && now - since[i] > warnNanos) {
                            warned[i] = true;
                            System.getLogger("io.weft").log(System.Logger.Level.WARNING,
                                c.getName() + " has run one continuation for "
                                    + TimeUnit.NANOSECONDS.toMillis(now - since[i])
                                    + " ms; blocking calls (file I/O, native code, class init) belong in spawnBlocking");
                        }
                    }
                }
                LockSupport.parkNanos(this, PERIOD_NANOS);
            }
        }

        synchronized long currentPollNanos(int i) {
            Carrier c = scheduler.carriers[i];
            if (c.isParked() || since[i] == 0 || c.pollCount() != lastPoll[i]) {
                return 0;
            }
            return System.nanoTime() - since[i];
        }
    }
}
