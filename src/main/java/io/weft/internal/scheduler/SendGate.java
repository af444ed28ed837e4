package io.weft.internal.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets a channel's receiver wait out the sends that might not have seen it close, without a shared
 * in-flight counter on the send path.
 *
 * <pre>
 * Implementation overview
 *
 * The problem: a send checks the channel's closed flag and then enqueues. A receiver that has closed
 *   must not report the end while a send that saw the channel open is still between the two, or that
 *   message (which its sender was told was sent) is never received. A counter of such sends, shared by
 *   every sender of a channel, costs two contended atomics per message.
 * The gate (an RCU-style grace period): a send's window (closed check + enqueue) never parks, so on a
 *   Weft carrier no other task runs on that carrier during it. Each carrier keeps a sequence number,
 *   odd while a window is open on it. enter(): seq+1 (a store only this carrier's thread makes), a full
 *   fence, then the caller reads the closed flag. exit(): seq+1 (a release store). A receiver that
 *   has seen the flag set calls awaitWindows(): for every live carrier of every runtime, if its seq is
 *   odd, spin until it changes. A window that opened after the flag was set sees the flag (the fence
 *   orders the seq store before the flag read; the receiver's volatile read of the flag precedes its
 *   seq reads), so afterwards no admitted message can still be on its way into the queue.
 * Senders on other threads (platform threads, JDK-scheduled virtual threads, the fallback mode) get
 *   null from enter() and count themselves in a counter of the channel's own (outside), which the
 *   receiver waits to read zero; only those senders pay for contention.
 * Carriers register before they run their first task and deregister as they exit, so a carrier the
 *   receiver did not see registered had not yet started any window.
 * </pre>
 */
public final class SendGate {
    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(Carrier.class, "gateSeq", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final Object LOCK = new Object();
    private static volatile Carrier[] live = new Carrier[0];

    private SendGate() {}

    static void register(Carrier c) {
        synchronized (LOCK) {
            Carrier[] a = Arrays.copyOf(live, live.length + 1);
            a[a.length - 1] = c;
            live = a;
        }
    }

    static void deregister(Carrier c) {
        synchronized (LOCK) {
            Carrier[] a = live;
            for (int i = 0; i < a.length; i++) {
                if (a[i] == c) {
                    Carrier[] b = new Carrier[a.length - 1];
                    System.arraycopy(a, 0, b, 0, i);
                    System.arraycopy(a, i + 1, b, i, a.length - i - 1);
                    live = b;
                    return;
                }
            }
        }
    }

    /**
     * Opens a send window; the caller then reads the channel's closed flag and enqueues, without parking.
     *
     * @param outside the channel's counter for senders that are not on a Weft carrier
     * @return the carrier to pass to {@link #exit}, or null if the window was counted in {@code outside}
     */
    public static Carrier enter(AtomicInteger outside) {
        if (VirtualThreads.currentCarrier() instanceof Carrier c) {
            SEQ.setOpaque(c, c.gateSeq + 1);
            VarHandle.fullFence();
            return c;
        }
        outside.getAndIncrement();
        return null;
    }

    /**
     * Closes the window {@link #enter} opened.
     *
     * @param c what enter returned
     * @param outside the same counter
     */
    public static void exit(Carrier c, AtomicInteger outside) {
        if (c != null) {
            SEQ.setRelease(c, c.gateSeq + 1);
        } else {
            outside.getAndDecrement();
        }
    }

    /**
     * Waits until every send window that was open when the caller read the closed flag has closed.
     *
     * @param outside the channel's counter for senders that are not on a Weft carrier
     */
    public static void awaitWindows(AtomicInteger outside) {
        for (Carrier c : live) {
            long s = (long) SEQ.getVolatile(c);
            if ((s & 1) != 0) {
                while ((long) SEQ.getVolatile(c) == s) {
                    Thread.onSpinWait(); // that carrier is running the window's few instructions
                }
            }
        }
        while (outside.get() != 0) {
            Thread.onSpinWait();
        }
    }
}
