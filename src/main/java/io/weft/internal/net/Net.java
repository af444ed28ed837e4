package io.weft.internal.net;

import io.weft.internal.reactor.IoSource;
import io.weft.internal.reactor.Reactor;
import io.weft.internal.time.Sleeps;
import io.weft.internal.time.TimeDriver;
import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.time.Duration;

/** Helpers shared by the socket types. */
public final class Net {
    private Net() {}

    /**
     * Registers a channel with the reactor of the calling task's runtime (a JVM-wide one outside any
     * runtime), putting it in non-blocking mode.
     *
     * @param ch the channel
     * @return its readiness
     * @throws IOException if the runtime has shut down
     */
    public static IoSource register(SelectableChannel ch) throws IOException {
        Reactor r = Sleeps.driver().reactor();
        return r.register(ch);
    }

    /**
     * {@return a deadline in the current driver's nanoseconds, or 0 for none}
     *
     * @param timeout a timeout, or null / zero for none
     */
    public static long deadline(Duration timeout) {
        if (timeout == null || timeout.isZero()) {
            return 0;
        }
        TimeDriver d = Sleeps.driver();
        long t = d.nanos() + TimeDriver.saturatedNanos(timeout);
        return t == 0 ? 1 : t;
    }

    /**
     * {@return a validated timeout}, null meaning none
     *
     * @param d the timeout, or null
     * @param what names it in the error
     */
    public static Duration checkTimeout(Duration d, String what) {
        if (d != null && d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative: " + d);
        }
        return d == null || d.isZero() ? null : d;
    }
}
