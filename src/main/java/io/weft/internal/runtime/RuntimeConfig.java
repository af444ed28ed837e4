package io.weft.internal.runtime;

import java.time.Duration;

/**
 * Validated runtime settings, built by {@code Runtime.Builder}.
 *
 * @param multiThread false for the current-thread flavour
 * @param workers carrier threads
 * @param maxBlockingThreads the blocking pool's cap
 * @param keepAlive how long an idle blocking thread lingers
 * @param threadName carrier name prefix
 * @param globalQueueInterval inject-queue check period, in ticks
 * @param eventInterval maintenance period, in ticks
 * @param lifoSlot whether the LIFO slot is used
 * @param localQueueCapacity local run queue slots
 * @param startPaused whether the clock starts paused
 * @param onThreadStart hook, or null
 * @param onThreadStop hook, or null
 * @param onThreadPark hook, or null
 * @param onThreadUnpark hook, or null
 * @param shutdownRuntimeOnUnhandled true for {@code UnhandledExceptionPolicy.SHUTDOWN_RUNTIME}
 * @param shutdownTimeout what {@code close()} waits
 */
public record RuntimeConfig(
        boolean multiThread,
        int workers,
        int maxBlockingThreads,
        Duration keepAlive,
        String threadName,
        int globalQueueInterval,
        int eventInterval,
        boolean lifoSlot,
        int localQueueCapacity,
        boolean startPaused,
        Runnable onThreadStart,
        Runnable onThreadStop,
        Runnable onThreadPark,
        Runnable onThreadUnpark,
        boolean shutdownRuntimeOnUnhandled,
        Duration shutdownTimeout) {
}
