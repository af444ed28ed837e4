package io.weft.internal.scheduler;

/**
 * The I/O driver as the carriers see it: they poll it themselves while they are busy, so a readiness
 * event wakes its task into the polling carrier's local queue (Tokio's driver-in-worker locality),
 * and they tell it when they wake, so a dedicated thread blocked in select hands polling back to them.
 */
public interface IoPoller {
    /** Polls without waiting, unless another thread is polling; {@return true if it dispatched events} */
    boolean pollNow();

    /** A parked carrier woke up: a thread blocked in select should leave polling to the carriers. */
    void carrierWoke();
}
