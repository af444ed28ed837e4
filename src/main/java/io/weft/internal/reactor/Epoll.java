package io.weft.internal.reactor;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.nio.channels.SelectableChannel;

/**
 * Linux epoll, through the JDK's own binding ({@code sun.nio.ch.EPoll}, the one its selector and
 * its virtual-thread poller use), for {@link EpollReactor}.
 *
 * <p>The binding is package-private in a package {@code java.base} does not export. When
 * {@code java.lang} is open to Weft (the {@code --add-opens java.base/java.lang=ALL-UNNAMED} flag Weft's
 * scheduler already needs), Weft opens {@code sun.nio.ch} to itself through {@code Module}'s own
 * {@code implAddOpens}, so no second flag is needed; {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}
 * works too. Without either, or off Linux, {@link #AVAILABLE} is false and runtimes use a
 * {@link java.nio.channels.Selector}.
 *
 * <p>Every handle is a static final {@link MethodHandle}, which the JIT compiles to a direct call.
 */
final class Epoll {
    private Epoll() {}

    static final int EPOLLIN = 0x001;
    static final int EPOLLOUT = 0x004;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLET = 1 << 31;
    static final int CTL_ADD = 1;
    static final int CTL_DEL = 2;
    /** errno: the descriptor is not registered. */
    static final int ENOENT = 2;

    /** True if epoll can be used. */
    static final boolean AVAILABLE;
    /** Why not, if not. */
    static final String UNAVAILABLE_REASON;
    /** True if Linux and java.lang is open, yet the binding could not be used (a JDK change). */
    static final boolean UNEXPECTED;

    private static final MethodHandle CREATE;      // () -> int
    private static final MethodHandle CTL;         // (epfd, op, fd, events) -> errno
    private static final MethodHandle WAIT;        // (epfd, address, max, timeoutMillis) -> n
    private static final MethodHandle ALLOCATE;    // (count) -> address
    private static final MethodHandle FREE;        // (address) -> void
    private static final MethodHandle EVENT;       // (address, i) -> event address
    private static final MethodHandle DESCRIPTOR;  // (event address) -> fd
    private static final MethodHandle EVENTS;      // (event address) -> events
    private static final MethodHandle CLOSE;       // (fd) -> void
    private static final MethodHandle FD_OF;       // (SelectableChannel) -> fd

    static {
        MethodHandle create = null, ctl = null, wait = null, allocate = null, free = null;
        MethodHandle event = null, descriptor = null, events = null, close = null, fdOf = null;
        String reason = null;
        boolean unexpected = false;
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
            reason = "not Linux";
        } else {
            try {
                Module base = Object.class.getModule();
                Module me = Epoll.class.getModule();
                if (!base.isOpen("sun.nio.ch", me)) {
                    Method open = Module.class.getDeclaredMethod("implAddOpens", String.class, Module.class);
                    open.setAccessible(true); // needs java.lang open to Weft
                    open.invoke(base, "sun.nio.ch", me);
                }
                Class<?> epoll = Class.forName("sun.nio.ch.EPoll");
                MethodHandles.Lookup l = MethodHandles.privateLookupIn(epoll, MethodHandles.lookup());
                MethodType intInt4 = MethodType.methodType(int.class, int.class, int.class, int.class, int.class);
                create = l.findStatic(epoll, "create", MethodType.methodType(int.class));
                ctl = l.findStatic(epoll, "ctl", intInt4);
                wait = l.findStatic(epoll, "wait", MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
                allocate = l.findStatic(epoll, "allocatePollArray", MethodType.methodType(long.class, int.class));
                free = l.findStatic(epoll, "freePollArray", MethodType.methodType(void.class, long.class));
                event = l.findStatic(epoll, "getEvent", MethodType.methodType(long.class, long.class, int.class));
                descriptor = l.findStatic(epoll, "getDescriptor", MethodType.methodType(int.class, long.class));
                events = l.findStatic(epoll, "getEvents", MethodType.methodType(int.class, long.class));
                Class<?> dispatcher = Class.forName("sun.nio.ch.UnixFileDispatcherImpl");
                close = MethodHandles.privateLookupIn(dispatcher, MethodHandles.lookup())
                    .findStatic(dispatcher, "closeIntFD", MethodType.methodType(void.class, int.class));
                Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
                fdOf = MethodHandles.privateLookupIn(selCh, MethodHandles.lookup())
                    .findVirtual(selCh, "getFDVal", MethodType.methodType(int.class))
                    .asType(MethodType.methodType(int.class, SelectableChannel.class));
                // One round trip, so a JDK whose binding changed falls back here, not in a runtime.
                int fd = (int) create.invokeExact();
                close.invokeExact(fd);
            } catch (java.lang.reflect.InaccessibleObjectException e) {
                reason = "java.lang is not open to Weft: " + e.getMessage();
            } catch (Throwable e) {
                reason = e.toString();
                unexpected = true; // opened, and still failed: this JDK's binding differs
            }
        }
        AVAILABLE = reason == null;
        UNAVAILABLE_REASON = reason;
        UNEXPECTED = unexpected;
        CREATE = create;
        CTL = ctl;
        WAIT = wait;
        ALLOCATE = allocate;
        FREE = free;
        EVENT = event;
        DESCRIPTOR = descriptor;
        EVENTS = events;
        CLOSE = close;
        FD_OF = fdOf;
    }

    static int create() throws IOException {
        try {
            return (int) CREATE.invokeExact();
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    /** {@return 0, or the errno of a failed epoll_ctl} */
    static int ctl(int epfd, int op, int fd, int events) {
        try {
            return (int) CTL.invokeExact(epfd, op, fd, events);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the number of events, or a negative number if interrupted by a signal} */
    static int wait(int epfd, long address, int max, int timeoutMillis) throws IOException {
        try {
            return (int) WAIT.invokeExact(epfd, address, max, timeoutMillis);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    static long allocate(int count) {
        try {
            return (long) ALLOCATE.invokeExact(count);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the address of event {@code i} in the array at {@code address}} */
    static long event(long address, int i) {
        try {
            return (long) EVENT.invokeExact(address, i);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int descriptor(long event) {
        try {
            return (int) DESCRIPTOR.invokeExact(event);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static int events(long event) {
        try {
            return (int) EVENTS.invokeExact(event);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static void close(int fd) throws IOException {
        try {
            CLOSE.invokeExact(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }

    /**
     * {@return the file descriptor of a JDK channel}
     *
     * @throws IOException if the channel is not one of the JDK's own
     */
    static int fdOf(SelectableChannel ch) throws IOException {
        try {
            return (int) FD_OF.invokeExact(ch);
        } catch (ClassCastException e) {
            throw new IOException("Weft's epoll driver takes only the JDK's own channels, not " + ch.getClass().getName(), e);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException(e);
        }
    }
}
