package io.weft.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The base of the benchmarks that run one workload on three executors: the {@code executor} parameter.
 * The fork's JVM flags and the run shape are {@link ForkedBench}'s.
 *
 * <p>Every executor runs in a fork of its own (JMH forks per parameter combination), so their JVMs are
 * configured identically and do not disturb each other.
 */
public abstract class AbstractBench extends ForkedBench {
    /** Which executor runs the tasks; see {@link BenchExecutor}. */
    @Param({BenchExecutor.WEFT, BenchExecutor.JDK_VIRTUAL, BenchExecutor.PLATFORM_POOL})
    public String executor;

    /** The executor named by {@link #executor}, built once per fork. */
    protected BenchExecutor exec;

    /** Builds the executor; fails loudly if the JVM is not set up for it. */
    @Setup(Level.Trial)
    public void setUpExecutor() {
        exec = BenchExecutor.create(executor);
    }

    /** Stops the executor. Subclasses stop their own long-running tasks first, in {@link #beforeClose()}. */
    @TearDown(Level.Trial)
    public void tearDownExecutor() {
        try {
            beforeClose();
        } finally {
            exec.close();
        }
    }

    /** Stops any task a benchmark left running, before the executor closes. */
    protected void beforeClose() {}
}
