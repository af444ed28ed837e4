package io.weft.examples.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.weft.Select;
import io.weft.helidon.WeftWebServer;
import io.weft.runtime.Runtime;
import io.weft.sync.Broadcast;
import io.weft.sync.LaggedException;
import io.weft.sync.SendException;
import io.weft.time.Interval;
import io.weft.time.Time;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code scripts/demo news}: HTTP handlers that use Weft. A broadcast channel carries news; a Weft
 * interval task posts a tick every second; clients follow it as server-sent events, by long-polling,
 * or post news of their own.
 *
 * <pre>
 * curl -N http://127.0.0.1:3000/events          # server-sent events: every tick and post, live
 * curl http://127.0.0.1:3000/poll?timeout=5000  # long-poll: the next item, or 204 after the timeout
 * curl -d 'hello' http://127.0.0.1:3000/say     # post news to every listener
 * </pre>
 *
 * <p>Each handler is a Weft task: it subscribes to the channel, and a {@link Select} between the
 * channel and a timer decides what to write next. The timer arm sends SSE keep-alive comments and ends
 * long polls.
 */
public final class NewsDemo {
    private NewsDemo() {}

    /**
     * Entry point.
     *
     * @param args {@code --port N} (default 3000), {@code --tick-ms N} (default 1000)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int port = 3000;
        long tickMs = 1000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--tick-ms" -> tickMs = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (options: --port N, --tick-ms N)");
            }
        }
        Logs.quietHelidon();
        Runtime rt = Runtime.builder().build();
        WeftWebServer server = start(rt, port, Duration.ofMillis(tickMs));
        String base = "http://127.0.0.1:" + server.port();
        System.out.println("Listening on " + base + " (Helidon on Weft; Ctrl-C stops it)");
        System.out.println("  curl -N " + base + "/events           server-sent events: ticks and posts, live");
        System.out.println("  curl " + base + "/poll?timeout=5000   long-poll: the next item, or 204 after the timeout");
        System.out.println("  curl -d 'hello' " + base + "/say      post news to every listener");
        java.lang.Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            rt.shutdownNow();
        }));
        Thread.currentThread().join();
    }

    /**
     * Starts the news server on {@code rt}.
     *
     * @param rt the runtime
     * @param port the port, or 0
     * @param tick how often the ticker posts
     * @return the started server
     */
    public static WeftWebServer start(Runtime rt, int port, Duration tick) {
        Broadcast.Channel<String> news = Broadcast.channel(256);
        news.receiver().close(); // listeners subscribe per request
        Broadcast.Sender<String> tx = news.sender();
        rt.spawn(() -> {
            Interval every = Time.interval(tick);
            for (long n = 1; ; n++) {
                every.tick();
                post(tx, "tick " + n);
            }
        });
        return WeftWebServer.builder(rt)
            .host("127.0.0.1")
            .port(port)
            .routing(r -> r
                .get("/", (req, res) -> res.send("GET /events (SSE), GET /poll?timeout=ms (long-poll), POST /say\n"))
                .post("/say", (req, res) -> {
                    String text = req.content().as(String.class).strip();
                    res.send("delivered to " + post(tx, "said: " + text) + " listeners\n");
                })
                .get("/poll", (req, res) -> {
                    Duration timeout = Duration.ofMillis(req.query().first("timeout").asLong().orElse(30_000L));
                    try (Broadcast.Receiver<String> rx = tx.subscribe()) {
                        String next = Select.<String>create()
                            .recv(rx, v -> v)
                            .sleep(timeout, () -> null)
                            .run();
                        if (next == null) {
                            res.status(Status.NO_CONTENT_204).send();
                        } else {
                            res.send(next + "\n");
                        }
                    }
                })
                .get("/events", (req, res) -> {
                    res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
                    try (Broadcast.Receiver<String> rx = tx.subscribe(); OutputStream out = res.outputStream()) {
                        write(out, ": connected to Weft news\n\n");
                        while (true) {
                            String event;
                            try {
                                event = Select.<String>create()
                                    .recv(rx, v -> "data: " + v + "\n\n")
                                    .sleep(Duration.ofSeconds(15), () -> ": keep-alive\n\n")
                                    .run();
                            } catch (LaggedException e) {
                                event = "event: lagged\ndata: skipped " + e.skipped() + "\n\n";
                            }
                            write(out, event);
                        }
                    } catch (UncheckedIOException | IOException e) {
                        // the client went away: its task ends here, and its receiver is closed
                    }
                }))
            .build()
            .start();
    }

    private static int post(Broadcast.Sender<String> tx, String item) {
        try {
            return tx.send(item);
        } catch (SendException e) {
            return 0; // nobody is listening right now
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
