package io.weft.internal.task;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TaskRegistry} under concurrent add / remove / size / closeAndSnapshot.
 *
 * <p>The registry is deliberately not linearizable as a whole ({@code size()} is a racy sum over
 * shards, and {@code closeAndSnapshot()} closes shard by shard), so the operations return nothing and
 * the checks are invariants verified after each interleaving: the lists stay well formed, the counts
 * match the lists, and no task is ever lost: an add that was accepted and never removed is in every
 * snapshot taken by {@code closeAndSnapshot()} and in the final contents (what shutdown relies on).
 * A task is removed only after its add returned, as in the runtime.
 */
@Tag("lincheck")
@Timeout(300)
@Param(name = "task", gen = IntGen.class, conf = "0:3")
public class TaskRegistryLincheckTest {
    private static final int TASKS = 4;

    private static final TaskOwner OWNER = new TaskOwner() {
        @Override
        public void taskFailed(TaskImpl<?> task, Throwable error) {}

        @Override
        public void taskEnded(TaskImpl<?> task) {}

        @Override
        public void reportCallbackError(Throwable error) {}
    };

    private final TaskRegistry registry = new TaskRegistry(null, 2, 2);
    private final List<TaskImpl<?>> tasks = new ArrayList<>();
    private final AtomicBoolean[] claimed = new AtomicBoolean[TASKS];
    /** 0 = never added, 1 = accepted, 2 = refused. */
    private final AtomicIntegerArray addResult = new AtomicIntegerArray(TASKS);
    private final AtomicIntegerArray removeCalled = new AtomicIntegerArray(TASKS);
    private final AtomicBoolean closeStarted = new AtomicBoolean();
    private final List<List<TaskImpl<?>>> closeSnapshots = new CopyOnWriteArrayList<>();

    public TaskRegistryLincheckTest() {
        for (int i = 0; i < TASKS; i++) {
            tasks.add(new TaskImpl<>(OWNER, () -> null, null, false));
            claimed[i] = new AtomicBoolean();
        }
    }

    /** Adds task {@code i} (each task at most once, as the runtime does). */
    @Operation
    public void add(@Param(name = "task") int i) {
        if (claimed[i].compareAndSet(false, true)) {
            addResult.set(i, registry.add(tasks.get(i)) ? 1 : 2);
        }
    }

    /**
     * Removes task {@code i} once its add has returned: the runtime removes a task when its body ends,
     * which happens-after the spawn that added it (remove reads the shard that add chose).
     */
    @Operation
    public void remove(@Param(name = "task") int i) {
        if (addResult.get(i) != 0) {
            removeCalled.set(i, 1);
            registry.remove(tasks.get(i));
        }
    }

    @Operation
    public void size() {
        long n = registry.size();
        if (n < 0 || n > TASKS) {
            throw new IllegalStateException("size " + n);
        }
    }

    @Operation
    public void snapshot() {
        checkDistinct(registry.snapshot());
    }

    @Operation(runOnce = true)
    public void closeAndSnapshot() {
        closeStarted.set(true);
        List<TaskImpl<?>> snap = registry.closeAndSnapshot();
        checkDistinct(snap);
        closeSnapshots.add(snap);
    }

    private static void checkDistinct(List<TaskImpl<?>> snap) {
        if (new HashSet<>(snap).size() != snap.size()) {
            throw new IllegalStateException("a task appears twice: " + snap);
        }
    }

    @Validate
    public void nothingLostNothingCorrupt() {
        List<TaskImpl<?>> now = registry.snapshot();
        checkDistinct(now);
        Set<TaskImpl<?>> present = new HashSet<>(now);
        if (registry.size() != now.size()) {
            throw new IllegalStateException("size " + registry.size() + " but lists hold " + now.size());
        }
        for (int i = 0; i < TASKS; i++) {
            TaskImpl<?> t = tasks.get(i);
            boolean in = present.contains(t);
            if ((t.slot >= 0) != in) {
                throw new IllegalStateException("task " + i + " registered=" + (t.slot >= 0) + " but listed=" + in);
            }
            if (in && addResult.get(i) != 1) {
                throw new IllegalStateException("task " + i + " is listed but its add was " + addResult.get(i));
            }
            boolean keptForever = addResult.get(i) == 1 && removeCalled.get(i) == 0;
            if (keptForever && !in) {
                throw new IllegalStateException("task " + i + " was accepted, never removed, and is gone");
            }
            if (keptForever) {
                for (List<TaskImpl<?>> snap : closeSnapshots) {
                    if (!snap.contains(t)) {
                        throw new IllegalStateException("task " + i + " was accepted but closeAndSnapshot missed it: "
                            + "shutdown would never abort it");
                    }
                }
            }
            if (addResult.get(i) == 2 && !closeStarted.get()) {
                throw new IllegalStateException("task " + i + " was refused before any close");
            }
        }
    }

    @Test
    void modelChecking() {
        // About 40 ms an invocation here (the LongAdder and the atomic arrays are all instrumented):
        // the default run stays short; modelCheckingLong (stress-long) explores far more.
        new ModelCheckingOptions().iterations(4).invocationsPerIteration(100).check(getClass());
    }

    @Test
    void stress() {
        new StressOptions().iterations(5).invocationsPerIteration(200).check(getClass());
    }

    /** The thorough run: over 300 s on a 2-core machine, so it gets a timeout of its own. */
    @Test
    @Tag("stress-long")
    @Timeout(1200)
    void modelCheckingLong() {
        new ModelCheckingOptions().iterations(50).invocationsPerIteration(1000).threads(3).check(getClass());
    }
}
