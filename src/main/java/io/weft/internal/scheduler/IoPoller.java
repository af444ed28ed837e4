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

    /**
     * A carrier's look without waiting, at its own share of the sockets if the driver gives each
     * carrier one ({@link #parksEveryCarrier()}), else as {@link #pollNow()}.
     *
     * @param carrier the carrier's index
     * @return true if it dispatched events
     */
    default boolean pollNow(int carrier) {
        return pollNow();
    }

    /**
     * A searching carrier's look: its own share first, then every other share nobody holds.
     *
     * @param carrier the carrier's index
     * @return true if it dispatched events
     */
    default boolean pollAny(int carrier) {
        return pollNow();
    }

    /**
     * {@return true if every carrier has a share of the sockets to wait in when it parks} (Netty's
     * event loops, each with its own epoll): then each parked carrier waits in its own, readiness
     * wakes the carrier that owns the socket, and no driver thread stands in between
     */
    default boolean parksEveryCarrier() {
        return false;
    }

    /** A parked carrier woke up: a thread blocked in select should leave polling to the carriers. */
    void carrierWoke();

    /**
     * A carrier about to park asks to wait in the driver instead.
     *
     * @param carrier the carrier
     * @param index the carrier's index (its share, if the driver has one per carrier)
     * @return true if it now holds that role (one carrier at a time per share; never, if the driver cannot)
     */
    default boolean enterParkedPoll(Thread carrier, int index) {
        return false;
    }

    /**
     * The parked poller waits for readiness, a {@link #wakeParkedPoller() wake-up} or the driver's
     * close, and dispatches what is ready (tasks it wakes go to its own queue).
     *
     * @param index the carrier's index
     * @param stillParked checked once the poll lock is held, before the wait: a wake-up that came
     *     while another poller held the lock may have been taken by that poller's wait, so the
     *     condition is the truth, not the wake-up
     * @return 1 if it dispatched readiness, 0 if only woken (or no longer parked), -1 if the driver
     *     closed (park otherwise)
     */
    default int parkedPoll(int index, java.util.function.BooleanSupplier stillParked) {
        return -1;
    }

    /** The parked poller gives the role up. @param index the carrier's index */
    default void leaveParkedPoll(int index) {
    }

    /** Makes the parked poller's current or next wait return. @param index the carrier's index */
    default void wakeParkedPoller(int index) {
    }
}
