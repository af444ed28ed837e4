package io.weft.runtime;

import io.weft.internal.runtime.RuntimeConfig;
import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.Bridge;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * The Weft runtime: carriers that run tasks as virtual threads, and the blocking pool beside them.
 *
 * <p>Weft's counterpart of Tokio's {@code runtime::Runtime}. Every task is a virtual thread whose
 * continuations run on Weft's own carrier scheduler (per-carrier work-stealing queues, a LIFO slot, a
 * global inject queue, idle carriers that park without thundering herds). Blocking-style code in a
 * task parks the virtual thread, never the carrier.
 *
 * <p>Weft's scheduler needs {@code --add-opens java.base/java.lang=ALL-UNNAMED} (class path) or
 * {@code =io.weft} (module path). Without it the runtime still works on the JDK's default
 * virtual-thread scheduler, says so once in a warning, and {@link #usesWeftScheduler()} returns false.
 *
 * <h2>Example</h2>
 * {@snippet :
 * try (var rt = Runtime.builder().workerThreads(2).build()) {
 *     int answer = rt.blockOn(() -> {
 *         var a = Task.spawn(() -> 40);
 *         var b = Task.spawn(() -> 2);
 *         return a.join() + b.join();
 *     });
 *     System.out.println(answer); // 42
 * }
 * }
 *
 * <h2>Shutdown</h2>
 * {@link #shutdown(Duration)} is graceful: tasks from outside are refused, running tasks may finish
 * (and spawn helpers), and whatever is still running at the deadline is aborted.
 * {@link #shutdownNow()} aborts everything at once. {@link #close()} is {@code shutdown} with the
 * builder's {@linkplain Builder#shutdownTimeout(Duration) shutdown timeout}. No completed result is
 * lost: every {@link JoinHandle} ends with a value, the task's exception, or a cancellation. Runtimes are
 * independent: shutting one down never disturbs another in the same JVM.
 */
public final class Runtime implements AutoCloseable {
    private final RuntimeCore core;
    private final Handle handle;
    private final RuntimeFlavor flavor;

    static {
        io.weft.internal.runtime.RuntimeAccess.register(r -> ((Runtime) r).core);
    }

    private Runtime(RuntimeCore core, RuntimeFlavor flavor) {
        this.core = core;
        this.flavor = flavor;
        this.handle = new Handle(core);
        core.facade = handle;
    }

    /**
     * {@return a builder for a multi-thread runtime} [Tokio: {@code Builder::new_multi_thread}]
     *
     * {@snippet :
     * var rt = Runtime.builder().workerThreads(4).threadName("app-worker-").build();
     * }
     */
    public static Builder builder() {
        return new Builder(true);
    }

    /**
     * {@return a builder for a current-thread runtime: one carrier} [Tokio: {@code Builder::new_current_thread}]
     *
     * {@snippet :
     * var rt = Runtime.builderCurrentThread().build();
     * }
     */
    public static Builder builderCurrentThread() {
        return new Builder(false);
    }

    /**
     * {@return a multi-thread runtime with default settings}
     *
     * {@snippet :
     * try (var rt = Runtime.create()) {
     *     rt.blockOn(() -> "hello");
     * }
     * }
     */
    public static Runtime create() {
        return builder().build();
    }

    /**
     * Spawns a task.
     *
     * {@snippet :
     * JoinHandle<Integer> h = rt.spawn(() -> 6 * 7);
     * }
     *
     * @param task the task's body
     * @param <T> its result type
     * @return the task's handle; if the runtime is shutting down, a handle already cancelled
     */
    public <T> JoinHandle<T> spawn(Callable<T> task) {
        return handle.spawn(task);
    }

    /**
     * Spawns a task that returns nothing.
     *
     * {@snippet :
     * rt.spawn(() -> System.out.println("hi")).join();
     * }
     *
     * @param task the task's body
     * @return the task's handle, whose value is null
     */
    public JoinHandle<Void> spawn(Runnable task) {
        return handle.spawn(task);
    }

    /**
     * Runs blocking code (file I/O, JNI, CPU-heavy work) on the blocking pool of platform threads.
     *
     * <p>The JDK cannot compensate for a carrier of a custom scheduler stuck in a blocking system call
     * or a pinned park, so such work belongs here, as it does in Tokio.
     * {@snippet :
     * var bytes = rt.spawnBlocking(() -> Files.readAllBytes(path)).join();
     * }
     *
     * @param task the blocking work
     * @param <T> its result type
     * @return its handle
     */
    public <T> JoinHandle<T> spawnBlocking(Callable<T> task) {
        return handle.spawnBlocking(task);
    }

    /**
     * Runs {@code task} as a task of this runtime and parks the calling thread until it returns.
     *
     * <p>Exceptions: an unchecked exception the task throws is rethrown as is; a checked one is
     * wrapped in a {@link JoinException}. If the caller is interrupted, the task is aborted and
     * {@link io.weft.task.CancelledException} is thrown.
     * {@snippet :
     * String s = rt.blockOn(() -> "done");
     * }
     *
     * @param task the task's body
     * @param <T> its result type
     * @return what the task returned
     * @throws JoinException if the task threw a checked exception or was cancelled
     */
    public <T> T blockOn(Callable<T> task) {
        return handle.blockOn(task);
    }

    /**
     * {@return a handle to this runtime, to spawn from other threads}
     *
     * {@snippet :
     * Handle h = rt.handle();
     * new Thread(() -> h.spawn(() -> work())).start();
     * }
     */
    public Handle handle() {
        return handle;
    }

    /**
     * {@return this runtime's metrics}
     *
     * {@snippet :
     * System.out.println(rt.metrics().aliveTasks());
     * }
     */
    public RuntimeMetrics metrics() {
        return handle.metrics();
    }

    /**
     * {@return true when tasks run on Weft's carriers; false on the JDK default scheduler fallback}
     *
     * {@snippet :
     * if (!rt.usesWeftScheduler()) System.err.println("add --add-opens java.base/java.lang=ALL-UNNAMED");
     * }
     */
    public boolean usesWeftScheduler() {
        return core.usesWeftScheduler();
    }

    /**
     * {@return the runtime's flavour}
     *
     * {@snippet :
     * assert Runtime.builder().build().flavor() == RuntimeFlavor.MULTI_THREAD;
     * }
     */
    public RuntimeFlavor flavor() {
        return flavor;
    }

    /**
     * Shuts down gracefully: refuses tasks from outside, lets running tasks finish for at most
     * {@code timeout}, then aborts what is left and stops the carriers.
     *
     * {@snippet :
     * boolean clean = rt.shutdown(Duration.ofSeconds(5));
     * }
     *
     * @param timeout how long tasks may take to finish
     * @return true if every task ended within the timeout
     * @throws IllegalStateException if called from one of this runtime's own tasks
     */
    public boolean shutdown(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return core.shutdown(timeout);
    }

    /**
     * Aborts every task now and stops the runtime in the background [Tokio: {@code shutdown_background}].
     *
     * {@snippet :
     * rt.shutdownNow();
     * rt.awaitTermination(Duration.ofSeconds(1));
     * }
     */
    public void shutdownNow() {
        core.shutdownNow();
    }

    /**
     * Waits for the runtime to terminate after a shutdown.
     *
     * {@snippet :
     * rt.shutdownNow();
     * boolean done = rt.awaitTermination(Duration.ofSeconds(1));
     * }
     *
     * @param timeout the longest wait
     * @return true if terminated
     */
    public boolean awaitTermination(Duration timeout) {
        return core.awaitTermination(timeout.toNanos());
    }

    /**
     * {@return true once a shutdown has begun}
     *
     * {@snippet :
     * rt.shutdownNow();
     * assert rt.isShutdown();
     * }
     */
    public boolean isShutdown() {
        return core.isShutdown();
    }

    /**
     * {@return true once the runtime has terminated: carriers and blocking threads have stopped}
     *
     * {@snippet :
     * rt.close();
     * assert rt.isTerminated();
     * }
     */
    public boolean isTerminated() {
        return core.isTerminated();
    }

    /**
     * {@link #shutdown(Duration)} with the builder's shutdown timeout (10 s unless set). Idempotent.
     *
     * {@snippet :
     * try (var rt = Runtime.create()) {
     *     rt.spawn(() -> work());
     * } // waits for work() up to the shutdown timeout
     * }
     */
    @Override
    public void close() {
        if (!core.isTerminated()) {
            core.shutdown(core.config().shutdownTimeout());
        }
    }

    @Override
    public String toString() {
        return "Runtime[" + core.id() + ", " + flavor + ", " + (usesWeftScheduler() ? "weft scheduler" : "jdk default scheduler")
            + (isTerminated() ? ", terminated" : isShutdown() ? ", shutting down" : "") + "]";
    }

    static <T> JoinHandle<T> handleOf(io.weft.internal.task.TaskImpl<T> t) {
        return Bridge.joinHandle(t);
    }

    /**
     * Builds a {@link Runtime} [Tokio: {@code runtime::Builder}].
     *
     * <p>Every setting has Tokio's default unless noted. Settings are validated by {@link #build()}.
     *
     * <h2>Example</h2>
     * {@snippet :
     * var rt = Runtime.builder()
     *     .workerThreads(4)
     *     .maxBlockingThreads(64)
     *     .threadName("api-worker-")
     *     .onThreadStart(() -> System.out.println("carrier up"))
     *     .build();
     * }
     */
    public static final class Builder {
        private final boolean multiThread;
        private int workerThreads;
        private int maxBlockingThreads = 512;
        private Duration keepAlive = Duration.ofSeconds(10);
        private String threadName = "weft-worker-";
        private int globalQueueInterval;
        private int eventInterval = 61;
        private boolean lifoSlot = true;
        private int localQueueCapacity = 4096;
        private boolean startPaused;
        private Runnable onThreadStart;
        private Runnable onThreadStop;
        private Runnable onThreadPark;
        private Runnable onThreadUnpark;
        private UnhandledExceptionPolicy unhandled = UnhandledExceptionPolicy.IGNORE;
        private Duration shutdownTimeout = Duration.ofSeconds(10);

        Builder(boolean multiThread) {
            this.multiThread = multiThread;
            this.workerThreads = multiThread ? java.lang.Runtime.getRuntime().availableProcessors() : 1;
            this.globalQueueInterval = multiThread ? 61 : 31;
        }

        /**
         * Sets the number of carriers (default: the number of processors). Ignored by the current-thread flavour.
         *
         * {@snippet :
         * Runtime.builder().workerThreads(2);
         * }
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder workerThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("workerThreads must be at least 1: " + n);
            }
            if (multiThread) {
                this.workerThreads = n;
            }
            return this;
        }

        /**
         * Caps the blocking pool (default 512).
         *
         * {@snippet :
         * Runtime.builder().maxBlockingThreads(16);
         * }
         *
         * @param n at least 1
         * @return this builder
         */
        public Builder maxBlockingThreads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxBlockingThreads must be at least 1: " + n);
            }
            this.maxBlockingThreads = n;
            return this;
        }

        /**
         * How long an idle blocking thread lingers before it exits (default 10 s).
         *
         * {@snippet :
         * Runtime.builder().threadKeepAlive(Duration.ofSeconds(1));
         * }
         *
         * @param d positive
         * @return this builder
         */
        public Builder threadKeepAlive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("threadKeepAlive must be positive: " + d);
            }
            this.keepAlive = d;
            return this;
        }

        /**
         * The carriers' name prefix (default {@code weft-worker-}); a task's {@code toString()} shows
         * the carrier it runs on, so it shows it runs on Weft.
         *
         * {@snippet :
         * Runtime.builder().threadName("api-");
         * }
         *
         * @param prefix the prefix
         * @return this builder
         */
        public Builder threadName(String prefix) {
            this.threadName = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /**
         * How many ticks between a carrier's checks of the global inject queue (default 61; 31 for the
         * current-thread flavour). Lower is fairer to work submitted from outside; higher favours
         * local work. At each check a batch of outside work goes to the back of the carrier's local
         * queue (or runs at once if that queue is empty), so work submitted from outside, timer
         * wake-ups included, runs in the order it was submitted on the current-thread flavour (unless
         * the carrier's local queue is full at a check: then the batch's head runs at once, so that
         * tasks yielding in a loop cannot shut outside work out).
         *
         * {@snippet :
         * Runtime.builder().globalQueueInterval(31);
         * }
         *
         * @param ticks at least 1
         * @return this builder
         */
        public Builder globalQueueInterval(int ticks) {
            if (ticks < 1) {
                throw new IllegalArgumentException("globalQueueInterval must be at least 1: " + ticks);
            }
            this.globalQueueInterval = ticks;
            return this;
        }

        /**
         * How many ticks between a carrier's maintenance passes (default 61).
         *
         * {@snippet :
         * Runtime.builder().eventInterval(31);
         * }
         *
         * @param ticks at least 1
         * @return this builder
         */
        public Builder eventInterval(int ticks) {
            if (ticks < 1) {
                throw new IllegalArgumentException("eventInterval must be at least 1: " + ticks);
            }
            this.eventInterval = ticks;
            return this;
        }

        /**
         * Disables the LIFO slot: woken and spawned tasks go to the back of the local queue.
         *
         * {@snippet :
         * Runtime.builder().disableLifoSlot();
         * }
         *
         * @return this builder
         */
        public Builder disableLifoSlot() {
            this.lifoSlot = false;
            return this;
        }

        /**
         * Sets each carrier's local run-queue capacity (default 4096; a power of two, at least 4).
         *
         * {@snippet :
         * Runtime.builder().localQueueCapacity(256);
         * }
         *
         * @param slots a power of two
         * @return this builder
         */
        public Builder localQueueCapacity(int slots) {
            if (slots < 4 || Integer.bitCount(slots) != 1) {
                throw new IllegalArgumentException("localQueueCapacity must be a power of two >= 4: " + slots);
            }
            this.localQueueCapacity = slots;
            return this;
        }

        /**
         * Starts the runtime's clock paused, for tests of time-driven code.
         *
         * {@snippet :
         * Runtime.builder().startPaused(true);
         * }
         *
         * @param paused whether the clock starts paused
         * @return this builder
         */
        public Builder startPaused(boolean paused) {
            this.startPaused = paused;
            return this;
        }

        /**
         * Runs {@code hook} on each carrier and blocking thread as it starts.
         *
         * {@snippet :
         * Runtime.builder().onThreadStart(() -> System.out.println(Thread.currentThread().getName()));
         * }
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder onThreadStart(Runnable hook) {
            this.onThreadStart = hook;
            return this;
        }

        /**
         * Runs {@code hook} on each carrier and blocking thread as it stops.
         *
         * {@snippet :
         * Runtime.builder().onThreadStop(() -> System.out.println("bye"));
         * }
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder onThreadStop(Runnable hook) {
            this.onThreadStop = hook;
            return this;
        }

        /**
         * Runs {@code hook} on a carrier before it parks for want of work.
         *
         * {@snippet :
         * var parks = new LongAdder();
         * Runtime.builder().onThreadPark(parks::increment);
         * }
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder onThreadPark(Runnable hook) {
            this.onThreadPark = hook;
            return this;
        }

        /**
         * Runs {@code hook} on a carrier after it unparks.
         *
         * {@snippet :
         * Runtime.builder().onThreadUnpark(() -> {});
         * }
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder onThreadUnpark(Runnable hook) {
            this.onThreadUnpark = hook;
            return this;
        }

        /**
         * What happens when a task throws (default {@link UnhandledExceptionPolicy#IGNORE}).
         *
         * {@snippet :
         * Runtime.builder().unhandledException(UnhandledExceptionPolicy.SHUTDOWN_RUNTIME);
         * }
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder unhandledException(UnhandledExceptionPolicy policy) {
            this.unhandled = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How long {@link Runtime#close()} lets tasks finish before aborting them (default 10 s).
         *
         * {@snippet :
         * Runtime.builder().shutdownTimeout(Duration.ZERO); // close() aborts at once, as Tokio's drop
         * }
         *
         * @param timeout zero or more
         * @return this builder
         */
        public Builder shutdownTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative: " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /**
         * Builds and starts the runtime.
         *
         * {@snippet :
         * try (Runtime rt = Runtime.builder().build()) {
         *     rt.blockOn(() -> 1);
         * }
         * }
         *
         * @return the runtime
         */
        public Runtime build() {
            RuntimeConfig config = new RuntimeConfig(multiThread, multiThread ? workerThreads : 1,
                maxBlockingThreads, keepAlive, threadName, globalQueueInterval, eventInterval, lifoSlot,
                localQueueCapacity, startPaused, onThreadStart, onThreadStop, onThreadPark, onThreadUnpark,
                unhandled == UnhandledExceptionPolicy.SHUTDOWN_RUNTIME, shutdownTimeout);
            return new Runtime(new RuntimeCore(config),
                multiThread ? RuntimeFlavor.MULTI_THREAD : RuntimeFlavor.CURRENT_THREAD);
        }
    }

}
