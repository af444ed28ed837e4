package io.weft.examples.http;

import io.helidon.webserver.WebServer;
import io.weft.helidon.WeftWebServer;
import io.weft.runtime.Runtime;

/**
 * {@code scripts/demo}: "Hello, World!" over HTTP, served by Helidon on Weft's carriers; the first
 * example of every async runtime (Tokio's, with hyper).
 *
 * <p>Options: {@code --port N} (default 3000; 0 picks a free port), {@code --host H} (default
 * 127.0.0.1), {@code --workers N} (Weft carriers), {@code --scheduler weft|jdk} ({@code jdk}: plain
 * Helidon on the JDK default scheduler, for comparisons).
 */
public final class HelloWorld {
    private HelloWorld() {}

    /**
     * Entry point.
     *
     * @param args the options above
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int port = 3000;
        String host = "127.0.0.1";
        int workers = java.lang.Runtime.getRuntime().availableProcessors();
        String scheduler = "weft";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--host" -> host = args[++i];
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--scheduler" -> scheduler = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                    + " (options: --port N, --host H, --workers N, --scheduler weft|jdk)");
            }
        }
        Logs.quietHelidon();
        switch (scheduler) {
            case "weft" -> {
                Runtime rt = Runtime.builder().workerThreads(workers).build();
                WeftWebServer server = WeftWebServer.builder(rt)
                    .host(host)
                    .port(port)
                    .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")))
                    .build()
                    .start();
                System.out.println("Listening on http://" + host + ":" + server.port());
                System.out.println("  Helidon " + io.helidon.common.Version.VERSION + " on Weft: " + (rt.usesWeftScheduler()
                    ? workers + " carriers of Weft's own scheduler"
                        + (server.socketsOnReactor() ? ", sockets on Weft's reactor" : ", sockets on the JDK's poller")
                    : "the JDK default scheduler (start the JVM with --add-opens java.base/java.lang=ALL-UNNAMED for Weft's)")
                    + "; Ctrl-C stops it");
                java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    server.stop();
                    rt.shutdownNow();
                }));
            }
            case "jdk" -> {
                WebServer server = WebServer.builder()
                    .host(host)
                    .port(port)
                    .routing(r -> r.get("/", (req, res) -> res.send("Hello, World!")))
                    .build()
                    .start();
                System.out.println("Listening on http://" + host + ":" + server.port());
                System.out.println("  Helidon " + io.helidon.common.Version.VERSION
                    + " on the JDK default virtual-thread scheduler (no Weft); Ctrl-C stops it");
            }
            default -> throw new IllegalArgumentException("--scheduler is weft or jdk: " + scheduler);
        }
        System.out.flush();
        Thread.currentThread().join(); // serve until the JVM is stopped
    }
}
