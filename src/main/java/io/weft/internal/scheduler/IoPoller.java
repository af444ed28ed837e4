package io.weft.internal.scheduler;

/**
 * The I/O driver as the carriers see it: they poll it themselves while they are busy, so a readiness
 * event wakes its task into the polling carrier's local queue (Tokio's driver-in-worker locality),
 * they tell it when they wake, so a dedicated thread blocked in select hands polling back to them,
 * and, where the driver allows it, one parked carrier waits in it (Tokio's parked worker that holds
 * the driver), so readiness wakes that carrier directly instead of a driver thread that then has to
 * wake a carrier.
 */
public interface IoPoller {
    /** Polls without waiting, unless another thread is polling; {@return true if it dispatched events} */
    boolean pollNow();

    /** A parked carrier woke up: a thread blocked in select should leave polling to the carriers. */
    void carrierWoke();

    /**
     * A carrier about to park asks to wait in the driver instead.
     *
     * @param carrier the carrier
     * @return true if it now holds that role (one carrier at a time; never, if the driver cannot)
     */
    default boolean enterParkedPoll(Thread carrier) {
        return false;
    }

    /**
     * The parked poller waits for readiness, a {@link #wakeParkedPoller() wake-up} or the driver's
     * close, and dispatches what is ready (tasks it wakes go to its own queue).
     *
     * @param stillParked checked once the poll lock is held, before the wait: a wake-up that came
     *     while another poller held the lock may have been taken by that poller's wait, so the
     *     condition is the truth, not the wake-up
     * @return 1 if it dispatched readiness, 0 if only woken (or no longer parked), -1 if the driver
     *     closed (park otherwise)
     */
    default int parkedPoll(java.util.function.BooleanSupplier stillParked) {
        return -1;
    }

    /** The parked poller gives the role up. */
    default void leaveParkedPoll() {
    }

    /** Makes the parked poller's current or next wait return. */
    default void wakeParkedPoller() {
    }
}
