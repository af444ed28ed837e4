package io.weft.internal.runtime;

import java.util.Objects;
import java.util.function.Function;

/**
 * Gives internal code the {@link RuntimeCore} behind a public {@code io.weft.runtime.Runtime}, whose
 * field is private (the JDK's SharedSecrets pattern, as {@code io.weft.internal.task.Bridge} does for
 * handles).
 */
public final class RuntimeAccess {
    private RuntimeAccess() {}

    private static volatile Function<Object, RuntimeCore> cores;

    /**
     * Called once by {@code Runtime}'s static initialiser.
     *
     * @param accessor gives the core of a Runtime
     */
    public static void register(Function<Object, RuntimeCore> accessor) {
        cores = accessor;
    }

    /**
     * {@return the core of {@code runtime}}
     *
     * @param runtime a {@code io.weft.runtime.Runtime} (an instance, so its class is initialised)
     */
    public static RuntimeCore coreOf(Object runtime) {
        return Objects.requireNonNull(cores, "io.weft.runtime.Runtime not initialised").apply(runtime);
    }
}
