package io.weft.runtime;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.scheduler.WeftScheduler;
import java.time.Duration;

/**
 * Live figures of one runtime [Tokio: {@code runtime::RuntimeMetrics}].
 *
 * <p>Every figure is read without stopping anything, so it is a moment's snapshot: counters only grow,
 * and depths may be stale by the time they are returned. Per-worker figures take a worker index in
 * {@code [0, workerCount())}. On the JDK default scheduler fallback there are no Weft workers:
 * {@link #workerCount()} is 0.
 *
 * <h2>Example</h2>
 * {@snippet :
 * RuntimeMetrics m = rt.metrics();
 * for (int i = 0; i < m.workerCount(); i++) {
 *     System.out.printf("worker %d: %d polls, %d steals, %d parks%n",
 *         i, m.workerPollCount(i), m.workerStealCount(i), m.workerParkCount(i));
 * }
 * }
 */
public final class RuntimeMetrics {
    private final RuntimeCore core;

    RuntimeMetrics(RuntimeCore core) {
        this.core = core;
    }

    private WeftScheduler sched() {
        return core.scheduler();
    }

    private WeftScheduler worker(int i) {
        WeftScheduler s = core.scheduler();
        if (s == null || i < 0 || i >= s.workerCount()) {
            throw new IndexOutOfBoundsException("no worker " + i + " (workerCount " + workerCount() + ")");
        }
        return s;
    }

    /**
     * {@return the number of carriers; 0 on the JDK default scheduler fallback}
     *
     * {@snippet :
     * int n = rt.metrics().workerCount();
     * }
     */
    public int workerCount() {
        WeftScheduler s = sched();
        return s == null ? 0 : s.workerCount();
    }

    /**
     * {@return tasks spawned and not yet ended (blocking-pool tasks included)}
     *
     * {@snippet :
     * long alive = rt.metrics().aliveTasks();
     * }
     */
    public long aliveTasks() {
        return core.aliveTasks();
    }

    /**
     * {@return tasks spawned since the runtime started (blocking-pool tasks included)}
     *
     * {@snippet :
     * long total = rt.metrics().spawnedTasks();
     * }
     */
    public long spawnedTasks() {
        return core.spawnedTasks();
    }

    /**
     * {@return continuations waiting in the global inject queue}
     *
     * {@snippet :
     * int backlog = rt.metrics().globalQueueDepth();
     * }
     */
    public int globalQueueDepth() {
        WeftScheduler s = sched();
        return s == null ? 0 : s.globalQueueDepth();
    }

    /**
     * {@return continuations submitted from outside the carriers (JDK timers, other threads)}
     *
     * {@snippet :
     * long remote = rt.metrics().remoteScheduleCount();
     * }
     */
    public long remoteScheduleCount() {
        WeftScheduler s = sched();
        return s == null ? 0 : s.remoteScheduleCount();
    }

    /**
     * {@return live threads in the blocking pool}
     *
     * {@snippet :
     * int threads = rt.metrics().blockingThreads();
     * }
     */
    public int blockingThreads() {
        return core.blockingPool().threads();
    }

    /**
     * {@return idle threads in the blocking pool}
     *
     * {@snippet :
     * int idle = rt.metrics().idleBlockingThreads();
     * }
     */
    public int idleBlockingThreads() {
        return core.blockingPool().idleThreads();
    }

    /**
     * {@return blocking tasks waiting for a thread}
     *
     * {@snippet :
     * int waiting = rt.metrics().blockingQueueDepth();
     * }
     */
    public int blockingQueueDepth() {
        return core.blockingPool().queueDepth();
    }

    /**
     * {@return how many times worker {@code i} parked for want of work}
     *
     * {@snippet :
     * long parks = rt.metrics().workerParkCount(0);
     * }
     *
     * @param i worker index
     */
    public long workerParkCount(int i) {
        return worker(i).workerParkCount(i);
    }

    /**
     * {@return how many tasks worker {@code i} stole from other workers}
     *
     * {@snippet :
     * long steals = rt.metrics().workerStealCount(1);
     * }
     *
     * @param i worker index
     */
    public long workerStealCount(int i) {
        return worker(i).workerStealCount(i);
    }

    /**
     * {@return how many continuations worker {@code i} ran}
     *
     * {@snippet :
     * long polls = rt.metrics().workerPollCount(0);
     * }
     *
     * @param i worker index
     */
    public long workerPollCount(int i) {
        return worker(i).workerPollCount(i);
    }

    /**
     * {@return how long worker {@code i} has been unparked (running or looking for work)}
     *
     * {@snippet :
     * Duration busy = rt.metrics().workerBusyDuration(0);
     * }
     *
     * @param i worker index
     */
    public Duration workerBusyDuration(int i) {
        return Duration.ofNanos(worker(i).workerBusyNanos(i));
    }

    /**
     * {@return continuations waiting in worker {@code i}'s local queue}
     *
     * {@snippet :
     * int depth = rt.metrics().workerLocalQueueDepth(0);
     * }
     *
     * @param i worker index
     */
    public int workerLocalQueueDepth(int i) {
        return worker(i).workerLocalQueueDepth(i);
    }

    /**
     * {@return how many times worker {@code i}'s local queue overflowed into the global queue}
     *
     * {@snippet :
     * long overflows = rt.metrics().workerOverflowCount(0);
     * }
     *
     * @param i worker index
     */
    public long workerOverflowCount(int i) {
        return worker(i).workerOverflowCount(i);
    }

    /**
     * {@return how long worker {@code i} has been running the continuation it runs now (zero if idle)}
     *
     * <p>A long figure means a task is blocking its carrier: blocking file I/O, a pinned park (class
     * initialisation, native frames) or a CPU loop, none of which the JDK compensates for on a custom
     * scheduler. Move such work to {@link Runtime#spawnBlocking}. Sampled every 10 ms; Weft also logs a
     * warning once a carrier has been stuck for {@code weft.blockedCarrierWarnMillis} (default 2000).
     * {@snippet :
     * if (rt.metrics().workerCurrentPollDuration(0).toMillis() > 100) System.err.println("carrier 0 blocked");
     * }
     *
     * @param i worker index
     */
    public Duration workerCurrentPollDuration(int i) {
        return Duration.ofNanos(worker(i).workerCurrentPollNanos(i));
    }

    /**
     * {@return readiness events handled by the I/O driver (0 until the runtime opens a socket)}
     * [Tokio: {@code io_driver_ready_count}]
     *
     * {@snippet :
     * long io = rt.metrics().ioDriverReadyCount();
     * }
     */
    public long ioDriverReadyCount() {
        var r = core.timeDriver().reactorIfOpen();
        return r == null ? 0 : r.readyCount();
    }

    /**
     * {@return channels registered with the I/O driver so far (0 until the runtime opens a socket)}
     * [Tokio: {@code io_driver_fd_registered_count}]
     *
     * {@snippet :
     * long sockets = rt.metrics().ioDriverFdRegisteredCount();
     * }
     */
    public long ioDriverFdRegisteredCount() {
        var r = core.timeDriver().reactorIfOpen();
        return r == null ? 0 : r.registeredCount();
    }

    /**
     * {@return channels deregistered from the I/O driver so far (closed sockets; 0 until the runtime
     * opens one)} [Tokio: {@code io_driver_fd_deregistered_count}]. Registered minus deregistered is
     * the number of sockets open on the runtime.
     *
     * {@snippet :
     * long open = rt.metrics().ioDriverFdRegisteredCount() - rt.metrics().ioDriverFdDeregisteredCount();
     * }
     */
    public long ioDriverFdDeregisteredCount() {
        var r = core.timeDriver().reactorIfOpen();
        return r == null ? 0 : r.deregisteredCount();
    }

    /**
     * {@return timers in the runtime's wheel: registered and not yet fired or cancelled}
     *
     * {@snippet :
     * long timers = rt.metrics().timersActive();
     * }
     */
    public long timersActive() {
        return core.timeDriver().activeTimers();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("RuntimeMetrics[workers=").append(workerCount())
            .append(", alive=").append(aliveTasks()).append(", spawned=").append(spawnedTasks())
            .append(", globalQueue=").append(globalQueueDepth()).append(", blockingThreads=").append(blockingThreads());
        for (int i = 0; i < workerCount(); i++) {
            sb.append(", w").append(i).append("{polls=").append(workerPollCount(i))
                .append(" steals=").append(workerStealCount(i)).append(" parks=").append(workerParkCount(i))
                .append(" busy=").append(workerBusyDuration(i).toMillis()).append("ms}");
        }
        return sb.append(']').toString();
    }
}
