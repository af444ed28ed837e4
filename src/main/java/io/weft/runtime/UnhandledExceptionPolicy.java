package io.weft.runtime;

/**
 * What a runtime does when a task throws.
 *
 * <p>Weft's counterpart of Tokio's {@code UnhandledPanic}. Either way, the exception is kept in the
 * task's {@link io.weft.task.JoinHandle} and never reaches a carrier thread.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var rt = Runtime.builder()
 *     .unhandledException(UnhandledExceptionPolicy.SHUTDOWN_RUNTIME)
 *     .build();
 * }
 */
public enum UnhandledExceptionPolicy {
    /** The default: the {@code JoinHandle} holds the exception; the runtime carries on. */
    IGNORE,
    /** The runtime shuts down at once ({@link Runtime#shutdownNow()}), aborting every other task. */
    SHUTDOWN_RUNTIME
}
