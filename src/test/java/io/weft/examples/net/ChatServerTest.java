package io.weft.examples.net;

import static io.weft.examples.net.Loopback.ANY;
import static io.weft.examples.net.Loopback.eventually;
import static io.weft.testing.WeftTesting.runtime;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.weft.examples.net.Loopback.LineClient;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The chat example ({@code scripts/demo chat}) driven over loopback by plain JDK sockets. */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@Tag(WeftTesting.CONTRACT)
class ChatServerTest {
    private final Loopback.Log log = new Loopback.Log();

    private ChatServer.Config config() {
        return ChatServer.Config.defaults(ANY).withLog(log);
    }

    /** Connects, answers the name prompt, and returns the client once it is in the room. */
    static LineClient join(InetSocketAddress address, String name) throws IOException {
        return join(address, name, 0);
    }

    static LineClient join(InetSocketAddress address, String name, int receiveBuffer) throws IOException {
        LineClient c = new LineClient(address, receiveBuffer);
        assertThat(c.readLine()).contains("what is your name");
        c.send(name);
        assertThat(c.readLine()).startsWith("*** welcome, " + name);
        return c;
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void threeClientsSeeEachOthersMessagesInOrderAndTheirComingsAndGoings(RuntimeFlavor flavor) throws Exception {
        int perClient = 200;
        // The room keeps more than all 600 messages: nobody can lag, however the three interleave.
        var cfg = config().withRoomCapacity(4 * perClient);
        try (Runtime rt = runtime(flavor); ChatServer chat = rt.blockOn(() -> ChatServer.start(cfg))) {
            var a = chat.address();
            try (LineClient alice = join(a, "alice"); LineClient bob = join(a, "bob")) {
                assertThat(alice.readLine()).isEqualTo("*** bob joined");
                LineClient carol = join(a, "carol");
                assertThat(alice.readLine()).isEqualTo("*** carol joined");
                assertThat(bob.readLine()).isEqualTo("*** carol joined");
                List<LineClient> all = List.of(alice, bob, carol);
                List<String> names = List.of("alice", "bob", "carol");

                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<List<String>>> received = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        LineClient me = all.get(i);
                        String name = names.get(i);
                        pool.submit(() -> {
                            for (int n = 0; n < perClient; n++) {
                                me.send("message " + n + " from " + name);
                            }
                            return null;
                        });
                        received.add(pool.submit(() -> {
                            List<String> got = new ArrayList<>();
                            for (int n = 0; n < 2 * perClient; n++) {
                                got.add(me.readLine());
                            }
                            return got;
                        }));
                    }
                    for (int i = 0; i < 3; i++) {
                        List<String> got = received.get(i).get();
                        for (int j = 0; j < 3; j++) {
                            String from = names.get(j);
                            List<String> fromThem = got.stream().filter(l -> l.startsWith(from + ": ")).toList();
                            if (i == j) {
                                assertThat(fromThem).as("a client does not get its own messages back").isEmpty();
                            } else {
                                List<String> expected = new ArrayList<>();
                                for (int n = 0; n < perClient; n++) {
                                    expected.add(from + ": message " + n + " from " + from);
                                }
                                assertThat(fromThem).as(names.get(i) + " hears all of " + from + ", in order")
                                    .isEqualTo(expected);
                            }
                        }
                    }
                }

                carol.close();
                assertThat(alice.readLine()).isEqualTo("*** carol left");
                assertThat(bob.readLine()).isEqualTo("*** carol left");
                Loopback.reset(bob.socket);
                assertThat(alice.readLine()).startsWith("*** bob left (").contains("reset");
                bob.close();
                eventually("only alice is left", () -> chat.names().equals(java.util.Set.of("alice")));
                alice.send("anyone?");
                try (LineClient dave = join(a, "dave")) {
                    assertThat(alice.readLine()).isEqualTo("*** dave joined");
                    alice.send("hi dave");
                    String first = dave.readLine();
                    if (first.equals("alice: anyone?")) {
                        // The server reads each client in a task of its own: alice's line, sent while she was
                        // alone, may reach the room only after dave joined (seen once on the JDK scheduler).
                        first = dave.readLine();
                    }
                    assertThat(first).isEqualTo("alice: hi dave");
                    dave.socket.shutdownOutput(); // a half-close is a goodbye too
                    assertThat(alice.readLine()).isEqualTo("*** dave left");
                    assertThat(dave.readLine()).as("the server closes after the client's end of stream").isNull();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void overLongLinesAndInvalidUtf8AreRejectedAndTheConnectionGoesOn(RuntimeFlavor flavor) throws Exception {
        var cfg = config().withMaxLineLength(64);
        try (Runtime rt = runtime(flavor); ChatServer chat = rt.blockOn(() -> ChatServer.start(cfg))) {
            try (LineClient alice = join(chat.address(), "alice"); LineClient bob = join(chat.address(), "bob")) {
                assertThat(alice.readLine()).isEqualTo("*** bob joined");
                alice.send("x".repeat(65));
                assertThat(alice.readLine()).startsWith("*** line too long (the limit is 64 bytes)");
                alice.send("y".repeat(64));
                assertThat(bob.readLine()).isEqualTo("alice: " + "y".repeat(64));

                // 4 MiB without a newline: the server skips it as it arrives, never holding it.
                byte[] huge = "z".repeat(4 * 1024 * 1024).getBytes(UTF_8);
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    Future<?> sent = pool.submit(() -> {
                        alice.sendRaw(huge);
                        alice.send(" -- the end of the long one");
                        alice.send("after the long one");
                        return null;
                    });
                    assertThat(alice.readLine()).startsWith("*** line too long");
                    sent.get();
                }
                assertThat(bob.readLine()).as("the rest of the long line was skipped, up to its newline")
                    .isEqualTo("alice: after the long one");

                alice.sendRaw(new byte[] {'b', 'a', 'd', (byte) 0xff, (byte) 0xfe, '\n'});
                assertThat(alice.readLine()).contains("not valid UTF-8");
                alice.send("fine again");
                assertThat(bob.readLine()).isEqualTo("alice: fine again");
                assertThat(chat.linesTooLong()).isEqualTo(2);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void aClientThatNeverNamesItselfIsDisconnectedAndSoIsOneThatSendsGarbage(RuntimeFlavor flavor) throws Exception {
        var cfg = config().withTimeouts(Duration.ofMillis(300), null, Duration.ofSeconds(10));
        try (Runtime rt = runtime(flavor); ChatServer chat = rt.blockOn(() -> ChatServer.start(cfg))) {
            try (LineClient alice = join(chat.address(), "alice")) {
                try (LineClient silent = new LineClient(chat.address())) {
                    assertThat(silent.readLine()).contains("what is your name");
                    assertThat(silent.readLine()).as("dropped after the name timeout").isNull();
                }
                try (LineClient garbage = new LineClient(chat.address())) {
                    garbage.readLine();
                    for (int i = 0; i < ChatServer.NAME_ATTEMPTS; i++) {
                        garbage.send(i % 2 == 0 ? "" : "*** admin");
                        assertThat(garbage.readLine()).contains("try again");
                    }
                    assertThat(garbage.readLine()).isEqualTo("*** goodbye");
                    assertThat(garbage.readLine()).isNull();
                }
                try (LineClient taken = new LineClient(chat.address())) {
                    taken.readLine();
                    taken.send("alice");
                    assertThat(taken.readLine()).isEqualTo("*** alice is taken; try another");
                    taken.send("alice2");
                    assertThat(taken.readLine()).startsWith("*** welcome, alice2; here: alice");
                    assertThat(alice.readLine()).as("no notices from the clients that never joined")
                        .isEqualTo("*** alice2 joined");
                }
                assertThat(alice.readLine()).isEqualTo("*** alice2 left");
            }
        }
    }

    /**
     * Alice talks, in batches of half the room's capacity; Bob reads every batch before the next
     * starts, so he never falls behind the ring. {@code slow} never reads, with a small receive
     * buffer. Returns the number of messages alice sent; stops when {@code done} sees a line of Bob's.
     */
    static int talkUntil(LineClient alice, LineClient bob, int batch, int max, java.util.function.Predicate<String> done)
        throws IOException {
        String filler = "-".repeat(3000);
        int sent = 0;
        boolean stop = false;
        while (!stop && sent < max) {
            for (int i = 0; i < batch; i++) {
                alice.send("m" + (sent + i) + " " + filler);
            }
            for (int i = 0; i < batch; i++) {
                String line = bob.readLine();
                while (line.startsWith("***")) {
                    stop |= done.test(line);
                    line = bob.readLine();
                }
                assertThat(line).as("bob hears alice's messages in order, none missed")
                    .startsWith("alice: m" + (sent + i) + " ");
            }
            sent += batch;
        }
        return sent;
    }

    @Test
    void aClientThatNeverReadsIsDroppedAndNeverStallsTheRoom() throws Exception {
        var cfg = config().withRoomCapacity(64).withMaxLineLength(8192)
            .withTimeouts(Duration.ofSeconds(10), null, Duration.ofMillis(500));
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD); ChatServer chat = rt.blockOn(() -> ChatServer.start(cfg))) {
            try (LineClient alice = join(chat.address(), "alice"); LineClient bob = join(chat.address(), "bob");
                 LineClient slow = join(chat.address(), "slow", 4096)) {
                assertThat(alice.readLine()).isEqualTo("*** bob joined");
                assertThat(alice.readLine()).isEqualTo("*** slow joined");
                assertThat(bob.readLine()).isEqualTo("*** slow joined");
                // slow reads nothing from now on; the others talk until the server drops it
                int sent = talkUntil(alice, bob, 32, 200_000, l -> l.equals("*** slow was dropped (not reading)"));
                assertThat(sent).as("slow was dropped long before alice ran out of messages").isLessThan(200_000);
                assertThat(chat.dropped()).isEqualTo(1);
                // alice may have lagged too, on her own messages (her writer skips them, but must pass
                // them in the ring): then a "you missed" notice comes first.
                assertThat(alice.readUntil("*** slow ")).isEqualTo("*** slow was dropped (not reading)");
                eventually("slow has left the room", () -> !chat.names().contains("slow"));
                // slow's connection was closed: what was in flight to it, then its end
                Loopback.drainToEnd(slow.socket.getInputStream());
                alice.send("still talking");
                assertThat(bob.readLine()).isEqualTo("alice: still talking");
            }
        }
    }

    @Test
    void aClientThatFallsBehindIsToldHowManyMessagesItMissedAndSkipsAhead() throws Exception {
        int capacity = 64;
        var cfg = config().withRoomCapacity(capacity).withMaxLineLength(8192)
            .withTimeouts(Duration.ofSeconds(10), null, null); // no write timeout: slow is never dropped
        try (Runtime rt = runtime(RuntimeFlavor.MULTI_THREAD); ChatServer chat = rt.blockOn(() -> ChatServer.start(cfg))) {
            try (LineClient alice = join(chat.address(), "alice"); LineClient bob = join(chat.address(), "bob");
                 LineClient slow = join(chat.address(), "slow", 4096)) {
                assertThat(alice.readLine()).isEqualTo("*** bob joined");
                assertThat(alice.readLine()).isEqualTo("*** slow joined");
                assertThat(bob.readLine()).isEqualTo("*** slow joined");
                bob.send("sync");
                assertThat(slow.readLine()).as("slow's writer has caught up with the room").isEqualTo("bob: sync");
                assertThat(alice.readLine()).isEqualTo("bob: sync");

                // slow stops reading. Far more than the kernel can buffer for it (a few MiB) goes by.
                int sent = talkUntil(alice, bob, capacity / 2, 8000, l -> false);
                alice.send("the end");
                assertThat(bob.readLine()).isEqualTo("alice: the end");
                sent++;

                // Now slow reads: some messages, a notice, then the newest ones, in order, to "the end".
                long delivered = 0;
                long missed = 0;
                int last = -1;
                Pattern notice = Pattern.compile("\\*\\*\\* you missed (\\d+) messages.*");
                Pattern message = Pattern.compile("alice: m(\\d+) .*");
                String line;
                while (!(line = slow.readLine()).equals("alice: the end")) {
                    Matcher n = notice.matcher(line);
                    Matcher m = message.matcher(line);
                    if (n.matches()) {
                        missed += Long.parseLong(n.group(1));
                    } else {
                        assertThat(m.matches()).as("an unexpected line: " + line).isTrue();
                        int k = Integer.parseInt(m.group(1));
                        assertThat(k).as("slow skips ahead, never back").isGreaterThan(last);
                        last = k;
                        delivered++;
                    }
                }
                delivered++; // "the end"
                assertThat(missed).as("slow was told it lagged").isPositive();
                assertThat(delivered + missed).as("every message was either delivered or counted as missed")
                    .isEqualTo(sent);
                assertThat(chat.lagged()).isPositive();
                assertThat(chat.dropped()).isZero();
                alice.send("after");
                assertThat(slow.readLine()).as("slow is a normal member again").isEqualTo("alice: after");
            }
        }
    }
}
