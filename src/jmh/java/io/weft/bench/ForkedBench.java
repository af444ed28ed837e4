package io.weft.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every Weft benchmark shares: the fork's JVM flags and the run shape. {@code scripts/bench}
 * overrides forks and iterations ({@code --quick}); the defaults here are the full run. JMH reads these
 * annotations from the nearest superclass that has them, so a benchmark class only extends
 * {@link AbstractBench} (three executors) or {@link VersusJdkBench} (Weft against a JDK primitive).
 *
 * <p>Fork flags (design notes, section 4, "benchmark hygiene"):
 * <ul>
 *   <li>{@code --add-opens java.base/java.lang=ALL-UNNAMED}: Weft's scheduler hook. JMH runs the
 *       benchmarks on the class path, hence {@code ALL-UNNAMED}.</li>
 *   <li>{@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}: without pre-touch about a fifth of spawn samples
 *       were the kernel zeroing fresh heap pages.</li>
 *   <li>{@code -Djdk.virtualThreadScheduler.parallelism=2 …maxPoolSize=2}: the JDK default scheduler
 *       gets the same two workers as Weft and the platform pool, and no compensation threads.</li>
 *   <li>{@code --sun-misc-unsafe-memory-access=allow}: JMH itself uses {@code sun.misc.Unsafe}; this only
 *       silences JDK 25's warning in every fork's output.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 3, jvmArgsAppend = {
    "--add-opens", "java.base/java.lang=ALL-UNNAMED",
    "-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch",
    "-Djdk.virtualThreadScheduler.parallelism=2",
    "-Djdk.virtualThreadScheduler.maxPoolSize=2",
    "--sun-misc-unsafe-memory-access=allow",
})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class ForkedBench {
    /** How long any batch may take before the benchmark fails instead of hanging JMH. */
    protected static final long GUARD_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** How long a trial's teardown waits for the long-lived tasks it stops. */
    protected static final long STOP_NANOS = TimeUnit.SECONDS.toNanos(10);
}
