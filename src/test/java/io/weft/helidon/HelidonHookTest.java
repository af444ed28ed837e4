package io.weft.helidon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.common.task.HelidonTaskExecutor;
import io.helidon.webserver.WebServer;
import io.weft.runtime.Runtime;
import io.weft.testing.WeftTesting;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Weft's hook into Helidon still applies to the Helidon on the class path. When an upgrade breaks it,
 * these tests fail first, and their messages name the field and both versions.
 */
@Tag(WeftTesting.CONTRACT)
class HelidonHookTest {

    @Test
    void everyFieldTheHookNeedsIsPresent() {
        assertThat(HelidonHook.check())
            .as("Weft's Helidon hook (written for Helidon %s) against Helidon %s", HelidonHook.BUILT_FOR,
                HelidonHook.helidonVersion())
            .isEmpty();
    }

    /**
     * A Helidon that moved only the field the socket hand-over needs: the server can still be built with
     * socketsOnReactor(false), and the message with it on says so.
     */
    @Test
    void aMissingSocketFieldNamesTheWayToServeWithoutIt() {
        String[][] fields = {
            {"io.helidon.webserver.ServerListener", "readerExecutor", HelidonTaskExecutor.class.getName()},
            {"io.helidon.webserver.ConnectionHandler", "socketMovedAway", java.nio.channels.SocketChannel.class.getName()},
        };
        assertThat(HelidonHook.check(fields, 1, false)).isEmpty();
        assertThat(HelidonHook.check(fields, 1, true)).singleElement().asString()
            .contains("ConnectionHandler.socketMovedAway is missing")
            .contains("socketsOnReactor(false)")
            .contains("-Dweft.helidon.sockets=jdk");
        assertThat(HelidonHook.check(false)).isEmpty();
    }

    @Test
    void theVersionIsThePinnedOne() {
        assertThat(HelidonHook.helidonVersion())
            .as("pom.xml pins helidon.version to the version io.weft.helidon's hook was checked against; "
                + "after an upgrade re-read NOTES section 3 against the new Helidon, then update HelidonHook.BUILT_FOR")
            .isEqualTo(HelidonHook.BUILT_FOR)
            .isEqualTo(WeftWebServer.supportedHelidonVersion());
    }

    @Test
    void aMissingFieldFailsLoudlyNamingBothVersions() {
        assertThatThrownBy(() -> HelidonHook.field("io.helidon.webserver.ServerListener", "readerExecutorMovedAway",
            HelidonTaskExecutor.class.getName()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("ServerListener.readerExecutorMovedAway is missing")
            .hasMessageContaining("written for Helidon " + HelidonHook.BUILT_FOR)
            .hasMessageContaining("this is Helidon " + HelidonHook.helidonVersion());
        assertThatThrownBy(() -> HelidonHook.field("io.helidon.webserver.ServerListener", "readerExecutor",
            ExecutorService.class.getName()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("expected an instance field of type java.util.concurrent.ExecutorService");
        assertThatThrownBy(() -> HelidonHook.field("io.helidon.webserver.SocketTransportBinding", "readerExecutor",
            HelidonTaskExecutor.class.getName()))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("SocketTransportBinding.readerExecutor is missing");
    }

    @Test
    void buildReplacesEveryListenersExecutors() throws Exception {
        try (Runtime rt = Runtime.builder().workerThreads(1).shutdownTimeout(Duration.ofSeconds(2)).build()) {
            WeftWebServer server = WeftWebServer.builder(rt)
                .config(WebServer.builder()
                    .routing(r -> r.get("/", (req, res) -> res.send("default")))
                    .putSocket("admin", s -> s.port(0)))
                .build();
            Field listenersField = HelidonHook.field("io.helidon.webserver.LoomServer", "listeners", Map.class.getName());
            Field reader = HelidonHook.field("io.helidon.webserver.ServerListener", "readerExecutor",
                HelidonTaskExecutor.class.getName());
            Field shared = HelidonHook.field("io.helidon.webserver.ServerListener", "sharedExecutor",
                ExecutorService.class.getName());
            Map<?, ?> listeners = (Map<?, ?>) listenersField.get(server.webServer());
            assertThat(listeners).hasSize(2);
            for (Object l : listeners.values()) {
                assertThat(reader.get(l)).isInstanceOf(WeftExecutors.ConnectionExecutor.class);
                assertThat(shared.get(l)).isInstanceOf(WeftExecutors.SharedExecutor.class);
            }
            server.start();
            assertThat(Http.get(server.port(), "/").body()).isEqualTo("default");
            server.stop();
        }
    }
}
