package io.weft.runtime;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.Bridge;
import io.weft.task.JoinHandle;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * A reference to a running {@link Runtime}: spawn onto it from any thread [Tokio: {@code runtime::Handle}].
 *
 * <p>Inside a task (or on a blocking-pool thread, or in any code running on a Weft carrier),
 * {@link #current()} returns the runtime that runs it.
 *
 * <h2>Example</h2>
 * {@snippet :
 * rt.blockOn(() -> {
 *     Handle h = Handle.current();
 *     new Thread(() -> h.spawn(() -> System.out.println("from a plain thread"))).start();
 *     return null;
 * });
 * }
 */
public final class Handle {
    private final RuntimeCore core;
    private final RuntimeMetrics metrics;

    Handle(RuntimeCore core) {
        this.core = core;
        this.metrics = new RuntimeMetrics(core);
    }

    /**
     * {@return the runtime the calling code runs in}
     *
     * {@snippet :
     * rt.blockOn(() -> Handle.current().spawn(() -> 1).join());
     * }
     *
     * @throws IllegalStateException outside a Weft runtime
     */
    public static Handle current() {
        RuntimeCore rc = RuntimeCore.current();
        if (rc == null) {
            throw new IllegalStateException(
                "not inside a Weft runtime: call this from a task (Runtime.spawn/blockOn), or use a Handle from Runtime.handle()");
        }
        return (Handle) rc.facade;
    }

    /**
     * {@return the runtime the calling code runs in, or empty outside a runtime}
     *
     * {@snippet :
     * boolean inside = Handle.tryCurrent().isPresent();
     * }
     */
    public static Optional<Handle> tryCurrent() {
        RuntimeCore rc = RuntimeCore.current();
        return rc == null ? Optional.empty() : Optional.of((Handle) rc.facade);
    }

    /**
     * Spawns a task on this runtime.
     *
     * {@snippet :
     * JoinHandle<String> h = handle.spawn(() -> "hi");
     * }
     *
     * @param task the body
     * @param <T> its result type
     * @return its handle; a cancelled one if the runtime is shutting down
     */
    public <T> JoinHandle<T> spawn(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return Bridge.joinHandle(core.spawn(task, null));
    }

    /**
     * Spawns a task that returns nothing.
     *
     * {@snippet :
     * handle.spawn(() -> System.out.println("hi"));
     * }
     *
     * @param task the body
     * @return its handle, whose value is null
     */
    public JoinHandle<Void> spawn(Runnable task) {
        Objects.requireNonNull(task, "task");
        return Bridge.joinHandle(core.<Void>spawn(() -> {
            task.run();
            return null;
        }, null));
    }

    /**
     * Spawns a named task (the name shows in thread dumps).
     *
     * {@snippet :
     * handle.spawnNamed("poller", () -> poll());
     * }
     *
     * @param name the name
     * @param task the body
     * @param <T> its result type
     * @return its handle
     */
    public <T> JoinHandle<T> spawnNamed(String name, Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return Bridge.joinHandle(core.spawn(task, Objects.requireNonNull(name, "name")));
    }

    /**
     * Runs blocking work on the runtime's blocking pool.
     *
     * {@snippet :
     * var text = handle.spawnBlocking(() -> Files.readString(path)).join();
     * }
     *
     * @param task the work
     * @param <T> its result type
     * @return its handle
     */
    public <T> JoinHandle<T> spawnBlocking(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return Bridge.joinHandle(core.spawnBlocking(task, null));
    }

    /**
     * Runs {@code task} on this runtime and parks the caller until it returns; see {@link Runtime#blockOn}.
     *
     * {@snippet :
     * int n = handle.blockOn(() -> 42);
     * }
     *
     * @param task the body
     * @param <T> its result type
     * @return what it returned
     */
    public <T> T blockOn(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return core.blockOn(task);
    }

    /**
     * {@return the runtime's metrics}
     *
     * {@snippet :
     * long alive = Handle.current().metrics().aliveTasks();
     * }
     */
    public RuntimeMetrics metrics() {
        return metrics;
    }

    /**
     * {@return true when this runtime's tasks run on Weft's carriers}
     *
     * {@snippet :
     * boolean weft = Handle.current().usesWeftScheduler();
     * }
     */
    public boolean usesWeftScheduler() {
        return core.usesWeftScheduler();
    }

    /**
     * {@return true once the runtime has begun shutting down}
     *
     * {@snippet :
     * if (Handle.current().isShutdown()) return;
     * }
     */
    public boolean isShutdown() {
        return core.isShutdown();
    }

    @Override
    public String toString() {
        return "Handle[runtime " + core.id() + "]";
    }
}
