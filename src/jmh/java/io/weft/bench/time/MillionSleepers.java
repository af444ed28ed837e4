package io.weft.bench.time;

import io.weft.bench.BenchExecutor;
import io.weft.time.Time;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The memory check: do a million sleeping tasks fit in a 2 GiB heap? Not a JMH benchmark (it runs once
 * and is about space, not time); {@code scripts/bench} runs it in a JVM of its own per {@code impl} with
 * {@code -Xms2g -Xmx2g} and renders the JSON it writes into {@code docs/benchmarks.md}.
 *
 * <p>A driver task spawns {@code --tasks} tasks; each counts itself asleep, sleeps {@code --sleep-ms}
 * once and counts itself woken. When all are asleep the check forces a full GC and reads the live heap,
 * then waits for every task to wake. It fails on any throwable in a task (an {@link OutOfMemoryError}
 * included), or if the tasks do not all start, or all wake, within their deadlines; it is inconclusive
 * if spawning them took longer than the sleep, so that they were never all asleep at once. The JVM's
 * exit status is 1 on failure, else 0.
 *
 * <pre>
 * java --add-opens java.base/java.lang=ALL-UNNAMED -Xms2g -Xmx2g -XX:+AlwaysPreTouch \
 *      -Djdk.virtualThreadScheduler.parallelism=2 -Djdk.virtualThreadScheduler.maxPoolSize=2 \
 *      -cp … io.weft.bench.time.MillionSleepers --impl weft|jdk [--tasks 1000000] [--sleep-ms 5000] [--out f.json]
 * </pre>
 *
 * <ul>
 *   <li>{@code weft}: {@code Time.sleep} in tasks of a Weft runtime with two workers.</li>
 *   <li>{@code jdk}: {@code Thread.sleep} in virtual threads on the JDK default scheduler (parallelism 2).</li>
 * </ul>
 */
public final class MillionSleepers {
    private MillionSleepers() {}

    /** How long spawning and falling asleep may take, beyond the sleep itself. */
    private static final long SPAWN_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** How long waking may take, beyond the sleep itself. */
    private static final long WAKE_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(120);

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String impl = opt.getOrDefault("impl", "weft");
        int tasks = Integer.parseInt(opt.getOrDefault("tasks", "1000000"));
        long sleepMillis = Long.parseLong(opt.getOrDefault("sleep-ms", "5000"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("impl", impl);
        result.put("label", switch (impl) {
            case "weft" -> "Weft (`Time.sleep`)";
            case "jdk" -> "JDK virtual threads (`Thread.sleep`)";
            default -> impl;
        });
        result.put("tasks", tasks);
        result.put("sleepMillis", sleepMillis);
        result.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        result.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        result.put("jvmArgs", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        String verdict;
        try {
            verdict = run(impl, tasks, sleepMillis, result);
        } catch (Throwable t) {
            verdict = FAILED;
            result.put("error", "benchmark thread: " + t);
        }
        result.put("verdict", verdict);
        result.put("ok", FITS.equals(verdict));
        result.put("peakHeapBytes", peakHeap());
        String json = toJson(result);
        System.out.println(json);
        String out = opt.get("out");
        if (out != null) {
            Files.writeString(Path.of(out), json + "\n");
        }
        System.out.flush();
        Runtime.getRuntime().halt(FAILED.equals(verdict) ? 1 : 0); // do not wait for tasks a failed run left behind
    }

    /** Every task was asleep at once, then all woke; nothing threw. */
    static final String FITS = "fits";
    /** Nothing threw and all woke, but spawning outlasted the sleep: not all were asleep at once. */
    static final String INCONCLUSIVE = "inconclusive";
    /** A throwable (out of memory?), or tasks that never started or never woke. */
    static final String FAILED = "failed";

    private static String run(String impl, int tasks, long sleepMillis, Map<String, Object> result) {
        final BenchExecutor ex = BenchExecutor.create(switch (impl) {
            case "weft" -> BenchExecutor.WEFT;
            case "jdk" -> BenchExecutor.JDK_VIRTUAL;
            default -> throw new IllegalArgumentException("--impl must be weft or jdk: " + impl);
        });
        final AtomicInteger asleep = new AtomicInteger();
        final AtomicInteger woken = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Duration d = Duration.ofMillis(sleepMillis);
        final Runnable sleeper = "weft".equals(impl)
            ? () -> {
                try {
                    asleep.incrementAndGet();
                    Time.sleep(d);
                    woken.incrementAndGet();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
            : () -> {
                try {
                    asleep.incrementAndGet();
                    Thread.sleep(d);
                    woken.incrementAndGet();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            };
        final long start = System.nanoTime();
        ex.spawnRemote(() -> {
            try {
                for (int i = 0; i < tasks; i++) {
                    ex.spawnLocal(sleeper);
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        // All asleep?
        long deadline = start + SPAWN_DEADLINE_NANOS;
        while (asleep.get() < tasks && failure.get() == null && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        long spawned = System.nanoTime();
        result.put("spawnMillis", TimeUnit.NANOSECONDS.toMillis(spawned - start));
        if (failure.get() != null || asleep.get() < tasks) {
            result.put("asleep", asleep.get() - woken.get());
            result.put("error", failure.get() != null ? "task: " + failure.get()
                : "only " + asleep.get() + " of " + tasks + " tasks started within "
                    + TimeUnit.NANOSECONDS.toSeconds(SPAWN_DEADLINE_NANOS) + " s");
            return FAILED;
        }
        long gcStart = System.nanoTime();
        System.gc();
        result.put("gcMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - gcStart));
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        int asleepNow = asleep.get() - woken.get();
        result.put("asleep", asleepNow);
        result.put("heapAfterGcBytes", live);
        System.err.printf(Locale.ROOT, "[million-sleepers] %s: %,d asleep after %,d ms, live heap %,d MiB%n",
            impl, asleepNow, TimeUnit.NANOSECONDS.toMillis(spawned - start), live >> 20);
        // All woken?
        deadline = start + TimeUnit.MILLISECONDS.toNanos(sleepMillis) + SPAWN_DEADLINE_NANOS + WAKE_DEADLINE_NANOS;
        while (woken.get() < tasks && failure.get() == null && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        result.put("wokenMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        result.put("woken", woken.get());
        if (failure.get() != null) {
            result.put("error", "task: " + failure.get());
            return FAILED;
        }
        if (woken.get() < tasks) {
            result.put("error", "only " + woken.get() + " of " + tasks + " tasks woke");
            return FAILED;
        }
        ex.close();
        if (asleepNow < tasks) {
            result.put("error", "only " + asleepNow + " of " + tasks + " tasks were asleep at once: spawning took "
                + "longer than the sleep (a loaded machine?)");
            return INCONCLUSIVE;
        }
        return FITS;
    }

    /** {@return the heap pools' peak usage, summed} */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }

    private static String toJson(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        for (var e : m.entrySet()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append('"').append(e.getKey()).append("\": ");
            Object v = e.getValue();
            if (v instanceof Number || v instanceof Boolean) {
                b.append(v);
            } else {
                b.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")
                    .replace("\n", "\\n")).append('"');
            }
        }
        return b.append('}').toString();
    }
}
