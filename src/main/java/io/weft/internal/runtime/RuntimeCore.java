package io.weft.internal.runtime;

import io.weft.internal.scheduler.SchedulerConfig;
import io.weft.internal.scheduler.VirtualThreads;
import io.weft.internal.scheduler.WeftScheduler;
import io.weft.internal.task.BlockingPool;
import io.weft.internal.time.TimeDriver;
import io.weft.internal.task.TaskImpl;
import io.weft.internal.task.TaskOwner;
import io.weft.internal.task.TaskRegistry;
import io.weft.internal.task.WaitStack;
import io.weft.task.CancelledException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The machinery behind one {@code Runtime}: scheduler, task registry, blocking pool and lifecycle.
 *
 * <pre>
 * Implementation overview
 *
 * Spawn: a TaskImpl is registered (refused once shutdown closed the registry), a virtual thread is made
 *   by the runtime's builder (whose scheduler is Weft's WeftScheduler, or the JDK default in fallback
 *   mode) and started; Thread.start submits its first continuation to WeftScheduler.execute.
 *
 * Lifecycle (state): RUNNING -> DRAINING -> TERMINATED, or RUNNING/DRAINING -> ABORTING -> TERMINATED.
 *   shutdown(timeout): DRAINING refuses spawns from outside the runtime (tasks may still spawn, so
 *   their work can finish); wait for every task to end; at the deadline, close the registry, abort
 *   every task, allow a short grace for them to unwind; then stop carriers and the blocking pool.
 *   shutdownNow(): ABORTING at once, the rest on a background thread. Continuations that arrive after
 *   the carriers stopped run on the LateExecutor, so aborted tasks still complete their handles.
 *
 * Shutdown listeners (onShutdown): run once, on the thread that shuts down (a background thread for
 *   shutdownNow), after spawns from outside are refused and before the wait for tasks. A server that
 *   feeds the runtime from outside (io.weft.helidon) closes its door there, so its connection tasks can
 *   end within the graceful timeout instead of being aborted at its deadline.
 * </pre>
 */
public final class RuntimeCore implements TaskOwner {
    static final int RUNNING = 0;
    static final int DRAINING = 1;
    static final int ABORTING = 2;
    static final int TERMINATED = 3;

    /** How long aborted tasks get to unwind before the carriers stop. */
    static final long UNWIND_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final AtomicInteger RUNTIME_IDS = new AtomicInteger();
    /**
     * Whether carriers poll the reactor themselves (the default, Tokio's way) or leave it to the
     * driver thread alone ({@code -Dweft.io.carrierPolling=false}); kept so the echo benchmark can
     * compare the two.
     */
    static final boolean CARRIERS_POLL_IO =
        !"false".equalsIgnoreCase(System.getProperty("weft.io.carrierPolling"));

    /**
     * Whether carriers fire due timers themselves (into their own queues) while any is awake, or only
     * the driver thread does, through the inject queue ({@code -Dweft.time.carrierPolling=false});
     * kept so the sleep benchmark can compare the two.
     */
    static final boolean CARRIERS_POLL_TIMERS =
        !"false".equalsIgnoreCase(System.getProperty("weft.time.carrierPolling"));

    private final RuntimeConfig config;
    private final WeftScheduler scheduler;
    private final Thread.Builder.OfVirtual vtBuilder;
    private final TaskRegistry registry;
    /** Weft's thread container for this runtime's virtual threads, or null (see VirtualThreads). */
    private final Object threadContainer;
    private final BlockingPool blocking;
    private final TimeDriver time;
    private final WaitStack terminated = new WaitStack();
    private final Object lifecycle = new Object();
    private final int runtimeId = RUNTIME_IDS.incrementAndGet();
    private volatile int state;
    private volatile boolean shutdownStarted;
    private final CopyOnWriteArrayList<Runnable> shutdownListeners = new CopyOnWriteArrayList<>();
    /** The public facade ({@code Handle}), set once by {@code Runtime}. */
    public volatile Object facade;

    /**
     * Builds and starts a runtime.
     *
     * @param config the settings
     */
    public RuntimeCore(RuntimeConfig config) {
        this.config = config;
        if (VirtualThreads.customSchedulerAvailable()) {
            String prefix = config.threadName();
            this.scheduler = new WeftScheduler(new SchedulerConfig(
                config.workers(), config.localQueueCapacity(), config.globalQueueInterval(),
                config.eventInterval(), config.lifoSlot(), prefix,
                config.onThreadStart(), config.onThreadStop(), config.onThreadPark(), config.onThreadUnpark()));
            this.scheduler.owner = this;
            this.vtBuilder = VirtualThreads.builder(scheduler);
        } else {
            VirtualThreads.warnFallbackOnce();
            this.scheduler = null;
            this.vtBuilder = Thread.ofVirtual();
        }
        this.registry = new TaskRegistry(scheduler);
        this.threadContainer = scheduler == null || Boolean.getBoolean("weft.rootThreadContainer") ? null
            : VirtualThreads.newContainer("weft-runtime-" + runtimeId, registry::virtualThreads);
        this.blocking = new BlockingPool(config.maxBlockingThreads(),
            TimeUnit.NANOSECONDS.convert(config.keepAlive()), "weft-blocking-" + runtimeId + "-",
            config.onThreadStart(), config.onThreadStop());
        this.time = new TimeDriver("weft-timer-" + runtimeId + "-", config.startPaused(), this::quiescent,
            scheduler == null);
        blocking.onTaskEnd(time::runtimeIdle);
        if (scheduler != null) {
            WeftScheduler sched = scheduler;
            if (CARRIERS_POLL_IO) {
                time.ioPolling(() -> !sched.allCarriersParked(), r -> {
                    sched.io = r;
                    sched.pokeParked(); // with a set per carrier, parked carriers move into theirs
                }, sched.workerCount());
                TimeDriver t = time;
                scheduler.parkInPollerAllowed = () -> !t.isPaused(); // paused time: the driver thread polls
                time.onResume(sched::pokeParked);
            }
            if (CARRIERS_POLL_TIMERS) {
                time.carriersPollTimers(() -> !sched.allCarriersParked());
                scheduler.timers = time::pollTimers;
            }
            scheduler.onQuiescent = time::runtimeIdle;
            scheduler.start();
        }
    }

    /** {@return the runtime's clock and timers} */
    public TimeDriver timeDriver() {
        return time;
    }

    /** {@return true when the runtime has nothing to run (for auto-advance of paused time)} */
    private boolean quiescent() {
        if (!blocking.isIdle()) {
            return false;
        }
        if (scheduler != null) {
            return scheduler.isQuiescent();
        }
        return DefaultSchedulerProbe.idle();
    }

    /** {@return the settings} */
    public RuntimeConfig config() {
        return config;
    }

    /** {@return Weft's scheduler, or null on the JDK default scheduler} */
    public WeftScheduler scheduler() {
        return scheduler;
    }

    /** {@return the blocking pool} */
    public BlockingPool blockingPool() {
        return blocking;
    }

    /** {@return true when tasks run on Weft's carriers} */
    public boolean usesWeftScheduler() {
        return scheduler != null;
    }

    /** {@return the runtime the calling code runs in, or null} */
    public static RuntimeCore current() {
        TaskImpl<?> t = TaskImpl.current();
        if (t != null && t.owner() instanceof RuntimeCore rc) {
            return rc;
        }
        WeftScheduler s = WeftScheduler.current();
        return s != null && s.owner instanceof RuntimeCore rc ? rc : null;
    }

    private boolean callerInside() {
        return current() == this;
    }

    /**
     * Spawns a task on a virtual thread.
     *
     * @param body the body
     * @param name the name, or null
     * @param <T> the result type
     * @return the task
     */
    public <T> TaskImpl<T> spawn(Callable<? extends T> body, String name) {
        TaskImpl<T> t = new TaskImpl<>(this, body, name, false);
        if (!admit(t)) {
            return t;
        }
        try {
            Thread vt = vtBuilder.unstarted(t);
            if (name != null) {
                vt.setName(name);
            }
            t.bindThread(vt);
            VirtualThreads.start(vt, threadContainer);
        } catch (Throwable e) {
            registry.remove(t);
            t.failUnstarted(e);
        }
        return t;
    }

    /**
     * Spawns a task on the blocking pool.
     *
     * @param body the body
     * @param name the name, or null
     * @param <T> the result type
     * @return the task
     */
    public <T> TaskImpl<T> spawnBlocking(Callable<? extends T> body, String name) {
        TaskImpl<T> t = new TaskImpl<>(this, body, name, true);
        if (!admit(t)) {
            return t;
        }
        if (!blocking.execute(t)) {
            registry.remove(t);
            t.cancelUnstarted(new IllegalStateException("runtime is shut down"));
        }
        return t;
    }

    private boolean admit(TaskImpl<?> t) {
        int s = state;
        if (s != RUNNING && !(s == DRAINING && callerInside())) {
            t.cancelUnstarted(new IllegalStateException("runtime is shutting down; task not started"));
            return false;
        }
        if (!registry.add(t)) {
            t.cancelUnstarted(new IllegalStateException("runtime is shut down; task not started"));
            return false;
        }
        return true;
    }

    /**
     * Runs {@code body} as a task and parks the caller until it ends.
     *
     * @param body the body
     * @param <T> the result type
     * @return the body's value
     */
    public <T> T blockOn(Callable<? extends T> body) {
        TaskImpl<T> t = spawn(body, null);
        try {
            t.awaitDone(0);
        } catch (CancelledException e) {
            t.abort();
            throw new CancelledException("interrupted while blocking on task " + t.id());
        }
        if (t.outcome() == TaskImpl.FAILED) {
            Throwable err = t.errorNow();
            if (err instanceof RuntimeException re) {
                throw re;
            }
            if (err instanceof Error er) {
                throw er;
            }
        }
        return t.report();
    }

    @Override
    public void taskFailed(TaskImpl<?> task, Throwable error) {
        if (config.shutdownRuntimeOnUnhandled() && state == RUNNING) {
            System.getLogger("io.weft").log(System.Logger.Level.ERROR,
                "task " + task.id() + " failed; shutting the runtime down (UnhandledExceptionPolicy.SHUTDOWN_RUNTIME)", error);
            shutdownNow();
        }
    }

    @Override
    public void taskEnded(TaskImpl<?> task) {
        registry.remove(task);
    }

    @Override
    public boolean isAborting() {
        return state >= ABORTING;
    }

    @Override
    public void reportCallbackError(Throwable error) {
        System.getLogger("io.weft").log(System.Logger.Level.ERROR, "task completion callback threw", error);
    }

    // ---- lifecycle ----

    /**
     * Graceful shutdown: see the class overview.
     *
     * @param timeout how long tasks may take to finish
     * @return true if every task ended within the timeout
     */
    public boolean shutdown(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        if (callerInside()) {
            throw new IllegalStateException(
                "shutdown would wait for the calling task itself; call shutdownNow() or shut down from outside the runtime");
        }
        synchronized (lifecycle) {
            if (shutdownStarted) {
                // Someone else is shutting down: wait for them.
                awaitTermination(safeNanos(timeout));
                return state == TERMINATED && registry.size() == 0;
            }
            shutdownStarted = true;
            state = DRAINING;
        }
        long deadline = System.nanoTime() + safeNanos(timeout);
        runShutdownListeners();
        boolean clean = awaitNoTasks(deadline);
        if (!clean) {
            state = ABORTING;
            abortAll();
            awaitNoTasks(System.nanoTime() + UNWIND_GRACE_NANOS);
        } else {
            registry.closeAndSnapshot();
        }
        terminate();
        return clean;
    }

    /** Aborts every task now and stops the runtime in the background. */
    public void shutdownNow() {
        synchronized (lifecycle) {
            if (state >= ABORTING) {
                return;
            }
            boolean first = !shutdownStarted;
            shutdownStarted = true;
            state = ABORTING;
            abortAll();
            if (!first) {
                return; // a graceful shutdown in progress will see ABORTING via its own wait
            }
        }
        Thread.ofPlatform().daemon().name("weft-shutdown-" + runtimeId).start(() -> {
            runShutdownListeners();
            awaitNoTasks(System.nanoTime() + Math.max(UNWIND_GRACE_NANOS, safeNanos(config.shutdownTimeout())));
            terminate();
        });
    }

    /**
     * Registers {@code listener} to run once when this runtime begins to shut down (see the class
     * overview). A listener that throws is logged and does not stop the shutdown.
     *
     * @param listener what to run
     * @return true if registered; false if a shutdown has already begun (the listener is not run)
     */
    public boolean onShutdown(Runnable listener) {
        synchronized (lifecycle) {
            if (shutdownStarted) {
                return false;
            }
            shutdownListeners.add(listener);
            return true;
        }
    }

    /**
     * Removes a listener registered with {@link #onShutdown(Runnable)}, if it has not run.
     *
     * @param listener the listener
     */
    public void removeShutdownListener(Runnable listener) {
        shutdownListeners.remove(listener);
    }

    private void runShutdownListeners() {
        for (Runnable r : shutdownListeners) {
            if (!shutdownListeners.remove(r)) {
                continue; // removed, or run by a concurrent shutdown path
            }
            try {
                r.run();
            } catch (Throwable e) {
                System.getLogger("io.weft").log(System.Logger.Level.ERROR, "shutdown listener threw", e);
            }
        }
    }

    private void abortAll() {
        List<TaskImpl<?>> left = registry.closeAndSnapshot();
        cancelQueuedBlockingTasks();
        for (TaskImpl<?> t : left) {
            t.abort();
        }
    }

    /** Stops the blocking pool taking work; blocking tasks still queued end as cancelled, never dropped. */
    private void cancelQueuedBlockingTasks() {
        for (Runnable r : blocking.shutdown()) {
            if (r instanceof TaskImpl<?> t) {
                registry.remove(t);
                t.cancelUnstarted(new IllegalStateException("runtime shut down before this blocking task started"));
            }
        }
    }

    private boolean awaitNoTasks(long deadline) {
        long backoff = 20_000;
        while (registry.size() > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            LockSupport.parkNanos(this, Math.min(left, backoff));
            backoff = Math.min(backoff * 2, 5_000_000);
            if (Thread.currentThread().isInterrupted()) {
                return registry.size() == 0;
            }
        }
        return true;
    }

    private void terminate() {
        cancelQueuedBlockingTasks();
        if (scheduler != null) {
            scheduler.stop();
            scheduler.awaitCarriers(UNWIND_GRACE_NANOS);
        }
        blocking.awaitExit(UNWIND_GRACE_NANOS);
        time.stop();
        state = TERMINATED;
        terminated.release(this::reportCallbackError);
    }

    /**
     * Waits until the runtime has terminated.
     *
     * @param nanos the longest wait
     * @return true if terminated
     */
    public boolean awaitTermination(long nanos) {
        return terminated.await(System.nanoTime() + Math.max(1, nanos)) || state == TERMINATED;
    }

    /** {@return true once shutdown has begun} */
    public boolean isShutdown() {
        return state != RUNNING;
    }

    /** {@return true once the runtime has terminated} */
    public boolean isTerminated() {
        return state == TERMINATED;
    }

    // ---- metrics ----

    /** {@return tasks alive now} */
    public long aliveTasks() {
        return registry.size();
    }

    /** {@return tasks spawned so far} */
    public long spawnedTasks() {
        return registry.added();
    }

    /** {@return a numeric id for this runtime, unique in the JVM} */
    public int id() {
        return runtimeId;
    }

    static long safeNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
