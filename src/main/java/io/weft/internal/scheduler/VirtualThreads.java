package io.weft.internal.scheduler;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Stream;

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
 *   <li>{@code Thread.start(ThreadContainer)}: starts a thread in a thread container of Weft's own
 *       (see {@link #newContainer}) instead of the JDK's root container. The root container adds
 *       every virtual thread to one JVM-wide concurrent set and removes it at exit; the design notes
 *       (section 4) found 45-55 % of a spawn-heavy profile there. Weft already tracks its tasks in
 *       its own registry, so its container keeps nothing per thread and lists the runtime's live
 *       threads from that registry when a thread dump asks (each runtime shows up as a container of
 *       its own in {@code jcmd Thread.dump_to_file}). When this hook is missing, threads start in the
 *       root container as usual.</li>
 * </ul>
 * When either of the first two is missing Weft falls back to the JDK default scheduler and says so once.
 */
public final class VirtualThreads {
    private VirtualThreads() {}

    /** System property that forces the JDK default scheduler even when the hooks are open. */
    public static final String FORCE_DEFAULT_PROP_NAME = "weft.forceDefaultScheduler";

    /**
     * System property: where the JDK's socket poller threads start. {@code default} (the default)
     * starts them on the JDK default scheduler before any carrier runs; {@code inherit} leaves them to
     * the JDK, so on JDK 25 they inherit the scheduler of the first virtual thread that blocks on a
     * socket, possibly a Weft task. Then the pollers' wake-ups are pushes onto the carrier's own
     * queue, as on the JDK default scheduler (Helidon on Weft serves 10-15 % more requests a second
     * that way, see docs/benchmarks.md), but the JVM's socket pollers live on that runtime. When it
     * shuts down they move to the {@link LateExecutor}, so sockets keep working
     * (PollerIsolationTest checks both), on platform threads instead of carriers.
     */
    public static final String JDK_POLLERS_PROP_NAME = "weft.jdkPollers";
    /** Default of {@link #JDK_POLLERS_PROP_NAME}. */
    public static final String JDK_POLLERS_DEFAULT = "default";

    private static final Constructor<?> BUILDER_CTOR;
    private static final MethodHandle CURRENT_CARRIER;
    private static final String UNAVAILABLE_REASON;
    private static volatile boolean warned;
    /** {@code (Thread, ThreadContainer) -> void}, typed {@code (Thread, Object) -> void}, or null. */
    private static final MethodHandle START_IN;
    /** {@code (String, Supplier) -> ThreadContainer}, typed {@code (String, Supplier) -> Object}, or null. */
    private static final MethodHandle NEW_CONTAINER;

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
        MethodHandle[] containerHooks = ctor == null ? null : containerHooks();
        START_IN = containerHooks == null ? null : containerHooks[0];
        NEW_CONTAINER = containerHooks == null ? null : containerHooks[1];
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

    /** Binary name of the container class Weft defines in {@code java.lang}. */
    private static final String CONTAINER_CLASS = "java.lang.WeftThreadContainer";

    /**
     * Defines (once per JVM) a {@code jdk.internal.vm.ThreadContainer} subclass in {@code java.lang},
     * where the opened package lets Weft define classes, and looks up the hooks that use it. The class
     * is generated with the ClassFile API; its Java equivalent is:
     * <pre>{@code
     * final class WeftThreadContainer extends jdk.internal.vm.ThreadContainer {
     *     private final String name;
     *     private final Supplier<Stream<Thread>> threads;
     *     public WeftThreadContainer(String name, Supplier<Stream<Thread>> threads) {
     *         super(true); // shared: no owner thread
     *         this.name = name;
     *         this.threads = threads;
     *         ThreadContainers.registerContainer(this); // thread dumps find it (held weakly)
     *     }
     *     public String name() { return name; }
     *     public Stream<Thread> threads() { return threads.get(); }
     *     // onStart/onExit are the superclass's no-ops: nothing is recorded per thread
     * }
     * }</pre>
     *
     * @return {start, constructor}, or null (threads then start in the root container)
     */
    private static MethodHandle[] containerHooks() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
            Class<?> containerType = Class.forName("jdk.internal.vm.ThreadContainer", false, null);
            Class<?> cls;
            try {
                cls = Class.forName(CONTAINER_CLASS, false, null);
            } catch (ClassNotFoundException notYet) {
                try {
                    cls = lookup.defineClass(containerClassBytes());
                } catch (LinkageError raced) { // another copy of Weft in this JVM defined it first
                    cls = Class.forName(CONTAINER_CLASS, false, null);
                }
            }
            MethodHandle start = lookup.findVirtual(Thread.class, "start",
                    MethodType.methodType(void.class, containerType))
                .asType(MethodType.methodType(void.class, Thread.class, Object.class));
            MethodHandle create = lookup.findConstructor(cls,
                    MethodType.methodType(void.class, String.class, Supplier.class))
                .asType(MethodType.methodType(Object.class, String.class, Supplier.class));
            return new MethodHandle[] {start, create};
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            System.getLogger("io.weft").log(System.Logger.Level.DEBUG,
                "Weft's thread container is unavailable; tasks start in the JDK's root container", e);
            return null;
        }
    }

    private static byte[] containerClassBytes() {
        ClassDesc self = ClassDesc.of(CONTAINER_CLASS);
        ClassDesc superType = ClassDesc.of("jdk.internal.vm.ThreadContainer");
        ClassDesc supplier = ClassDesc.of("java.util.function.Supplier");
        ClassDesc stream = ClassDesc.of("java.util.stream.Stream");
        return ClassFile.of().build(self, cb -> cb
            .withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
            .withSuperclass(superType)
            .withField("name", ConstantDescs.CD_String, ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL)
            .withField("threads", supplier, ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL)
            .withMethodBody(ConstantDescs.INIT_NAME,
                MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_String, supplier), ClassFile.ACC_PUBLIC,
                b -> b.aload(0).iconst_1()
                    .invokespecial(superType, ConstantDescs.INIT_NAME,
                        MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_boolean))
                    .aload(0).aload(1).putfield(self, "name", ConstantDescs.CD_String)
                    .aload(0).aload(2).putfield(self, "threads", supplier)
                    .aload(0)
                    .invokestatic(ClassDesc.of("jdk.internal.vm.ThreadContainers"), "registerContainer",
                        MethodTypeDesc.of(ConstantDescs.CD_Object, superType))
                    .pop()
                    .return_())
            .withMethodBody("name", MethodTypeDesc.of(ConstantDescs.CD_String), ClassFile.ACC_PUBLIC,
                b -> b.aload(0).getfield(self, "name", ConstantDescs.CD_String).areturn())
            .withMethodBody("threads", MethodTypeDesc.of(stream), ClassFile.ACC_PUBLIC,
                b -> b.aload(0).getfield(self, "threads", supplier)
                    .invokeinterface(supplier, "get", MethodTypeDesc.of(ConstantDescs.CD_Object))
                    .checkcast(stream).areturn()));
    }

    /**
     * Creates a thread container that records nothing per thread and lists {@code threads} in thread
     * dumps, registered with the JDK so that dumps find it.
     *
     * @param name the name dumps show
     * @param threads the live threads, asked for only by thread dumps
     * @return the container, or null when the hook is unavailable
     */
    public static Object newContainer(String name, Supplier<Stream<Thread>> threads) {
        if (NEW_CONTAINER == null) {
            return null;
        }
        try {
            // Registered by its constructor; the JDK holds it weakly, so it is listed while its runtime lives.
            return (Object) NEW_CONTAINER.invokeExact(name, threads);
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Starts {@code vt} in {@code container} (from {@link #newContainer}), or the usual way when the
     * container is null.
     *
     * @param vt an unstarted thread
     * @param container the container, or null
     */
    public static void start(Thread vt, Object container) {
        if (container == null) {
            vt.start();
            return;
        }
        try {
            START_IN.invokeExact(vt, container);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
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
