package io.weft.internal.time;

import static org.assertj.core.api.Assertions.assertThat;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.testing.WeftTesting;
import io.weft.time.Time;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Cancelled timers leave the wheel's queues even when no deadline comes due: with the carriers
 * awake (they make the timer passes, and only when something is due), a server whose reads each arm
 * and cancel a 30 s timeout must not pile the cancellations up until the first timeout would fire.
 */
@Timeout(60)
class TimeDriverCancelTest {

    @Test
    void cancellationsOfFarTimersDoNotPileUpWhileCarriersAreBusy() {
        try (Runtime rt = WeftTesting.build(WeftTesting.builder(RuntimeFlavor.MULTI_THREAD).workerThreads(2))) {
            int left = rt.blockOn(() -> {
                AtomicBoolean stop = new AtomicBoolean();
                JoinHandle<Void> keeper = Task.spawn(() -> {
                    while (!stop.get()) {
                        Task.yieldNow(); // keep a carrier awake, so the driver thread leaves passes to carriers
                    }
                    return null;
                });
                TimeDriver drv = Sleeps.runtimeDriver();
                for (int i = 0; i < 50_000; i++) {
                    Time.timeout(Duration.ofSeconds(30), () -> 1); // registers a timer, cancels it
                    if ((i & 1023) == 0) {
                        Task.yieldNow();
                    }
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (drv.pendingCancellations() > 4096 && System.nanoTime() < deadline) {
                    Task.yieldNow();
                }
                int end = drv.pendingCancellations();
                stop.set(true);
                keeper.join();
                return end;
            });
            // Each crossing of 4096 pending cancellations makes the next pass drain them, long before
            // the 30 s deadlines; without that the 50,000 would all still be queued. (How many arrive
            // between two drains depends on the machine's speed, so only the end state is checked.)
            assertThat(left).as("pending cancellations at the end").isLessThanOrEqualTo(4096);
        }
    }
}
