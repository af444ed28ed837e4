package io.weft.internal.reactor;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;

/**
 * How a reactor's blocking wait is woken: a pipe whose read end the driver watches, holding at most
 * one byte (instead of {@code Selector.wakeup()}, whose monitor tasks must not contend for; see
 * SelectorReactor).
 *
 * <p>Lost wake-up: {@link #wake()} writes a byte only if none is pending. The poller clears the
 * pending flag after draining ({@link #drain()}), never before, so a waker that still finds it set
 * made its change before the poller's next wait, which its caller re-checks (the reactors'
 * {@code stillIdle} and {@code stillParked} conditions). The flag is read with a volatile load, so
 * that ordering holds in the Java memory model, not only on x86.
 */
final class WakePipe implements AutoCloseable {
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(WakePipe.class, "pending", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Pipe pipe;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer drained = ByteBuffer.allocateDirect(64);
    @SuppressWarnings("unused") private volatile boolean pending;

    WakePipe() throws IOException {
        pipe = Pipe.open();
        try {
            pipe.source().configureBlocking(false);
            pipe.sink().configureBlocking(false);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** {@return the read end, for the driver to watch} */
    Pipe.SourceChannel source() {
        return pipe.source();
    }

    /** Makes the current or next wait return: one byte down the pipe, unless one is pending. */
    void wake() {
        if ((boolean) PENDING.getVolatile(this) || !PENDING.compareAndSet(this, false, true)) {
            return;
        }
        try {
            synchronized (one) { // pollers never take this one; wakers hold it for one write
                one.clear();
                pipe.sink().write(one);
            }
        } catch (IOException e) {
            // closed with the reactor: nobody is left to wake
        }
    }

    /** Poller: empties the pipe, then clears the pending flag (in that order, see the class comment). */
    void drain() {
        try {
            while (pipe.source().read(drained.clear()) > 0) {
                // drained
            }
        } catch (IOException ignored) {
            // closing
        }
        PENDING.setVolatile(this, false);
    }

    /** {@return true if a byte is pending} */
    boolean isPending() {
        return pending;
    }

    @Override
    public void close() {
        try {
            pipe.sink().close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            pipe.source().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
