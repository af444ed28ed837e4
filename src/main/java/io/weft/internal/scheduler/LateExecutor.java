package io.weft.internal.scheduler;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The home of continuations submitted after a runtime's carriers stopped.
 *
 * <p>The JDK's own threads (the timer unparker, the monitor unblocker, socket pollers) may submit a
 * Weft virtual thread's continuation at any time, also after its runtime shut down. Throwing from
 * {@code execute()} would kill that JDK thread and hang every virtual thread in the JVM that later
 * needs it (seen on JDK 25), and dropping the continuation would leave the task's result unreported.
 * So late continuations run here: a small pool of daemon platform threads, shared by every runtime in
 * the JVM, that exits when idle. Aborted tasks unwind here and complete their handles.
 */
public final class LateExecutor {
    private LateExecutor() {}

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final ThreadPoolExecutor POOL;

    static {
        int threads = Math.max(2, java.lang.Runtime.getRuntime().availableProcessors());
        POOL = new ThreadPoolExecutor(threads, threads, 2, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "weft-late-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        POOL.allowCoreThreadTimeOut(true);
    }

    /**
     * Runs a late continuation. Never throws.
     *
     * @param continuation the continuation
     */
    public static void execute(Runnable continuation) {
        try {
            POOL.execute(() -> runQuietly(continuation));
        } catch (Throwable t) {
            // Out of memory or similar: run it on the caller rather than lose it.
            runQuietly(continuation);
        }
    }

    static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            // A continuation never throws in practice; if it does, keep this thread alive.
            System.getLogger("io.weft").log(System.Logger.Level.ERROR, "continuation threw on a late carrier", t);
        }
    }
}
