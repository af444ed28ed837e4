/**
 * Weft: Tokio's runtime model, rebuilt on virtual threads.
 *
 * <p>Start with {@link io.weft.runtime.Runtime}; tasks are in {@link io.weft.task}.
 */
module io.weft {
    requires org.jctools.core.jdk11;
    requires org.jctools.core;
    requires java.management;
    requires jdk.management;
    requires static io.helidon.webserver;   // only io.weft.helidon needs Helidon
    requires static io.helidon.common.task; // HelidonTaskExecutor (not re-exported by io.helidon.webserver)

    exports io.weft;
    exports io.weft.runtime;
    exports io.weft.io;
    exports io.weft.stream;
    exports io.weft.sync;
    exports io.weft.task;
    exports io.weft.time;
    exports io.weft.net;
    exports io.weft.helidon;
}
