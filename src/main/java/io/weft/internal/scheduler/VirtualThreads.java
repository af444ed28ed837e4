package io.weft.internal.scheduler;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;

/**
 * The JDK-internal hooks Weft needs to run virtual threads on its own carriers.
 *
 * <p>JDK 25 has no public scheduler API. Two package-private members of {@code java.lang} are used,
 * both reachable only when {@code java.lang} is opened to Weft ({@code --add-opens
 * java.base/java.lang=ALL-UNNAMED} on the class path, {@code =io.weft} on the module path):
 * <ul>
 *   <li>{@code ThreadBuilders.VirtualThreadBuilder(Executor)}: a virtual-thread builder whose threads
 *       submit their continuations to the given executor;</li>
 *   <li>{@code Thread.currentCarrierThread()}: the platform thread the current virtual thread is
 *       mounted on, so {@code execute()} can tell a local submission from a remote one. Held in a
 *       static final {@link MethodHandle}, it compiles to an intrinsic (about 2 ns here).</li>
 * </ul>
 * When either is missing Weft falls back to the JDK default scheduler and says so once.
 */
public final class VirtualThreads {
    private VirtualThreads() {}

    /** System property that forces the JDK default scheduler even when the hooks are open. */
    public static final String FORCE_DEFAULT_PROP_NAME = "weft.forceDefaultScheduler";

    /**
     * System property: where the JDK's socket poller threads start. {@code default} (the default)
     * starts them on the JDK default scheduler before any carrier runs; {@code inherit} leaves them to
     * the JDK, so on JDK 25 they inherit the scheduler of the first virtual thread that blocks on a
     * socket, possibly a Weft task. {@code inherit} exists to measure that set-up (scripts/demo
     * http-bench); with it, shutting that runtime down leaves every blocking socket in the JVM without
     * its poller.
     */
    public static final String JDK_POLLERS_PROP_NAME = "weft.jdkPollers";
    /** Default of {@link #JDK_POLLERS_PROP_NAME}. */
    public static final String JDK_POLLERS_DEFAULT = "default";

    private static final Constructor<?> BUILDER_CTOR;
    private static final MethodHandle CURRENT_CARRIER;
    private static final String UNAVAILABLE_REASON;
    private static volatile boolean warned;

    static {
        Constructor<?> ctor = null;
        MethodHandle carrier = null;
        String reason = null;
        if (Boolean.getBoolean(FORCE_DEFAULT_PROP_NAME)) {
            reason = "system property " + FORCE_DEFAULT_PROP_NAME + " is set";
        } else {
            try {
                Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
                Constructor<?> c = builderClass.getDeclaredConstructor(Executor.class);
                c.setAccessible(true);
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
                carrier = lookup.findStatic(Thread.class, "currentCarrierThread", MethodType.methodType(Thread.class));
                ctor = c;
            } catch (ReflectiveOperationException | RuntimeException e) {
                reason = e.getClass().getSimpleName() + ": " + e.getMessage();
                carrier = null;
            }
        }
        BUILDER_CTOR = ctor;
        CURRENT_CARRIER = carrier;
        UNAVAILABLE_REASON = reason;
        if (ctor != null && !"inherit".equals(System.getProperty(JDK_POLLERS_PROP_NAME, JDK_POLLERS_DEFAULT))) {
            startJdkPollersOffWeft();
        }
    }

    /** {@return true when virtual threads can be given Weft's own scheduler} */
    public static boolean customSchedulerAvailable() {
        return BUILDER_CTOR != null;
    }

    /**
     * Prints, once per JVM, why Weft runs on the JDK default scheduler.
     */
    public static void warnFallbackOnce() {
        if (warned) {
            return;
        }
        synchronized (VirtualThreads.class) {
            if (warned) {
                return;
            }
            warned = true;
        }
        String module = VirtualThreads.class.getModule().isNamed() ? "io.weft" : "ALL-UNNAMED";
        System.getLogger("io.weft").log(System.Logger.Level.WARNING,
            "Weft is running tasks on the JDK default virtual-thread scheduler, not on its own carriers: "
                + "start the JVM with --add-opens java.base/java.lang=" + module
                + " to enable Weft's scheduler (" + UNAVAILABLE_REASON + ")");
    }

    /**
     * Creates a virtual-thread builder whose threads run on {@code scheduler}.
     *
     * @param scheduler receives every continuation of the threads the builder makes
     * @return the builder
     * @throws IllegalStateException if the hook is unavailable
     */
    public static Thread.Builder.OfVirtual builder(Executor scheduler) {
        if (BUILDER_CTOR == null) {
            throw new IllegalStateException("custom virtual-thread scheduler unavailable: " + UNAVAILABLE_REASON);
        }
        try {
            return (Thread.Builder.OfVirtual) BUILDER_CTOR.newInstance(scheduler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual-thread builder", e);
        }
    }

    /**
     * {@return the carrier of the current virtual thread, the current thread itself when it is a platform
     * thread, or null when the hook is unavailable}
     */
    public static Thread currentCarrier() {
        final MethodHandle mh = CURRENT_CARRIER;
        if (mh == null) {
            return null;
        }
        try {
            return (Thread) mh.invokeExact();
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Initialises {@code sun.nio.ch.Poller} from a platform thread.
     *
     * <p>On JDK 25 the socket poller's sub-poller virtual threads are created in {@code Poller}'s static
     * initialiser and inherit the scheduler of the thread that triggers it. Were that a Weft task,
     * every blocking socket in the JVM would come to depend on one Weft runtime and hang once it shut
     * down. Initialising the class here, before any carrier runs, puts them on the default scheduler.
     */
    private static void startJdkPollersOffWeft() {
        if (Thread.currentThread().isVirtual()) {
            Thread t = Thread.ofPlatform().daemon().name("weft-poller-init").start(VirtualThreads::initPoller);
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else {
            initPoller();
        }
    }

    private static void initPoller() {
        try {
            Class.forName("sun.nio.ch.Poller", true, null);
        } catch (Throwable ignored) {
            // Not fatal: a JDK without this class has no lazily created poller threads to worry about.
        }
    }
}
