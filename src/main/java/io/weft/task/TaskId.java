package io.weft.task;

/**
 * A task's id: unique among all tasks of all runtimes in this JVM, never reused.
 *
 * <p>Weft's counterpart of Tokio's {@code task::Id}.
 *
 * <h2>Example</h2>
 * {@snippet :
 * var handle = Task.spawn(() -> Task.currentId().orElseThrow());
 * assert handle.join().equals(handle.id());
 * }
 *
 * @param value the numeric id, greater than zero
 */
public record TaskId(long value) {
    /**
     * Validates the id.
     *
     * @param value the numeric id
     */
    public TaskId {
        if (value <= 0) {
            throw new IllegalArgumentException("task ids are positive: " + value);
        }
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
