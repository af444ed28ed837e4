package io.weft.internal.task;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pool of platform threads behind {@code spawnBlocking} (Tokio's {@code blocking::Pool}).
 *
 * <pre>
 * Implementation overview
 *
 * Algorithm: one queue under a lock. execute(): enqueue; if a thread idles, notify exactly one
 *   (idle -= 1, notified += 1, so two submissions never wake the same thread); else, below the cap,
 *   start a thread; else the task waits in the queue (unbounded, as Tokio's). A thread runs queued
 *   tasks until the queue is empty, then idles for keepAlive and exits if nothing came.
 * Progress: blocking; the lock is held only for queue and counter updates.
 * Shutdown: no new tasks; threads finish their current task and exit; tasks still queued are
 *   handed back to the caller to be completed as cancelled, never silently dropped.
 * </pre>
 */
public final class BlockingPool {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition available = lock.newCondition();
    private final Condition allExited = lock.newCondition();
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final int cap;
    private final long keepAliveNanos;
    private final String namePrefix;
    private final Runnable onStart;
    private final Runnable onStop;
    private int threads;
    private int idle;
    private int notified;
    private int nextId;
    /** Threads that left the pool and are running their stop hook; guarded by lock. */
    private int exiting;
    private boolean shutdown;
    /** Run after each blocking task ends (the time driver's auto-advance listens), or null. */
    private volatile Runnable onTaskEnd;

    /**
     * Sets a hook run after each blocking task ends.
     *
     * @param hook the hook, or null
     */
    public void onTaskEnd(Runnable hook) {
        this.onTaskEnd = hook;
    }

    /**
     * Creates a pool.
     *
     * @param cap the most threads at once
     * @param keepAliveNanos how long an idle thread waits before exiting
     * @param namePrefix thread name prefix
     * @param onStart run on each thread as it starts, or null
     * @param onStop run on each thread as it stops, or null
     */
    public BlockingPool(int cap, long keepAliveNanos, String namePrefix, Runnable onStart, Runnable onStop) {
        this.cap = cap;
        this.keepAliveNanos = keepAliveNanos;
        this.namePrefix = namePrefix;
        this.onStart = onStart;
        this.onStop = onStop;
    }

    /**
     * Queues a task.
     *
     * @param task the task
     * @return false if the pool is shut down
     */
    public boolean execute(Runnable task) {
        lock.lock();
        try {
            if (shutdown) {
                return false;
            }
            queue.add(task);
            if (idle > 0) {
                idle--;
                notified++;
                available.signal();
            } else if (threads < cap) {
                threads++;
                Thread t = new Thread(null, this::work, namePrefix + (nextId++), 0, false);
                t.setDaemon(true);
                t.start();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void work() {
        runHook(onStart);
        boolean gone = false;
        lock.lock();
        try {
            while (true) {
                Runnable r = queue.poll();
                if (r != null) {
                    lock.unlock();
                    try {
                        r.run();
                    } catch (Throwable t) {
                        System.getLogger("io.weft").log(System.Logger.Level.ERROR, "blocking task escaped", t);
                    } finally {
                        Thread.interrupted();
                        lock.lock();
                    }
                    continue;
                }
                if (shutdown) {
                    break;
                }
                idle++;
                Runnable hook = onTaskEnd;
                if (hook != null) {
                    // Now idle: tell the listener (paused time may auto-advance) outside the lock.
                    lock.unlock();
                    try {
                        hook.run();
                    } catch (Throwable t) {
                        System.getLogger("io.weft").log(System.Logger.Level.ERROR, "blocking pool hook threw", t);
                    } finally {
                        lock.lock();
                    }
                }
                long left = keepAliveNanos;
                boolean woken = false;
                while (!shutdown) {
                    if (notified > 0) {
                        notified--;
                        woken = true;
                        break;
                    }
                    if (left <= 0) {
                        break;
                    }
                    try {
                        left = available.awaitNanos(left);
                    } catch (InterruptedException e) {
                        // a stray interrupt; keep waiting
                    }
                }
                if (!woken) {
                    idle--;
                    if (queue.isEmpty() || shutdown) {
                        break;
                    }
                }
            }
            threads--;
            exiting++;
            gone = true;
        } finally {
            lock.unlock();
            runHook(onStop);
            if (gone) {
                // Only now is the thread done: awaitExit (and so shutdown) waits for the stop hook too.
                lock.lock();
                try {
                    exiting--;
                    if (threads == 0 && exiting == 0) {
                        allExited.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private static void runHook(Runnable hook) {
        if (hook != null) {
            try {
                hook.run();
            } catch (Throwable t) {
                System.getLogger("io.weft").log(System.Logger.Level.ERROR, "thread hook threw", t);
            }
        }
    }

    /** Refuses new tasks and {@return the tasks that were queued and will not run} */
    public List<Runnable> shutdown() {
        lock.lock();
        try {
            shutdown = true;
            List<Runnable> left = new ArrayList<>(queue);
            queue.clear();
            available.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for every thread to exit.
     *
     * @param nanos the longest wait
     * @return true if none is left
     */
    public boolean awaitExit(long nanos) {
        lock.lock();
        try {
            while (threads > 0 || exiting > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = allExited.awaitNanos(nanos);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return threads == 0 && exiting == 0;
        } finally {
            lock.unlock();
        }
    }

    /** {@return true when no blocking task is queued or running} */
    public boolean isIdle() {
        lock.lock();
        try {
            return queue.isEmpty() && idle == threads;
        } finally {
            lock.unlock();
        }
    }

    /** {@return threads alive} */
    public int threads() {
        lock.lock();
        try {
            return threads;
        } finally {
            lock.unlock();
        }
    }

    /** {@return threads idle} */
    public int idleThreads() {
        lock.lock();
        try {
            return idle;
        } finally {
            lock.unlock();
        }
    }

    /** {@return tasks waiting for a thread} */
    public int queueDepth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }
}
