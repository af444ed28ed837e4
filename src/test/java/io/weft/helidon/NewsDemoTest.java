package io.weft.helidon;

import static org.assertj.core.api.Assertions.assertThat;

import io.weft.examples.http.NewsDemo;
import io.weft.runtime.Runtime;
import io.weft.testing.WeftTesting;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The news example: handlers on a broadcast channel and timers (long-poll, server-sent events, posts). */
@Tag(WeftTesting.CONTRACT)
@Timeout(60)
class NewsDemoTest {

    @Test
    void longPollSseAndPostsWork() throws Exception {
        // The ticker task runs until aborted: a short shutdown timeout ends it quickly at close().
        try (Runtime rt = Runtime.builder().workerThreads(2).shutdownTimeout(Duration.ofMillis(200)).build()) {
            WeftWebServer server = NewsDemo.start(rt, 0, Duration.ofMillis(50));
            int port = server.port();

            HttpResponse<String> tick = Http.get(port, "/poll?timeout=5000");
            assertThat(tick.statusCode()).isEqualTo(200);
            assertThat(tick.body()).startsWith("tick ");

            // Server-sent events: a stream of ticks, then a post shows up in it.
            HttpResponse<java.io.InputStream> sse = Http.CLIENT.send(
                HttpRequest.newBuilder(Http.uri(port, "/events")).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(sse.headers().firstValue("content-type")).hasValue("text/event-stream");
            List<String> events = new ArrayList<>();
            try (BufferedReader in = new BufferedReader(new InputStreamReader(sse.body(), StandardCharsets.UTF_8))) {
                boolean posted = false;
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        events.add(line.substring(6));
                        if (!posted && events.size() >= 2) {
                            posted = true;
                            HttpResponse<String> say = Http.CLIENT.send(HttpRequest.newBuilder(Http.uri(port, "/say"))
                                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
                            assertThat(say.body()).startsWith("delivered to ");
                        }
                        if (events.contains("said: hello")) {
                            break;
                        }
                    }
                }
            }
            assertThat(events).hasSizeGreaterThanOrEqualTo(3).contains("said: hello");
            assertThat(events.getFirst()).startsWith("tick ");
            server.stop();
        }
    }
}
