package io.weft.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The base of the benchmarks that pit a Weft primitive against the JDK's nearest equivalent in one run:
 * each class declares its own {@code impl} parameter, {@code "weft"} first, then one or more JDK
 * variants, and returns it from {@link #impl()}.
 *
 * <ul>
 *   <li>{@value #WEFT}: the Weft primitive, called from tasks of a Weft {@code Runtime} with
 *       {@value BenchExecutor#WORKERS} workers.</li>
 *   <li>anything else ({@value #JDK}, {@code "jdk-fair"}, …): the JDK primitive the class names, called
 *       from virtual threads on the JDK default scheduler at parallelism {@value BenchExecutor#WORKERS}.</li>
 * </ul>
 *
 * <p>So a ratio compares two whole stacks, primitive and scheduler, as a user switching from one to the
 * other would see them. The fork flags are {@link ForkedBench}'s; each {@code impl} runs in forks of its
 * own.
 *
 * <p>Trial life cycle: {@link #setUpTrial()} builds the executor, then calls {@link #setUp()} (long-lived
 * tasks, channels reused across invocations); {@link #tearDownTrial()} calls {@link #beforeClose()}, which
 * must stop those tasks within {@link #STOP_NANOS}, then closes the executor.
 */
public abstract class VersusJdkBench extends ForkedBench {
    /** The {@code impl} value for Weft. */
    public static final String WEFT = "weft";
    /** The usual {@code impl} value for the JDK's nearest equivalent. */
    public static final String JDK = "jdk";

    /** The executor: Weft's runtime for {@value #WEFT}, JDK virtual threads for the rest. */
    protected BenchExecutor exec;

    /** True for {@value #WEFT}: the benchmark bodies branch on it once per invocation. */
    protected boolean weft;

    /** {@return the class's {@code impl} parameter} */
    protected abstract String impl();

    /** Builds the executor (failing loudly if the fork is not set up for it), then {@link #setUp()}. */
    @Setup(Level.Trial)
    public final void setUpTrial() {
        weft = WEFT.equals(impl());
        exec = BenchExecutor.create(weft ? BenchExecutor.WEFT : BenchExecutor.JDK_VIRTUAL);
        setUp();
    }

    /** Stops the class's long-lived tasks, then the executor. */
    @TearDown(Level.Trial)
    public final void tearDownTrial() {
        try {
            beforeClose();
        } finally {
            exec.close();
        }
    }

    /** Trial-level set-up after the executor exists: long-lived tasks, shared channels. */
    protected void setUp() {}

    /** Stops the tasks {@link #setUp()} started, before the executor closes. */
    protected void beforeClose() {}

    /**
     * Runs a batch: one driver task does {@code body} (spawning helpers with
     * {@code exec.spawnLocal}, which count down {@code done} too), and the benchmark thread waits for
     * {@code done}, at most {@link #GUARD_NANOS}.
     *
     * @param done counts the driver and every helper
     * @param what the batch's name, for a failure message
     * @param body the driver's work
     */
    protected final void drive(Countdown done, String what, Countdown.Body body) {
        exec.spawnRemote(done.task(body));
        done.awaitOrFail(GUARD_NANOS, what, exec);
    }
}
