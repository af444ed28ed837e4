package io.weft.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Helpers shared by Weft's tests. */
public final class WeftTesting {
    private WeftTesting() {}

    /** The tag of suites that run in both scheduler modes. */
    public static final String CONTRACT = "contract";

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final Pattern CARRIER = Pattern.compile("@(.+)$");

    /**
     * {@return whether this JVM is expected to run tasks on Weft's own scheduler}: the surefire
     * executions set {@code weft.test.expectWeftScheduler}; without it (an IDE run) the answer is
     * whether {@code java.lang} is open to us, which is what decides it.
     */
    public static boolean weftScheduler() {
        String p = System.getProperty("weft.test.expectWeftScheduler");
        if (p != null) {
            return Boolean.parseBoolean(p);
        }
        return Object.class.getModule().isOpen("java.lang", WeftTesting.class.getModule());
    }

    /** {@return true if the expectation property is set, so mode assertions are meaningful} */
    public static boolean modeDeclared() {
        return System.getProperty("weft.test.expectWeftScheduler") != null;
    }

    /** {@return a carrier-name prefix no other runtime in this JVM uses; it starts with weft-worker-} */
    public static String uniquePrefix(String what) {
        return "weft-worker-" + what + "-" + PREFIXES.incrementAndGet() + "-";
    }

    /** {@return a builder of the given flavour: 2 workers for multi-thread, a short shutdown timeout} */
    public static Runtime.Builder builder(RuntimeFlavor flavor) {
        Runtime.Builder b = flavor == RuntimeFlavor.MULTI_THREAD
            ? Runtime.builder().workerThreads(2)
            : Runtime.builderCurrentThread();
        return b.shutdownTimeout(Duration.ofSeconds(5));
    }

    /** {@return a started runtime of the given flavour} */
    public static Runtime runtime(RuntimeFlavor flavor) {
        return build(builder(flavor));
    }

    /** How many times the lost-wake-up watchdog had to rescue a stranded task (see {@link #build}). */
    public static final AtomicInteger LOST_WAKEUP_RESCUES = new AtomicInteger();

    /**
     * Builds a runtime.
     *
     * <p>Workaround for the scheduler bug reproduced by {@code LostWakeupTest}: a lone carrier parks
     * without re-checking the inject queue, so a task spawned from outside while the carrier is on its
     * way to park can stay stranded until the next submission. The watchdog only acts on that exact
     * symptom (the only carrier parked, neither polling nor parking again, with work in the global
     * queue for 200 ms), then submits a no-op task to wake the carrier and logs the rescue, so other
     * tests test what they are about instead of hanging. Remove once the scheduler is fixed.
     */
    public static Runtime build(Runtime.Builder b) {
        // The lost-wake-up watchdog is no longer attached: the scheduler bug it worked around is fixed
        // (a lone carrier now parks as the last searcher and re-checks the queues; LostWakeupTest).
        return b.build();
    }

    private static void watch(Runtime rt, Thread carrier) {
        long since = 0;
        long polls = -1;
        long parks = -1;
        while (!rt.isShutdown()) {
            boolean stranded = carrier.getState() == Thread.State.WAITING && rt.metrics().globalQueueDepth() > 0;
            long p = rt.metrics().workerPollCount(0);
            long k = rt.metrics().workerParkCount(0);
            if (!stranded || p != polls || k != parks || since == 0) {
                since = stranded ? System.nanoTime() : 0;
                polls = p;
                parks = k;
            } else if (System.nanoTime() - since > 200_000_000L) {
                LOST_WAKEUP_RESCUES.incrementAndGet();
                System.err.println("WARNING [weft tests]: lost wake-up on " + rt + " (" + rt.metrics()
                    + "): the only carrier is parked with work in the global queue; waking it (see LostWakeupTest)"
                    + debug(rt, carrier));
                rt.handle().spawn(() -> { });
                since = 0;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
    }

    private static String debug(Runtime rt, Thread carrier) {
        StringBuilder sb = new StringBuilder("\n  carrier ").append(carrier.getName()).append(' ').append(carrier.getState());
        for (StackTraceElement e : carrier.getStackTrace()) {
            sb.append("\n    at ").append(e);
        }
        try {
            java.lang.reflect.Field f = Runtime.class.getDeclaredField("core");
            f.setAccessible(true);
            Object sched = ((io.weft.internal.runtime.RuntimeCore) f.get(rt)).scheduler();
            java.lang.reflect.Field idleF = sched.getClass().getDeclaredField("idle");
            idleF.setAccessible(true);
            Object idle = idleF.get(sched);
            for (String n : new String[] {"state", "sleeperCount"}) {
                java.lang.reflect.Field x = idle.getClass().getDeclaredField(n);
                x.setAccessible(true);
                sb.append("\n  idle.").append(n).append(" = ").append(x.get(idle));
            }
            java.lang.reflect.Field sl = carrier.getClass().getDeclaredField("sleeping");
            sl.setAccessible(true);
            sb.append("\n  carrier.sleeping = ").append(sl.get(carrier)).append(" now=").append(System.nanoTime());
        } catch (ReflectiveOperationException e) {
            sb.append(e);
        }
        return sb.toString();
    }

    /** {@return the carrier threads of a runtime on Weft's scheduler (white-box)} */
    public static Thread[] carrierThreads(Runtime rt) {
        try {
            java.lang.reflect.Field f = Runtime.class.getDeclaredField("core");
            f.setAccessible(true);
            return ((io.weft.internal.runtime.RuntimeCore) f.get(rt)).scheduler().carrierThreads();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Polls {@code condition} until it holds, failing with {@code message} after {@code timeout}. */
    public static void eventually(Duration timeout, BooleanSupplier condition, Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleepMicros = 50;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("condition not met within " + timeout + ": " + message.get());
            }
            try {
                Thread.sleep(Duration.ofNanos(sleepMicros * 1000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting: " + message.get());
            }
            sleepMicros = Math.min(sleepMicros * 2, 20_000);
        }
    }

    /** {@return live platform threads whose name starts with {@code prefix}} */
    public static List<Thread> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
            .toList();
    }

    /** Asserts that within {@code timeout} no platform thread named {@code prefix*} is alive. */
    public static void assertNoThreadsEventually(String prefix, Duration timeout) {
        eventually(timeout, () -> liveThreads(prefix).isEmpty(),
            () -> "threads still alive: " + liveThreads(prefix));
    }

    /**
     * {@return the name of the carrier the calling virtual thread is mounted on}, parsed from
     * {@code VirtualThread.toString()} ({@code VirtualThread[#22]/runnable@weft-worker-0}).
     */
    public static String carrierName() {
        Thread t = Thread.currentThread();
        assertThat(t.isVirtual()).as("called on a virtual thread").isTrue();
        Matcher m = CARRIER.matcher(t.toString());
        return m.find() ? m.group(1) : "";
    }

    /** Busy-spins for about {@code micros} microseconds (CPU work that does not park). */
    public static void spin(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    /** Sleeps, turning an interrupt into an unchecked exception that keeps the status. */
    public static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
