package io.weft.helidon;

import io.helidon.common.task.HelidonTaskExecutor;
import io.helidon.webserver.ListenerConfig;
import io.helidon.webserver.WebServer;
import io.helidon.common.tls.Tls;
import io.weft.internal.net.ReactorSocketChannel;
import io.weft.runtime.Handle;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Where Weft reaches into Helidon: the listeners' executor fields, replaced between {@code build()}
 * and {@code start()}.
 *
 * <pre>
 * Implementation overview
 *
 * Why this hook. Helidon 4.5 makes every server thread in the package-private final class
 *   io.helidon.webserver.ExecutorsFactory and offers no option, SPI or factory to change it
 *   (design NOTES section 3). Two ways were shown to work on 4.5.0:
 *   (a) a class io.helidon.webserver.ExecutorsFactory of our own, earlier on the class path than
 *       Helidon's jar;
 *   (b) reflection: between build() and start(), replace each ServerListener's readerExecutor and
 *       sharedExecutor.
 *   Weft uses (b). (a) depends on class-path order (a build tool, an IDE or a fat-jar shader that puts
 *   Helidon first silently loses it, and requests then run on the JDK default scheduler with no error);
 *   it cannot work on the module path at all (a package split between io.weft and io.helidon.webserver
 *   is refused); and it is global: every Helidon server in the JVM would run on one runtime. (b)
 *   applies per server, to a runtime given by the caller, whatever the jar order or shading, and
 *   when it stops applying it fails at once, here, with the reason and both versions in the message.
 *   Its costs: the fields are private and final (JDK 25 allows Field.set after setAccessible on the
 *   class path; on the module path Helidon's package must be opened to io.weft; JDK 26 warns, JEP
 *   500), and Helidon's main branch moves the reader executor into a SocketTransportBinding, so the
 *   version is pinned in pom.xml and HelidonHookTest checks every field below.
 *
 * What is replaced, and what is not.
 *   ServerListener.readerExecutor  (HelidonTaskExecutor) one task per accepted connection: requests
 *                                   and their handlers run there (HTTP/1).
 *   ServerListener.sharedExecutor  (ExecutorService) asynchronous writes, HTTP/2 streams, helpers.
 *   LoomServer.executorService is left to Helidon: it only runs each listener's start() and stop()
 *   (bind, start the accept thread; close, drain). Kept off Weft, stopping the server still works
 *   while the runtime shuts down or after it has, which is exactly when a server is stopped.
 *   The accept loop (ServerListener.listen) is a platform thread in Helidon and stays one.
 *   ConnectionHandler.socket        (SocketChannel) the accepted connection. Unless socketsOnReactor is
 *                                   off (or TLS is on without Helidon's NIO sockets: tls and
 *                                   listenerConfig are read to tell), the connection's task replaces it, before
 *                                   Helidon's run() first reads the field, by a ReactorSocketChannel
 *                                   over the same JDK channel: Helidon's reads and writes then park on
 *                                   the runtime's reactor instead of the JDK's poller. Only the
 *                                   connection's own thread uses the field, so the write needs no
 *                                   publication beyond program order.
 * </pre>
 */
final class HelidonHook {
    private HelidonHook() {}

    /** The Helidon version this hook is written and tested against; pom.xml pins it. */
    static final String BUILT_FOR = "4.5.0";

    private static final String LOOM_SERVER = "io.helidon.webserver.LoomServer";
    private static final String SERVER_LISTENER = "io.helidon.webserver.ServerListener";
    private static final String CONNECTION_HANDLER = "io.helidon.webserver.ConnectionHandler";

    /** The fields the hook needs: class, name, declared type. */
    private static final String[][] FIELDS = {
        {LOOM_SERVER, "listeners", Map.class.getName()},
        {SERVER_LISTENER, "readerExecutor", HelidonTaskExecutor.class.getName()},
        {SERVER_LISTENER, "sharedExecutor", ExecutorService.class.getName()},
        {CONNECTION_HANDLER, "socket", SocketChannel.class.getName()},
        {CONNECTION_HANDLER, "tls", Tls.class.getName()},
        {CONNECTION_HANDLER, "listenerConfig", ListenerConfig.class.getName()},
    };

    /**
     * System property: whose poller Helidon's connections park on. {@code reactor}
     * hands each accepted channel to Weft's reactor ({@link ReactorSocketChannel}); {@code jdk} leaves
     * it to the JDK's socket poller, as Helidon alone does. Unset: the reactor when the runtime runs on
     * Weft's scheduler.
     */
    static final String SOCKETS_PROP_NAME = "weft.helidon.sockets";

    /**
     * {@return true when accepted connections are to park on Weft's reactor}
     *
     * @param weftScheduler whether the runtime runs on Weft's scheduler: the default when the property
     *                      is not set (on the JDK default scheduler, the JDK's own poller is the natural
     *                      partner)
     */
    static boolean socketsOnReactor(boolean weftScheduler) {
        String v = System.getProperty(SOCKETS_PROP_NAME);
        if (v == null) {
            return weftScheduler;
        }
        return switch (v) {
            case "reactor" -> true;
            case "jdk" -> false;
            default -> throw new IllegalArgumentException(
                SOCKETS_PROP_NAME + " must be 'reactor' or 'jdk', not '" + v + "'");
        };
    }

    /**
     * Moves a connection handler's accepted channel onto Weft's reactor before the handler first uses
     * it. Runs in the connection's own task, so the channel registers with that runtime's driver, and
     * before Helidon's run() reads the field: only that thread ever uses the channel (Helidon's stop
     * path interrupts the thread; it never touches the channel from outside).
     *
     * <p>TLS connections move too when the listener uses Helidon's NIO sockets (its default): Helidon's
     * {@code TlsNioSocket} drives an {@code SSLEngine} over the channel's reads and writes. On the
     * listener's {@code useNio(false)} path Helidon layers an {@code SSLSocket} on {@code socket()},
     * which calls far more of {@code java.net.Socket} than the adapter is tested under, so those keep
     * the JDK channel. A handler whose channel is not a blocking JDK channel is left as it is.
     */
    static final class SocketAdopter {
        private final Class<?> handlerClass;
        private final Field socket;
        private final Field tls;
        private final Field listenerConfig;

        SocketAdopter() {
            this.socket = field(FIELDS[3][0], FIELDS[3][1], FIELDS[3][2]);
            this.tls = field(FIELDS[4][0], FIELDS[4][1], FIELDS[4][2]);
            this.listenerConfig = field(FIELDS[5][0], FIELDS[5][1], FIELDS[5][2]);
            this.handlerClass = socket.getDeclaringClass();
        }

        /**
         * Adopts {@code task}'s channel if it is a connection handler's that can move (see above).
         *
         * @param task what Helidon gave the connection executor
         * @throws IOException if registering with the reactor failed (the channel is then closed, and
         *                     the handler, run anyway, ends the connection and releases its permit)
         */
        void adopt(Object task) throws IOException {
            if (!handlerClass.isInstance(task)) {
                return;
            }
            try {
                Tls t = (Tls) tls.get(task);
                if (t != null && t.enabled() && !((ListenerConfig) listenerConfig.get(task)).useNio()) {
                    return; // an SSLSocket over socket(): see above
                }
                if (!(socket.get(task) instanceof SocketChannel ch) || ch instanceof ReactorSocketChannel
                    || !ch.isBlocking() || ch.isRegistered()) {
                    return;
                }
                ReactorSocketChannel wrapped = ReactorSocketChannel.wrap(ch);
                try {
                    socket.set(task, wrapped);
                } catch (IllegalAccessException | RuntimeException e) {
                    // The JDK channel stays in the handler but is now non-blocking and registered: close
                    // it, so the handler fails at once and releases its permit instead of misbehaving.
                    wrapped.close();
                    throw e;
                }
            } catch (IllegalAccessException e) {
                throw broken("writing ConnectionHandler.socket failed (" + e + ")", e);
            }
        }

        /**
         * Reports, once per adopter, a hand-over that failed for a reason other than I/O (the field
         * refused the write: a JDK that denies final-field mutation, JEP 500). The connection is
         * closed and Helidon's handler releases it; later ones fail the same way, so say it loudly.
         *
         * @param e what went wrong
         */
        void failed(Throwable e) {
            if (!warned) {
                warned = true;
                LOGGER.log(System.Logger.Level.ERROR, "io.weft.helidon could not hand a connection to Weft's reactor; "
                    + "the connection was closed. Serve with socketsOnReactor(false) (or -D" + SOCKETS_PROP_NAME
                    + "=jdk) until this is fixed", e);
            }
        }

        private volatile boolean warned;
    }

    private static final System.Logger LOGGER = System.getLogger(WeftWebServer.class.getName());

    /** {@return the Helidon version on the class or module path, or "unknown"} */
    static String helidonVersion() {
        String v = WebServer.class.getPackage().getImplementationVersion();
        if (v == null) {
            v = WebServer.class.getModule().getDescriptor() == null ? null
                : WebServer.class.getModule().getDescriptor().rawVersion().orElse(null);
        }
        return v == null ? "unknown" : v;
    }

    /** How many of {@link #FIELDS}, from the start, the executor hook needs; the rest are the sockets'. */
    private static final int EXECUTOR_FIELDS = 3;

    /**
     * Checks that every field the hook needs is where it expects, without touching a server.
     *
     * @return the problems found; empty when the hook applies to the Helidon present
     */
    static List<String> check() {
        return check(true);
    }

    /**
     * Checks the fields the executor hook needs and, if {@code sockets}, those of the hand-over to the
     * reactor. A Helidon that moved only the latter can still serve on Weft with the JDK's poller, so
     * the message says how.
     *
     * @param sockets whether connections are to move to the reactor
     * @return the problems found; empty when the hook applies to the Helidon present
     */
    static List<String> check(boolean sockets) {
        return check(FIELDS, EXECUTOR_FIELDS, sockets);
    }

    /** {@link #check(boolean)} over a given field table (the test checks the messages with a fake one). */
    static List<String> check(String[][] fields, int executorFields, boolean sockets) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < (sockets ? fields.length : executorFields); i++) {
            String[] f = fields[i];
            try {
                field(f[0], f[1], f[2]);
            } catch (IllegalStateException e) {
                problems.add(i < executorFields ? e.getMessage() : e.getMessage()
                    + " (only the hand-over of connections to Weft's reactor needs this field: "
                    + "socketsOnReactor(false), or -D" + SOCKETS_PROP_NAME + "=jdk, serves with the JDK's poller)");
            }
        }
        return problems;
    }

    /**
     * Finds a declared field of Helidon's and makes it writable, or explains why it cannot.
     *
     * @param className the declaring class
     * @param name the field
     * @param typeName the type it must be declared with
     * @return the field, accessible
     * @throws IllegalStateException naming the field and both Helidon versions, if it is missing, of
     *                               another type, static, or not open to Weft
     */
    static Field field(String className, String name, String typeName) {
        String what = className.substring(className.lastIndexOf('.') + 1) + "." + name;
        try {
            Class<?> c = Class.forName(className, false, WebServer.class.getClassLoader());
            Field f = c.getDeclaredField(name);
            if (!f.getType().getName().equals(typeName) || Modifier.isStatic(f.getModifiers())) {
                throw broken(what + " is now " + f + ", expected an instance field of type " + typeName, null);
            }
            f.setAccessible(true);
            return f;
        } catch (ClassNotFoundException | NoSuchFieldException e) {
            throw broken(what + " is missing (" + e + ")", e);
        } catch (InaccessibleObjectException e) {
            throw new IllegalStateException("Weft cannot reach " + what + ": Helidon's package is not open to Weft. "
                + "On the module path add --add-opens io.helidon.webserver/io.helidon.webserver="
                + moduleName() + " (" + e.getMessage() + ")", e);
        }
    }

    private static String moduleName() {
        Module m = HelidonHook.class.getModule();
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    static IllegalStateException broken(String detail, Throwable cause) {
        return new IllegalStateException("io.weft.helidon cannot put Helidon's connection threads on a Weft runtime: "
            + detail + ". Weft's hook is written for Helidon " + BUILT_FOR + "; this is Helidon " + helidonVersion()
            + ". Use helidon-webserver " + BUILT_FOR + " (the version Weft pins), or a Weft release that supports "
            + helidonVersion() + ".", cause);
    }

    /**
     * Replaces every listener's reader and shared executor of a built, not yet started server.
     *
     * @param server what {@code WebServer.builder()...build()} returned
     * @param handle the runtime to run connections on
     * @param socketsOnReactor whether connections move to Weft's reactor
     * @return the installed executors' trackers, to wait on at stop
     * @throws IllegalStateException if the hook does not apply (see {@link #broken})
     */
    static List<WeftExecutors.Tracker> install(WebServer server, Handle handle, boolean socketsOnReactor) {
        if (!server.getClass().getName().equals(LOOM_SERVER)) {
            throw broken("WebServer.builder().build() returned a " + server.getClass().getName()
                + ", not " + LOOM_SERVER, null);
        }
        if (server.isRunning()) {
            throw new IllegalStateException("the server is already running: Weft must install its executors before start()");
        }
        Field listenersField = field(FIELDS[0][0], FIELDS[0][1], FIELDS[0][2]);
        Field readerField = field(FIELDS[1][0], FIELDS[1][1], FIELDS[1][2]);
        Field sharedField = field(FIELDS[2][0], FIELDS[2][1], FIELDS[2][2]);
        SocketAdopter adopter = socketsOnReactor ? new SocketAdopter() : null;
        List<WeftExecutors.Tracker> trackers = new ArrayList<>();
        try {
            Map<?, ?> listeners = (Map<?, ?>) listenersField.get(server);
            if (listeners == null || listeners.isEmpty()) {
                throw broken("LoomServer.listeners is empty", null);
            }
            for (Map.Entry<?, ?> l : listeners.entrySet()) {
                String name = String.valueOf(l.getKey());
                Object listener = l.getValue();
                var reader = new WeftExecutors.ConnectionExecutor(handle, name, adopter);
                var shared = new WeftExecutors.SharedExecutor(handle, name);
                HelidonTaskExecutor oldReader = (HelidonTaskExecutor) readerField.get(listener);
                ExecutorService oldShared = (ExecutorService) sharedField.get(listener);
                readerField.set(listener, reader);
                sharedField.set(listener, shared);
                if (readerField.get(listener) != reader || sharedField.get(listener) != shared) {
                    throw broken("writing ServerListener's executor fields had no effect", null);
                }
                // Helidon's own executors never ran anything (the server is not started): release them.
                oldReader.terminate(0, TimeUnit.SECONDS);
                oldShared.shutdownNow();
                trackers.add(reader);
                trackers.add(shared.tracker());
            }
        } catch (IllegalAccessException | RuntimeException e) {
            if (e instanceof IllegalStateException ise && ise.getMessage() != null
                && ise.getMessage().startsWith("io.weft.helidon")) {
                throw ise;
            }
            throw broken("replacing the listeners' executors failed (" + e + ")", e);
        }
        return trackers;
    }
}
