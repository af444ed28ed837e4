package io.weft.examples.net;

import io.weft.io.FrameTooLongException;
import io.weft.io.Framed;
import io.weft.io.LinesCodec;
import io.weft.net.TcpStream;
import io.weft.runtime.Runtime;
import io.weft.sync.Broadcast;
import io.weft.sync.LaggedException;
import io.weft.sync.SendException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.task.TaskScope;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.CharacterCodingException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A line-based chat server: every line a client sends reaches every other client
 * [Tokio: {@code examples/chat.rs}].
 *
 * <p>Run it with {@code scripts/demo chat}, then open two or three terminals with
 * {@code nc 127.0.0.1 7001}. The server asks for a name; the first line you send is it. After that,
 * each line you type appears on everyone else's terminal as {@code name: line}, and the room sees
 * {@code *** name joined} and {@code *** name left}.
 *
 * <h2>How it works</h2>
 * The room is one {@link Broadcast} channel. Each connection has two tasks:
 * {@snippet :
 * try (var rx = room.subscribe(); TaskScope scope = Task.scope()) {
 *     // the writer: everything the room says, out to this client
 *     scope.fork(() -> {
 *         while (true) {
 *             try {
 *                 Message m = rx.recv();                  // parks until someone speaks
 *                 if (m.from() != id) lines.writeFrame(m.text());
 *             } catch (LaggedException e) {               // this client fell behind the ring
 *                 lines.writeFrame("*** you missed " + e.skipped() + " messages");
 *             }
 *         }
 *     });
 *     // the reader (this task): every line from the client, into the room
 *     String line;
 *     while ((line = lines.readFrame()) != null) {
 *         room.send(new Message(id, name + ": " + line)); // never parks
 *     }
 * } // the scope aborts the writer and waits for it
 * }
 *
 * <h2>Slow clients never stall the room</h2>
 * {@code Broadcast.send} never parks: the channel keeps the last {@code roomCapacity} messages in a
 * ring and each client's writer reads at its own pace. A client that does not read its socket parks
 * only its own writer (TCP flow control); meanwhile the others go on talking. If it starts reading
 * again it has lost the messages the ring overwrote: its writer gets {@link LaggedException}, tells
 * it {@code *** you missed N messages}, and skips ahead to the oldest message still kept. If it does
 * not read at all, its writer's {@linkplain TcpStream#writeTimeout(Duration) write timeout} fires
 * and the server drops it ({@code *** name was dropped (not reading)}). Memory stays bounded either
 * way: the ring holds {@code roomCapacity} messages, and each connection at most one line in its
 * read buffer and one in flight to its socket. ({@code N} counts every message the ring dropped
 * before this client's writer got to it, the client's own included: a writer passes over its
 * client's messages in the ring too, so a chatty client on a busy server can lag on them.)
 *
 * <h2>Misbehaving clients</h2>
 * <ul>
 *   <li>Lines are read through {@link LinesCodec} with a maximum length: a longer line is answered
 *       with {@code *** line too long}, skipped (up to its newline, without buffering it), and the
 *       connection goes on. Invalid UTF-8 is answered and skipped the same way.</li>
 *   <li>A client that never sends its name is disconnected after {@code nameTimeout}; one that goes
 *       quiet afterwards, after {@code idleTimeout} if set.</li>
 *   <li>A reset, a half-close or a plain close all end that connection's two tasks (the others are
 *       untouched) and the room is told the client left.</li>
 * </ul>
 */
public final class ChatServer implements AutoCloseable {
    /** The port {@code scripts/demo chat} listens on unless told otherwise. */
    public static final int DEFAULT_PORT = 7001;
    /** The longest name, in characters. */
    public static final int MAX_NAME = 32;
    /** Attempts a client gets to choose a valid, free name. */
    static final int NAME_ATTEMPTS = 5;

    /**
     * The chat server's settings.
     *
     * @param address where to listen
     * @param maxLineLength the longest line a client may send, in bytes of UTF-8
     * @param roomCapacity how many messages the room keeps for clients that fall behind
     * @param nameTimeout how long a new client has to send its name
     * @param idleTimeout a client that sends nothing for this long is disconnected; null for never
     * @param writeTimeout a client that does not read for this long is dropped; null for never (it then
     *     skips ahead when it reads again)
     * @param log where log lines go
     */
    public record Config(InetSocketAddress address, int maxLineLength, int roomCapacity, Duration nameTimeout,
                         Duration idleTimeout, Duration writeTimeout, Consumer<String> log) {
        /**
         * Checks the settings.
         *
         * @param address where to listen
         * @param maxLineLength the longest line, positive
         * @param roomCapacity the ring's size, positive
         * @param nameTimeout the name timeout, positive
         * @param idleTimeout the read timeout after the name, or null
         * @param writeTimeout the write timeout, or null
         * @param log where log lines go
         */
        public Config {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(nameTimeout, "nameTimeout");
            Objects.requireNonNull(log, "log");
            if (maxLineLength < 1 || roomCapacity < 1) {
                throw new IllegalArgumentException("maxLineLength and roomCapacity must be positive");
            }
        }

        /**
         * {@return the defaults: 4 KiB lines, 256 messages kept, 30 s to send a name, no idle timeout,
         * 10 s write timeout, logging to standard output}
         *
         * @param address where to listen
         */
        public static Config defaults(InetSocketAddress address) {
            return new Config(address, 4096, 256, Duration.ofSeconds(30), null, Duration.ofSeconds(10), Flags::log);
        }

        /**
         * {@return these settings with another line limit}
         *
         * @param bytes the longest line, in bytes
         */
        public Config withMaxLineLength(int bytes) {
            return new Config(address, bytes, roomCapacity, nameTimeout, idleTimeout, writeTimeout, log);
        }

        /**
         * {@return these settings with another room capacity}
         *
         * @param messages how many messages the room keeps
         */
        public Config withRoomCapacity(int messages) {
            return new Config(address, maxLineLength, messages, nameTimeout, idleTimeout, writeTimeout, log);
        }

        /**
         * {@return these settings with other timeouts}
         *
         * @param name the time to send a name
         * @param idle the idle timeout afterwards, or null
         * @param write the write timeout, or null
         */
        public Config withTimeouts(Duration name, Duration idle, Duration write) {
            return new Config(address, maxLineLength, roomCapacity, name, idle, write, log);
        }

        /**
         * {@return these settings with another log}
         *
         * @param log where log lines go
         */
        public Config withLog(Consumer<String> log) {
            return new Config(address, maxLineLength, roomCapacity, nameTimeout, idleTimeout, writeTimeout, log);
        }
    }

    /** A line for the room; {@code from} is the sender's connection, which does not get it back. */
    private record Message(long from, String text) {}

    private final Config config;
    private final Broadcast.Sender<Message> room;
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final AtomicLong lagged = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong tooLong = new AtomicLong();
    private final TcpServer server;

    private ChatServer(Config config) throws IOException {
        this.config = config;
        Broadcast.Channel<Message> ch = Broadcast.channel(config.roomCapacity());
        ch.receiver().close(); // each client subscribes its own receiver
        this.room = ch.sender();
        this.server = TcpServer.start("chat", config.address(), config.log(), this::serve);
    }

    /**
     * Starts a chat server on the current Weft runtime; call it from a task or {@code blockOn}.
     *
     * {@snippet :
     * ChatServer chat = rt.blockOn(() -> ChatServer.start(ChatServer.Config.defaults(addr)));
     * }
     *
     * @param config the settings
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static ChatServer start(Config config) throws IOException {
        return new ChatServer(config);
    }

    private void serve(TcpStream stream, long id) throws IOException {
        stream.writeTimeout(config.writeTimeout());
        Framed<String> lines = new Framed<>(stream, new LinesCodec(config.maxLineLength()));
        String name = askName(stream, lines);
        if (name == null) {
            return;
        }
        try {
            stream.readTimeout(config.idleTimeout());
            config.log().accept("chat #" + id + ": " + stream.peerAddress() + " is " + name);
            AtomicReference<String> dropReason = new AtomicReference<>();
            String why;
            // Subscribe, tell the room, then say welcome: once the client reads the welcome, it hears
            // everything said after it, and everyone else has been told it is here.
            try (Broadcast.Receiver<Message> rx = room.subscribe(); TaskScope scope = Task.scope()) {
                publish(id, "*** " + name + " joined");
                lines.writeFrame("*** welcome, " + name + "; here: " + others(name));
                JoinHandle<Void> writer = scope.fork(() -> forward(rx, lines, stream, id, dropReason));
                try {
                    readLines(lines, id, name);
                    why = "left";
                } catch (SocketTimeoutException e) {
                    why = "timed out";
                } catch (IOException e) {
                    // The writer closes the stream when it drops the client: that ends our read too.
                    why = dropReason.get() != null ? dropReason.get() : "left (" + TcpServer.describe(e) + ")";
                }
                writer.abort(); // the scope would too; the writer may be parked in rx.recv()
            }
            config.log().accept("chat #" + id + ": " + name + " " + why);
            publish(id, "*** " + name + " " + why);
        } finally {
            names.remove(name);
        }
    }

    /** Asks for a name until a valid free one comes; null if the client leaves or gives up. */
    private String askName(TcpStream stream, Framed<String> lines) throws IOException {
        stream.readTimeout(config.nameTimeout());
        lines.writeFrame("*** welcome to Weft chat; what is your name?");
        for (int attempt = 1; attempt <= NAME_ATTEMPTS; attempt++) {
            String name;
            try {
                name = lines.readFrame();
            } catch (FrameTooLongException | CharacterCodingException e) {
                lines.writeFrame("*** that is not a name; try again");
                continue;
            }
            if (name == null) {
                return null;
            }
            name = name.strip();
            if (name.isEmpty() || name.length() > MAX_NAME || name.startsWith("*") || name.contains(" ")) {
                lines.writeFrame("*** a name is 1 to " + MAX_NAME + " characters, no spaces, not starting with *; try again");
            } else if (!names.add(name)) {
                lines.writeFrame("*** " + name + " is taken; try another");
            } else {
                return name;
            }
        }
        lines.writeFrame("*** goodbye");
        return null;
    }

    /** The reader: the client's lines into the room, until end of stream. */
    private void readLines(Framed<String> lines, long id, String name) throws IOException {
        while (true) {
            String line;
            try {
                line = lines.readFrame();
            } catch (FrameTooLongException e) {
                tooLong.incrementAndGet();
                lines.writeFrame("*** line too long (the limit is " + config.maxLineLength() + " bytes); not sent");
                continue;
            } catch (CharacterCodingException e) {
                lines.writeFrame("*** that line was not valid UTF-8; not sent");
                continue;
            }
            if (line == null) {
                return;
            }
            if (!line.isBlank()) {
                publish(id, name + ": " + line);
            }
        }
    }

    /** The writer: the room's messages out to the client, skipping ahead when it lags. */
    private Void forward(Broadcast.Receiver<Message> rx, Framed<String> lines, TcpStream stream, long id,
                         AtomicReference<String> dropReason) throws IOException {
        try {
            while (true) {
                Message m;
                try {
                    m = rx.recv();
                } catch (LaggedException e) {
                    lagged.incrementAndGet();
                    lines.writeFrame("*** you missed " + e.skipped() + " messages (reading too slowly); skipping ahead");
                    continue;
                }
                if (m == null) {
                    return null; // the room is closed: the server is shutting down
                }
                if (m.from() != id) {
                    lines.writeFrame(m.text());
                }
            }
        } catch (SocketTimeoutException e) {
            // The client has not read for writeTimeout: drop it rather than let it hold anything.
            dropped.incrementAndGet();
            dropReason.set("was dropped (not reading)");
            stream.close(); // wakes this connection's reader, which then leaves the room
            return null;
        } catch (IOException e) {
            dropReason.compareAndSet(null, "left (" + TcpServer.describe(e) + ")");
            stream.close();
            return null;
        }
    }

    private void publish(long from, String text) {
        try {
            room.send(new Message(from, text));
        } catch (SendException e) {
            // nobody else is here to hear it
        } catch (IllegalStateException e) {
            // the server is closing
        }
    }

    private String others(String me) {
        Set<String> sorted = new TreeSet<>(names);
        sorted.remove(me);
        return sorted.isEmpty() ? "nobody else yet" : String.join(", ", sorted);
    }

    /** {@return the address the server listens on} */
    public InetSocketAddress address() {
        return server.address();
    }

    /** {@return the connections being served now} */
    public int active() {
        return server.active();
    }

    /** {@return the names in the room now} */
    public Set<String> names() {
        return Set.copyOf(names);
    }

    /** {@return how many times a client's writer found it had lagged and skipped ahead} */
    public long lagged() {
        return lagged.get();
    }

    /** {@return how many clients were dropped because they did not read within the write timeout} */
    public long dropped() {
        return dropped.get();
    }

    /** {@return how many over-long lines were rejected} */
    public long linesTooLong() {
        return tooLong.get();
    }

    /** Waits until the server has stopped accepting (after {@link #close()} or the runtime's shutdown). */
    public void awaitClosed() {
        server.awaitClosed();
    }

    /** Stops accepting, ends every connection, then closes the room. */
    @Override
    public void close() {
        server.close();
        room.close();
    }

    /**
     * {@code scripts/demo chat [--host H] [--port P] [--max-line N] [--capacity N] [--write-timeout S]}:
     * runs the server until interrupted.
     *
     * @param args the options
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        String usage = "scripts/demo chat [--host 127.0.0.1] [--port " + DEFAULT_PORT
            + "] [--max-line 4096] [--capacity 256] [--idle-timeout 0] [--write-timeout 10]   (seconds; 0 = none)";
        Flags f = Flags.parse(args,
            Set.of("--host", "--port", "--max-line", "--capacity", "--idle-timeout", "--write-timeout"), usage);
        Config d = Config.defaults(
            new InetSocketAddress(f.string("--host", "127.0.0.1"), f.integer("--port", DEFAULT_PORT)));
        Config config = d.withMaxLineLength(f.integer("--max-line", d.maxLineLength()))
            .withRoomCapacity(f.integer("--capacity", d.roomCapacity()))
            .withTimeouts(d.nameTimeout(), f.seconds("--idle-timeout", d.idleTimeout()),
                f.seconds("--write-timeout", d.writeTimeout()));
        try (Runtime rt = Runtime.builder().build()) {
            ChatServer chat = rt.blockOn(() -> start(config));
            InetSocketAddress a = chat.address();
            System.out.println("Weft chat server listening on " + a.getHostString() + ":" + a.getPort()
                + " (lines up to " + config.maxLineLength() + " bytes, " + config.roomCapacity() + " messages kept for slow readers)");
            System.out.println("try it:   nc " + a.getHostString() + " " + a.getPort()
                + "      in two or three terminals; the first line you send is your name");
            chat.awaitClosed();
        }
    }
}
