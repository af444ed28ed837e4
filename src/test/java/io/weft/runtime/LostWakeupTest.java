package io.weft.runtime;

import static io.weft.testing.WeftTesting.eventually;
import static io.weft.testing.WeftTesting.weftScheduler;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.scheduler.WeftScheduler;
import io.weft.task.JoinHandle;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A task submitted from outside while the only carrier is on its way to park must still run.
 *
 * <p>White-box: the test holds the scheduler's idle monitor so the carrier stops inside
 * {@code Idle.transitionToParked}, after it found every queue empty and before it counts itself
 * parked; a spawn from outside in that window sees the carrier "unparked", does not notify, and
 * the carrier then parks with the task in the inject queue.
 */
@Timeout(30)
class LostWakeupTest {

    @Test
    void remoteSpawnWhileTheOnlyCarrierIsParkingIsNotLost() throws Exception {
        assumeTrue(weftScheduler());
        try (Runtime rt = Runtime.builderCurrentThread().shutdownTimeout(Duration.ofSeconds(1)).build()) {
            assertThat(remoteSpawnInParkingWindowRuns(rt)).as("the spawned task ran").isTrue();
        }
    }

    @Test
    void remoteSpawnWhileACarrierOfTwoIsParkingIsNotLost() throws Exception {
        assumeTrue(weftScheduler());
        // With two carriers the parking carrier was searching, so it re-checks the queues: no loss.
        try (Runtime rt = Runtime.builder().workerThreads(2).shutdownTimeout(Duration.ofSeconds(1)).build()) {
            assertThat(remoteSpawnInParkingWindowRuns(rt)).as("the spawned task ran").isTrue();
        }
    }

    /** {@return whether a task spawned while every carrier is stopped inside transitionToParked runs} */
    static boolean remoteSpawnInParkingWindowRuns(Runtime rt) throws Exception {
        WeftScheduler sched = core(rt).scheduler();
        Object idle = field(WeftScheduler.class, "idle").get(sched);
        Thread[] carriers = sched.carrierThreads();
        // 1. Let every carrier park, then keep them all busy with one spinning task each.
        eventually(Duration.ofSeconds(5), () -> allWaiting(carriers), () -> "carriers parked");
        AtomicBoolean release = new AtomicBoolean();
        CountDownLatch spinning = new CountDownLatch(carriers.length);
        JoinHandle<?>[] spinners = new JoinHandle<?>[carriers.length];
        for (int i = 0; i < carriers.length; i++) {
            spinners[i] = rt.spawn(() -> {
                spinning.countDown();
                while (!release.get()) {
                    Thread.onSpinWait();
                }
            });
        }
        assertThat(spinning.await(5, java.util.concurrent.TimeUnit.SECONDS)).as("spinners running").isTrue();
        // 2. Hold the idle monitor, release the spinners: each carrier finds no work and blocks on the monitor.
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            synchronized (idle) {
                held.countDown();
                try {
                    letGo.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        held.await();
        release.set(true);
        eventually(Duration.ofSeconds(5), () -> allBlocked(carriers), () -> "carriers blocked in transitionToParked");
        // 3. Spawn from outside in the window, then let the carriers park.
        JoinHandle<String> late = rt.spawn(() -> "ran");
        letGo.countDown();
        holder.join();
        for (JoinHandle<?> s : spinners) {
            s.join(Duration.ofSeconds(5));
        }
        try {
            return "ran".equals(late.join(Duration.ofSeconds(2)));
        } catch (io.weft.time.ElapsedException e) {
            return false;
        }
    }

    private static boolean allWaiting(Thread[] carriers) {
        for (Thread t : carriers) {
            if (t.getState() != Thread.State.WAITING) {
                return false;
            }
        }
        return true;
    }

    private static boolean allBlocked(Thread[] carriers) {
        for (Thread t : carriers) {
            if (t.getState() != Thread.State.BLOCKED) {
                return false;
            }
        }
        return true;
    }

    static RuntimeCore core(Runtime rt) throws ReflectiveOperationException {
        return (RuntimeCore) field(Runtime.class, "core").get(rt);
    }

    static Field field(Class<?> c, String name) throws NoSuchFieldException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
