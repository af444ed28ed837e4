package io.weft.sync;

/**
 * What every guard shares: a closed flag that goes from false to true once, so that closing a guard
 * twice (or from two tasks) releases its lock once.
 *
 * <p>The flag is set under the guard's own monitor rather than by a CAS: when a guard does not escape
 * the block that uses it, the JIT drops both the lock and the allocation (escape analysis), which it
 * does not do for a CAS on the guard's field.
 */
abstract class CloseOnce {
    private volatile boolean closed;

    /** {@return false if already closed; otherwise marks it closed and returns true} */
    final synchronized boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /** {@return true once closed} */
    final boolean closed() {
        return closed;
    }
}
