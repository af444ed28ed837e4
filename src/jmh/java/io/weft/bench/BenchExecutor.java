package io.weft.bench;

import io.weft.runtime.Runtime;
import io.weft.task.Task;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The three executors every benchmark runs on, behind one interface so that each benchmark body is
 * written once.
 *
 * <ul>
 *   <li>{@code weft}: a {@link Runtime} with {@value #WORKERS} workers; tasks are virtual threads on
 *       Weft's carriers. Spawns from a task use {@link Task#spawn(Runnable)}, from outside
 *       {@link Runtime#spawn(Runnable)}; yields are {@link Task#yieldNow()}.</li>
 *   <li>{@code jdk-virtual}: plain {@code Thread.ofVirtual()} threads on the JDK default scheduler,
 *       a {@link ForkJoinPool} whose parallelism the fork pins to {@value #WORKERS}
 *       ({@code -Djdk.virtualThreadScheduler.parallelism}, checked at setup). Yields are
 *       {@link Thread#yield()}, which on a virtual thread yields its carrier.</li>
 *   <li>{@code platform-pool}: {@code Executors.newFixedThreadPool(2)}. Tasks are {@link Runnable}s
 *       on platform threads; a yield is {@link Thread#yield()} (the OS's {@code sched_yield}). A task
 *       that blocks holds one of the two threads, so benchmarks on it must never block more tasks
 *       than there are threads.</li>
 * </ul>
 */
public abstract sealed class BenchExecutor implements AutoCloseable {
    /** Workers (carriers, FJP parallelism, pool threads) everywhere: the machine has 2 cores. */
    public static final int WORKERS = 2;

    /** The {@code @Param} values, in the order the report shows them. */
    public static final String WEFT = "weft";
    /** The JDK default virtual-thread scheduler. */
    public static final String JDK_VIRTUAL = "jdk-virtual";
    /** A fixed pool of platform threads. */
    public static final String PLATFORM_POOL = "platform-pool";

    /**
     * Creates the executor named by a benchmark's {@code executor} parameter and checks that it is
     * what it claims to be (Weft on its own carriers, the JDK scheduler at the right parallelism).
     *
     * @param name one of {@link #WEFT}, {@link #JDK_VIRTUAL}, {@link #PLATFORM_POOL}
     * @return the executor
     * @throws IllegalStateException if the JVM is not set up for it
     */
    public static BenchExecutor create(String name) {
        return switch (name) {
            case WEFT -> new Weft();
            case JDK_VIRTUAL -> new JdkVirtual();
            case PLATFORM_POOL -> new PlatformPool();
            default -> throw new IllegalArgumentException("unknown executor: " + name);
        };
    }

    /**
     * Spawns a task from a thread that is not one of this executor's (the benchmark thread).
     *
     * @param task the task's body
     */
    public abstract void spawnRemote(Runnable task);

    /**
     * Spawns a task from inside one of this executor's tasks.
     *
     * @param task the task's body
     */
    public abstract void spawnLocal(Runnable task);

    /** Yields the calling task: lets other queued tasks run. */
    public abstract void yieldNow();

    /**
     * Starts a task that keeps a worker busy, yielding in a loop, until {@code keepGoing} is false;
     * it then runs {@code onExit}.
     *
     * @param keepGoing checked before each yield
     * @param onSpin run once per loop
     * @param onExit run as the task ends
     */
    public void startSpinner(BooleanSupplier keepGoing, Runnable onSpin, Runnable onExit) {
        spawnRemote(() -> {
            while (keepGoing.getAsBoolean()) {
                onSpin.run();
                yieldNow();
            }
            onExit.run();
        });
    }

    @Override
    public abstract void close();

    /** Weft's runtime on its own carriers. */
    static final class Weft extends BenchExecutor {
        private final Runtime rt = Runtime.builder().workerThreads(WORKERS).threadName("bench-weft-").build();

        Weft() {
            if (!rt.usesWeftScheduler()) {
                rt.shutdownNow();
                throw new IllegalStateException("Weft fell back to the JDK default scheduler: the fork needs "
                    + "--add-opens java.base/java.lang=ALL-UNNAMED (see AbstractBench's @Fork)");
            }
        }

        @Override
        public void spawnRemote(Runnable task) {
            rt.spawn(task);
        }

        @Override
        public void spawnLocal(Runnable task) {
            Task.spawn(task);
        }

        @Override
        public void yieldNow() {
            Task.yieldNow();
        }

        @Override
        public void close() {
            if (!rt.shutdown(Duration.ofSeconds(5))) {
                System.err.println("warning: Weft runtime did not shut down cleanly within 5 s: " + rt);
            }
        }

        @Override
        public String toString() {
            return rt.toString();
        }
    }

    /** Virtual threads on the JDK default scheduler. */
    static final class JdkVirtual extends BenchExecutor {
        private final ThreadFactory factory = Thread.ofVirtual().factory(); // unnamed, as Weft's tasks are

        JdkVirtual() {
            int parallelism = defaultSchedulerParallelism();
            if (parallelism != WORKERS) {
                throw new IllegalStateException("the JDK default virtual-thread scheduler has parallelism "
                    + parallelism + ", expected " + WORKERS + ": the fork needs "
                    + "-Djdk.virtualThreadScheduler.parallelism=" + WORKERS + " (see AbstractBench's @Fork)");
            }
            String max = System.getProperty("jdk.virtualThreadScheduler.maxPoolSize");
            if (!String.valueOf(WORKERS).equals(max)) {
                throw new IllegalStateException("-Djdk.virtualThreadScheduler.maxPoolSize=" + WORKERS
                    + " is missing (found " + max + "): compensation threads would add carriers");
            }
        }

        /**
         * Reads the parallelism of {@code VirtualThread.DEFAULT_SCHEDULER} (needs java.lang opened, which
         * every fork has for Weft); without access, trusts the system property the JDK reads it from.
         */
        static int defaultSchedulerParallelism() {
            try {
                var f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
                f.setAccessible(true);
                return ((ForkJoinPool) f.get(null)).getParallelism();
            } catch (ReflectiveOperationException | RuntimeException e) {
                String p = System.getProperty("jdk.virtualThreadScheduler.parallelism");
                if (p == null) {
                    throw new IllegalStateException("cannot read the JDK default scheduler's parallelism ("
                        + e + ") and -Djdk.virtualThreadScheduler.parallelism is not set", e);
                }
                return Integer.parseInt(p.trim());
            }
        }

        @Override
        public void spawnRemote(Runnable task) {
            factory.newThread(task).start();
        }

        @Override
        public void spawnLocal(Runnable task) {
            factory.newThread(task).start();
        }

        @Override
        public void yieldNow() {
            Thread.yield();
        }

        @Override
        public void close() {
            // Nothing to stop: the default scheduler lives as long as the JVM.
        }

        @Override
        public String toString() {
            return "JDK default virtual-thread scheduler, parallelism " + defaultSchedulerParallelism();
        }
    }

    /** A fixed pool of two platform threads with one shared queue. */
    static final class PlatformPool extends BenchExecutor {
        private final ExecutorService pool = Executors.newFixedThreadPool(WORKERS,
            Thread.ofPlatform().name("bench-pool-", 0).daemon().factory());

        @Override
        public void spawnRemote(Runnable task) {
            pool.execute(task);
        }

        @Override
        public void spawnLocal(Runnable task) {
            pool.execute(task);
        }

        @Override
        public void yieldNow() {
            Thread.yield();
        }

        /**
         * A platform thread that loops on {@code Thread.yield()} would hold its pool thread for ever,
         * so the spinner yields the way a task pool can: it runs one slice, then resubmits itself to
         * the back of the shared queue.
         */
        @Override
        public void startSpinner(BooleanSupplier keepGoing, Runnable onSpin, Runnable onExit) {
            pool.execute(new Runnable() {
                @Override
                public void run() {
                    if (keepGoing.getAsBoolean()) {
                        onSpin.run();
                        pool.execute(this);
                    } else {
                        onExit.run();
                    }
                }
            });
        }

        @Override
        public void close() {
            pool.shutdownNow();
            try {
                if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                    System.err.println("warning: platform pool did not terminate within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return "Executors.newFixedThreadPool(" + WORKERS + ")";
        }
    }
}
