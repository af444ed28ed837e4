package io.weft.stress;

import static io.weft.testing.WeftTesting.runtime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.weft.net.StreamHalves;
import io.weft.net.TcpListener;
import io.weft.net.TcpStream;
import io.weft.net.UdpSocket;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinException;
import io.weft.task.JoinHandle;
import io.weft.task.Task;
import io.weft.time.ElapsedException;
import io.weft.time.Time;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hammers the reactor's readiness protocol (IoSource's word, the selector's interest updates, the
 * driver's wake-up) with randomized traffic: random chunk sizes, random yields and short sleeps on
 * both sides, readers aborted or timed out at random moments and then retried, closes racing with
 * parked reads and writes; and the wake-up race (interest armed while the driver is blocked in select
 * with a far timer deadline). The seed is printed and in every assertion message; rerun one with
 * {@code -Dweft.stress.seed=<seed>}. {@code stress-long} variants go bigger and are excluded by default.
 */
@Tag("stress")
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReactorStressTest {
    static final InetSocketAddress ANY_LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    static long seed(String test) {
        long seed = Long.getLong("weft.stress.seed", System.nanoTime());
        System.out.println("ReactorStressTest." + test + " seed=" + seed + " (rerun with -Dweft.stress.seed=" + seed + ")");
        return seed;
    }

    /** The byte at {@code pos} of connection stream {@code key}: any loss, duplicate or reorder shows. */
    static byte expected(long key, long pos) {
        long z = (key + pos) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return (byte) (z ^ (z >>> 29));
    }

    /** A random pause: mostly none, sometimes a yield, rarely a short sleep. */
    static void jitter(SplittableRandom r) {
        int k = r.nextInt(16);
        if (k < 2) {
            Task.yieldNow();
        } else if (k == 2) {
            LockSupport.parkNanos(r.nextLong(1, 300_000));
        }
    }

    /** A chunk size: mostly small, sometimes one byte, sometimes big. */
    static int chunk(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> 1;
            case 1, 2, 3 -> r.nextInt(1, 256);
            case 4, 5 -> r.nextInt(256, 4096);
            default -> r.nextInt(4096, 32768);
        };
    }

    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void randomTrafficWithAbortedAndTimedOutReads(RuntimeFlavor flavor) {
        randomTraffic(flavor, 64, 256 << 10, seed("randomTraffic[" + flavor + "]"));
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag("stress-long")
    void randomTrafficLong(RuntimeFlavor flavor) {
        for (int i = 0; i < 5; i++) {
            randomTraffic(flavor, 200, 1 << 20, seed("randomTrafficLong[" + flavor + "]"));
        }
    }

    /**
     * {@code conns} connections to an echo server, each with a writer task (random chunks and pauses)
     * and a reader that verifies every echoed byte in order; the reader's reads are randomly plain,
     * run in a child task aborted after a random delay, or wrapped in a short Time.timeout. A read
     * that was cancelled must have left its buffer untouched (no byte consumed), and the stream must
     * arrive whole: same length, same bytes, same CRC.
     */
    static void randomTraffic(RuntimeFlavor flavor, int conns, int maxBytes, long seed) {
        AtomicLong aborts = new AtomicLong();
        AtomicLong abortedEmpty = new AtomicLong();
        AtomicLong timeouts = new AtomicLong();
        long t0 = System.nanoTime();
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL, 1024)) {
                    SplittableRandom master = new SplittableRandom(seed);
                    JoinHandle<Void> server = Task.spawn(() -> {
                        SplittableRandom sr = new SplittableRandom(seed ^ 0x5EED);
                        for (int i = 0; i < conns; i++) {
                            TcpStream s = listener.accept();
                            SplittableRandom r = sr.split();
                            Task.spawn(() -> echo(s, r));
                        }
                        return null;
                    });
                    List<JoinHandle<Long>> clients = new ArrayList<>();
                    for (int c = 0; c < conns; c++) {
                        int id = c;
                        SplittableRandom r = master.split();
                        long len = r.nextLong(1, maxBytes);
                        long key = r.nextLong();
                        clients.add(Task.spawn(() -> client(listener, id, len, key, r, seed, aborts, abortedEmpty, timeouts)));
                    }
                    long total = 0;
                    for (JoinHandle<Long> h : clients) {
                        total += h.join(Duration.ofSeconds(90));
                    }
                    server.join();
                    return total;
                }
            });
        }
        System.out.printf("  %s: %d connections in %d ms; %d reads aborted (%d inside read), %d timed out%n",
            flavor, conns, (System.nanoTime() - t0) / 1_000_000, aborts.get(), abortedEmpty.get(), timeouts.get());
        assertThat(aborts.get() + timeouts.get()).as("seed %d: the test did cancel reads", seed).isPositive();
    }

    static Void echo(TcpStream s, SplittableRandom r) throws IOException {
        try (s) {
            ByteBuffer buf = ByteBuffer.allocate(32768);
            while (true) {
                buf.clear().limit(chunk(r));
                if (s.read(buf) < 0) {
                    break;
                }
                jitter(r);
                s.writeAll(buf.flip());
            }
            s.shutdownOutput();
        }
        return null;
    }

    static long client(TcpListener listener, int id, long len, long key, SplittableRandom r, long seed,
                       AtomicLong aborts, AtomicLong abortedEmpty, AtomicLong timeouts) throws Exception {
        SplittableRandom wr = r.split();
        try (TcpStream c = TcpStream.connect(listener.localAddress())) {
            StreamHalves h = c.split();
            JoinHandle<Long> writer = Task.spawn(() -> {
                CRC32 crc = new CRC32();
                long pos = 0;
                ByteBuffer buf = ByteBuffer.allocate(32768);
                while (pos < len) {
                    int n = (int) Math.min(chunk(wr), len - pos);
                    buf.clear().limit(n);
                    for (int i = 0; i < n; i++) {
                        buf.put(i, expected(key, pos + i));
                    }
                    crc.update(buf.duplicate());
                    h.writeHalf().writeAll(buf);
                    pos += n;
                    jitter(wr);
                }
                h.writeHalf().close();
                return crc.getValue();
            });
            CRC32 crc = new CRC32();
            long got = 0;
            ByteBuffer buf = ByteBuffer.allocate(32768);
            while (true) {
                buf.clear().limit(chunk(r));
                int n;
                int mode = r.nextInt(5);
                if (mode == 0) {
                    // A read in a child task, aborted after a random delay: it either completed (its
                    // bytes are in buf) or was cancelled having consumed nothing.
                    ByteBuffer mine = buf;
                    JoinHandle<Integer> child = Task.spawn(() -> h.readHalf().read(mine));
                    if (r.nextInt(4) != 0) {
                        LockSupport.parkNanos(r.nextLong(20_000, 1_000_000)); // mostly lands while parked in read
                    } else {
                        Task.yieldNow();
                    }
                    child.abort();
                    try {
                        n = child.join(Duration.ofSeconds(30));
                    } catch (JoinException e) {
                        assertThat(e.isCancelled()).as("seed %d conn %d: cancelled, not failed: %s", seed, id, e.getCause())
                            .isTrue();
                        assertThat(buf.position()).as("seed %d conn %d: an aborted read consumed no byte (at %d)", seed, id, got)
                            .isZero();
                        aborts.incrementAndGet();
                        if (e.getCause() != null) {
                            abortedEmpty.incrementAndGet(); // it threw: aborted inside the read, not before it ran
                        }
                        continue;
                    }
                } else if (mode == 1) {
                    try {
                        n = Time.timeout(Duration.ofNanos(r.nextLong(1, 2_000_000)), () -> h.readHalf().read(buf));
                    } catch (ElapsedException e) {
                        assertThat(buf.position()).as("seed %d conn %d: a timed-out read consumed no byte (at %d)", seed, id, got)
                            .isZero();
                        timeouts.incrementAndGet();
                        continue;
                    }
                } else {
                    n = h.readHalf().read(buf);
                }
                if (n < 0) {
                    break;
                }
                assertThat(n).as("seed %d conn %d: read returns what it put in the buffer", seed, id).isEqualTo(buf.position());
                for (int i = 0; i < n; i++) {
                    byte b = buf.get(i);
                    if (b != expected(key, got + i)) {
                        fail("seed %d conn %d: byte %d of %d is wrong (lost, duplicated or reordered data)", seed, id, got + i, len);
                    }
                }
                crc.update(buf.flip());
                got += n;
                jitter(r);
            }
            long sent = writer.join(Duration.ofSeconds(60));
            assertThat(got).as("seed %d conn %d: every byte echoed", seed, id).isEqualTo(len);
            assertThat(crc.getValue()).as("seed %d conn %d: checksum", seed, id).isEqualTo(sent);
            h.readHalf().close();
            return got;
        }
    }

    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void closeRacesWithParkedReadsAndWrites(RuntimeFlavor flavor) {
        closeRaces(flavor, 150, seed("closeRaces[" + flavor + "]"));
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    @Tag("stress-long")
    void closeRacesLong(RuntimeFlavor flavor) {
        closeRaces(flavor, 3000, seed("closeRacesLong[" + flavor + "]"));
    }

    /**
     * A reader (and a writer the peer does not drain) on one stream while another task closes it at a
     * random moment: each ends promptly with a SocketException (or, for the reader, data or EOF it
     * got first), never hangs; and the close really releases the socket, so the peer sees it.
     */
    static void closeRaces(RuntimeFlavor flavor, int rounds, long seed) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL, 1024)) {
                    for (int round = 0; round < rounds; round++) {
                        TcpStream c = TcpStream.connect(listener.localAddress());
                        TcpStream s = listener.accept();
                        boolean peerWrites = r.nextBoolean();
                        JoinHandle<Long> reader = Task.spawn(() -> {
                            long n = 0;
                            ByteBuffer buf = ByteBuffer.allocate(1024);
                            int k;
                            while ((k = c.read(buf.clear())) >= 0) {
                                n += k;
                            }
                            return n;
                        });
                        boolean withWriter = r.nextInt(3) == 0;
                        JoinHandle<Void> writer = withWriter ? Task.spawn(() -> {
                            c.writeAll(ByteBuffer.allocate(16 << 20)); // more than the buffers take: parks
                            return null;
                        }) : null;
                        if (peerWrites) {
                            s.writeAll(ByteBuffer.allocate(r.nextInt(1, 4096)));
                        }
                        switch (r.nextInt(4)) {
                            case 0 -> { }
                            case 1 -> Task.yieldNow();
                            default -> LockSupport.parkNanos(r.nextLong(1, 2_000_000));
                        }
                        c.close();
                        int at = round;
                        assertEndsWithSocketException(reader, "seed " + seed + " round " + at + ": reader");
                        if (writer != null) {
                            assertEndsWithSocketException(writer, "seed " + seed + " round " + at + ": writer");
                        }
                        // The peer sees the close (FIN or RST) in bounded time: the fd was released.
                        s.readTimeout(Duration.ofSeconds(10));
                        try {
                            ByteBuffer drain = ByteBuffer.allocate(64 << 10);
                            while (s.read(drain.clear()) >= 0) {
                                // whatever the writer got out before the close
                            }
                        } catch (SocketException e) {
                            assertThat(e.getMessage()).as("seed %d round %d", seed, at).containsIgnoringCase("reset");
                        }
                        s.close();
                    }
                }
                return null;
            });
        }
    }

    static void assertEndsWithSocketException(JoinHandle<?> h, String what) {
        try {
            h.join(Duration.ofSeconds(20));
        } catch (JoinException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertThat(root).as("%s failed with a SocketException", what).isInstanceOf(SocketException.class);
            return;
        } catch (Exception e) {
            throw new AssertionError(what + ": did not end within 20 s after close (lost wake-up?)", e);
        }
        // A reader may have seen data and then EOF/exception: either way it ended. Only a normal end is
        // unexpected for the writer, which never finishes 16 MiB into an undrained socket.
        assertThat(what).as("%s ended normally", what).doesNotContain("writer");
    }

    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void pingPongWakesPromptlyWithAFarTimer(RuntimeFlavor flavor) {
        pingPong(flavor, 1000, true);
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void pingPongWakesPromptlyWithNoTimer(RuntimeFlavor flavor) {
        pingPong(flavor, 1000, false);
    }

    /**
     * The wake-up race: every read here parks, so its interest is armed while the driver is blocked
     * in select, whose timeout is an hour away (a sleeping task holds a far timer) or infinite. A
     * lost wake-up costs that whole timeout, so 1,000 round trips in bounded time show that every
     * arming woke the selector (or was applied by a select that started after it).
     */
    static void pingPong(RuntimeFlavor flavor, int rounds, boolean farTimer) {
        try (Runtime rt = runtime(flavor)) {
            long ms = rt.blockOn(() -> {
                JoinHandle<Void> sleeper = farTimer ? Task.spawn(() -> {
                    Time.sleep(Duration.ofHours(1));
                    return null;
                }) : null;
                Time.sleep(Duration.ofMillis(20)); // the driver is now parked until the far deadline
                try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                    JoinHandle<Void> server = Task.spawn(() -> {
                        try (TcpStream s = listener.accept()) {
                            ByteBuffer b = ByteBuffer.allocate(1);
                            while (s.read(b.clear()) > 0) {
                                s.writeAll(b.flip());
                            }
                        }
                        return null;
                    });
                    long t0 = System.nanoTime();
                    try (TcpStream c = TcpStream.connect(listener.localAddress())) {
                        ByteBuffer b = ByteBuffer.allocate(1);
                        for (int i = 0; i < rounds; i++) {
                            c.writeAll(b.clear().put(0, (byte) i));
                            b.clear();
                            JoinHandle<Integer> one = Task.spawn(() -> c.read(b));
                            int n = one.join(Duration.ofSeconds(15));
                            assertThat(n).isEqualTo(1);
                            assertThat(b.get(0)).as("round %d", i).isEqualTo((byte) i);
                        }
                    }
                    long took = (System.nanoTime() - t0) / 1_000_000;
                    server.join(Duration.ofSeconds(10));
                    if (sleeper != null) {
                        sleeper.abort();
                    }
                    return took;
                }
            });
            System.out.printf("  pingPong %s farTimer=%s: %d round trips in %d ms%n", flavor, farTimer, rounds, ms);
            assertThat(ms).as("%d round trips: a lost wake-up would cost the select's whole timeout", rounds)
                .isLessThan(30_000);
        }
    }

    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void udpPingPongWakesPromptlyWithAFarTimer(RuntimeFlavor flavor) {
        try (Runtime rt = runtime(flavor)) {
            rt.blockOn(() -> {
                JoinHandle<Void> sleeper = Task.spawn(() -> {
                    Time.sleep(Duration.ofHours(1));
                    return null;
                });
                Time.sleep(Duration.ofMillis(20));
                try (UdpSocket a = UdpSocket.bind(ANY_LOCAL); UdpSocket b = UdpSocket.bind(ANY_LOCAL)) {
                    a.connect(b.localAddress());
                    b.connect(a.localAddress());
                    JoinHandle<Void> echo = Task.spawn(() -> {
                        ByteBuffer buf = ByteBuffer.allocate(8);
                        while (true) {
                            b.recv(buf.clear());
                            if (buf.position() == 1) {
                                return null; // the 1-byte stop datagram
                            }
                            b.send(buf.flip());
                        }
                    });
                    ByteBuffer buf = ByteBuffer.allocate(8);
                    for (int i = 0; i < 1000; i++) {
                        a.send(buf.clear().putInt(0, i).limit(4));
                        // A loopback datagram is not lost at one in flight; the bound catches a lost wake-up.
                        int n = Time.timeout(Duration.ofSeconds(15), () -> a.recv(buf.clear()));
                        assertThat(n).isEqualTo(4);
                        assertThat(buf.getInt(0)).isEqualTo(i);
                    }
                    a.send(ByteBuffer.allocate(1));
                    echo.join(Duration.ofSeconds(10));
                }
                sleeper.abort();
                return null;
            });
        }
    }

    /**
     * Each fresh runtime first parks its driver on a far timer with no reactor yet; the first socket
     * then creates the reactor, and the driver must move from its plain park into the select.
     */
    @ParameterizedTest
    @EnumSource(RuntimeFlavor.class)
    void firstSocketOfAFreshRuntimeWakesItsParkedDriver(RuntimeFlavor flavor) {
        for (int i = 0; i < 15; i++) {
            try (Runtime rt = runtime(flavor)) {
                int round = i;
                rt.blockOn(() -> {
                    JoinHandle<Void> sleeper = Task.spawn(() -> {
                        Time.sleep(Duration.ofHours(1));
                        return null;
                    });
                    Time.sleep(Duration.ofMillis(5));
                    try (TcpListener listener = TcpListener.bind(ANY_LOCAL)) {
                        JoinHandle<TcpStream> acceptor = Task.spawn(listener::accept);
                        try (TcpStream c = TcpStream.connect(listener.localAddress());
                             TcpStream s = acceptor.join(Duration.ofSeconds(15))) {
                            JoinHandle<Integer> reader = Task.spawn(() -> s.read(ByteBuffer.allocate(4)));
                            Time.sleep(Duration.ofMillis(2));
                            c.writeAll(ByteBuffer.allocate(3));
                            assertThat(reader.join(Duration.ofSeconds(15))).as("round %d", round).isEqualTo(3);
                        }
                    }
                    sleeper.abort();
                    return null;
                });
            }
        }
    }
}
