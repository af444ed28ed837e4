package io.weft.internal.scheduler;

/**
 * Validated settings of one {@link WeftScheduler}.
 *
 * @param workers carrier threads (1 for the current-thread flavour)
 * @param localQueueCapacity slots in each carrier's local run queue, a power of two
 * @param globalQueueInterval a carrier checks the inject queue first every this many ticks
 * @param eventInterval a carrier runs maintenance every this many ticks
 * @param lifoSlot whether the LIFO slot is used
 * @param threadNamePrefix carrier names are this prefix plus the carrier index
 * @param onThreadStart run on each carrier as it starts, or null
 * @param onThreadStop run on each carrier as it stops, or null
 * @param onThreadPark run on a carrier before it parks, or null
 * @param onThreadUnpark run on a carrier after it unparks, or null
 */
public record SchedulerConfig(
        int workers,
        int localQueueCapacity,
        int globalQueueInterval,
        int eventInterval,
        boolean lifoSlot,
        String threadNamePrefix,
        Runnable onThreadStart,
        Runnable onThreadStop,
        Runnable onThreadPark,
        Runnable onThreadUnpark) {

    /** Validates the settings. */
    public SchedulerConfig {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1: " + workers);
        }
        if (localQueueCapacity < 4 || Integer.bitCount(localQueueCapacity) != 1) {
            throw new IllegalArgumentException("localQueueCapacity must be a power of two >= 4: " + localQueueCapacity);
        }
        if (globalQueueInterval < 1) {
            throw new IllegalArgumentException("globalQueueInterval must be at least 1: " + globalQueueInterval);
        }
        if (eventInterval < 1) {
            throw new IllegalArgumentException("eventInterval must be at least 1: " + eventInterval);
        }
    }
}
