package io.weft.task;

import io.weft.internal.runtime.RuntimeCore;
import io.weft.internal.task.TaskImpl;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Spawning and yielding on the current runtime [Tokio: {@code tokio::task}].
 *
 * <p>These static methods act on the runtime the calling code runs in (see
 * {@link io.weft.runtime.Handle#current()}); outside a runtime they throw {@link IllegalStateException}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * rt.blockOn(() -> {
 *     var handles = new ArrayList<JoinHandle<Integer>>();
 *     for (int i = 0; i < 10; i++) {
 *         int n = i;
 *         handles.add(Task.spawn(() -> n * n));
 *     }
 *     int sum = 0;
 *     for (var h : handles) sum += h.join();
 *     return sum; // 285
 * });
 * }
 */
public final class Task {
    private Task() {}

    static RuntimeCore currentRuntime() {
        RuntimeCore rc = RuntimeCore.current();
        if (rc == null) {
            throw new IllegalStateException(
                "not inside a Weft runtime: spawn from a task, or use Runtime.spawn / Handle.spawn");
        }
        return rc;
    }

    /**
     * Spawns a task on the current runtime [Tokio: {@code tokio::spawn}].
     *
     * {@snippet :
     * JoinHandle<String> h = Task.spawn(() -> "hello");
     * }
     *
     * @param task the body
     * @param <T> its result type
     * @return its handle
     * @throws IllegalStateException outside a runtime
     */
    public static <T> JoinHandle<T> spawn(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return JoinHandle.of(currentRuntime().spawn(task, null));
    }

    /**
     * Spawns a task that returns nothing.
     *
     * {@snippet :
     * Task.spawn(() -> System.out.println("side job"));
     * }
     *
     * @param task the body
     * @return its handle, whose value is null
     * @throws IllegalStateException outside a runtime
     */
    public static JoinHandle<Void> spawn(Runnable task) {
        Objects.requireNonNull(task, "task");
        return JoinHandle.of(currentRuntime().<Void>spawn(() -> {
            task.run();
            return null;
        }, null));
    }

    /**
     * Runs blocking work on the current runtime's blocking pool [Tokio: {@code spawn_blocking}].
     *
     * {@snippet :
     * byte[] data = Task.spawnBlocking(() -> Files.readAllBytes(path)).join();
     * }
     *
     * @param task the work
     * @param <T> its result type
     * @return its handle
     * @throws IllegalStateException outside a runtime
     */
    public static <T> JoinHandle<T> spawnBlocking(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        return JoinHandle.of(currentRuntime().spawnBlocking(task, null));
    }

    /**
     * Yields: the calling task goes behind the work already queued on its carrier [Tokio: {@code yield_now}].
     *
     * <p>Also a cancellation point: an aborted task throws {@link CancelledException} here, so a loop
     * that yields can always be aborted. Outside a runtime it yields the thread.
     * {@snippet :
     * for (int i = 0; i < 1_000; i++) {
     *     crunch(i);
     *     Task.yieldNow(); // let others run
     * }
     * }
     *
     * @throws CancelledException if the task was aborted
     */
    public static void yieldNow() {
        checkCancelled();
        Thread.yield();
        checkCancelled();
    }

    /**
     * Throws {@link CancelledException} if the calling task has been aborted (or its thread interrupted).
     *
     * {@snippet :
     * while (true) {
     *     Task.checkCancelled();
     *     crunch();
     * }
     * }
     *
     * @throws CancelledException if the task was aborted
     */
    public static void checkCancelled() {
        if (Thread.currentThread().isInterrupted()) {
            TaskImpl<?> t = TaskImpl.current();
            throw new CancelledException(t != null ? "task " + t.id() + " was aborted" : "thread interrupted");
        }
    }

    /**
     * {@return the id of the task the caller runs in, or empty outside a task} [Tokio: {@code task::try_id}]
     *
     * {@snippet :
     * Task.currentId().ifPresent(id -> System.out.println("in task " + id));
     * }
     */
    public static Optional<TaskId> currentId() {
        TaskImpl<?> t = TaskImpl.current();
        return t == null ? Optional.empty() : Optional.of(t.taskId());
    }

    /**
     * {@return a builder for a task with options (a name)} [Tokio: {@code task::Builder}]
     *
     * {@snippet :
     * Task.builder().name("flusher").spawn(() -> flushForever());
     * }
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@return a new structured scope: forks that cannot outlive it}
     *
     * {@snippet :
     * try (var scope = Task.scope()) {
     *     var user = scope.fork(() -> fetchUser());
     *     var order = scope.fork(() -> fetchOrder());
     *     scope.join();
     *     return new Page(user.join(), order.join());
     * }
     * }
     *
     * @throws IllegalStateException outside a runtime
     */
    public static TaskScope scope() {
        return new TaskScope(currentRuntime());
    }

    /**
     * Spawns tasks with options [Tokio: {@code task::Builder}].
     *
     * <h2>Example</h2>
     * {@snippet :
     * JoinHandle<Void> h = Task.builder().name("ticker").spawn(() -> tick());
     * }
     */
    public static final class Builder {
        private String name;

        Builder() {}

        /**
         * Names the task; the name is its virtual thread's name, shown in thread dumps.
         *
         * {@snippet :
         * Task.builder().name("worker-7");
         * }
         *
         * @param name the name
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Spawns the task on the current runtime.
         *
         * {@snippet :
         * Task.builder().name("answer").spawn(() -> 42).join();
         * }
         *
         * @param task the body
         * @param <T> its result type
         * @return its handle
         */
        public <T> JoinHandle<T> spawn(Callable<T> task) {
            Objects.requireNonNull(task, "task");
            return JoinHandle.of(currentRuntime().spawn(task, name));
        }

        /**
         * Spawns a task that returns nothing.
         *
         * {@snippet :
         * Task.builder().name("logger").spawn(() -> System.out.println("hi"));
         * }
         *
         * @param task the body
         * @return its handle
         */
        public JoinHandle<Void> spawn(Runnable task) {
            Objects.requireNonNull(task, "task");
            return JoinHandle.of(currentRuntime().<Void>spawn(() -> {
                task.run();
                return null;
            }, name));
        }

        /**
         * Spawns named blocking work on the blocking pool.
         *
         * {@snippet :
         * Task.builder().name("reader").spawnBlocking(() -> Files.readString(path));
         * }
         *
         * @param task the work
         * @param <T> its result type
         * @return its handle
         */
        public <T> JoinHandle<T> spawnBlocking(Callable<T> task) {
            Objects.requireNonNull(task, "task");
            return JoinHandle.of(currentRuntime().spawnBlocking(task, name));
        }
    }
}
