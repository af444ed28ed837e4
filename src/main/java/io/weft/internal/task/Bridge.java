package io.weft.internal.task;

import java.util.function.Function;

/**
 * Lets internal code make the public handle types, whose constructors are not public
 * (the JDK's SharedSecrets pattern).
 */
public final class Bridge {
    private Bridge() {}

    private static volatile Function<TaskImpl<?>, Object> joinHandles;
    private static volatile Function<Object, TaskImpl<?>> tasks;

    /**
     * Called once by {@code JoinHandle}'s static initialiser.
     *
     * @param factory makes a JoinHandle for a task
     */
    public static void registerJoinHandles(Function<TaskImpl<?>, Object> factory) {
        joinHandles = factory;
    }

    /**
     * Called once by {@code JoinHandle}'s static initialiser.
     *
     * @param accessor gives the task behind a JoinHandle
     */
    public static void registerTaskAccess(Function<Object, TaskImpl<?>> accessor) {
        tasks = accessor;
    }

    /**
     * {@return the task behind a {@code JoinHandle}}
     *
     * @param joinHandle the handle (a loaded JoinHandle instance, so its class is initialised)
     */
    public static TaskImpl<?> taskOf(Object joinHandle) {
        return tasks.apply(joinHandle);
    }

    /**
     * {@return the public {@code JoinHandle} of a task}
     *
     * @param task the task
     * @param <H> the handle type
     */
    @SuppressWarnings("unchecked")
    public static <H> H joinHandle(TaskImpl<?> task) {
        Function<TaskImpl<?>, Object> f = joinHandles;
        if (f == null) {
            try {
                Class.forName("io.weft.task.JoinHandle", true, Bridge.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            f = joinHandles;
        }
        @SuppressWarnings("rawtypes")
        Function raw = f;
        return (H) ((TaskImpl<Object>) task).handle(raw);
    }
}
