package io.weft.internal.reactor;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.weft.internal.runtime.RuntimeAccess;
import io.weft.net.TcpListener;
import io.weft.net.TcpStream;
import io.weft.runtime.Runtime;
import io.weft.runtime.RuntimeFlavor;
import io.weft.task.JoinHandle;
import io.weft.testing.WeftTesting;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both I/O drivers, epoll (edge-triggered) and the NIO selector (level-triggered), through the public
 * socket API on each runtime flavour: the behaviour that differs between them (stale readiness,
 * descriptor reuse, a carrier parked inside the driver).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IoDriverTest {
    static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    static Stream<Arguments> drivers() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (String d : new String[] {"epoll", "selector"}) {
            for (RuntimeFlavor f : RuntimeFlavor.values()) {
                b.add(Arguments.of(d, f));
            }
        }
        return b.build();
    }

    static Stream<Arguments> parkModes() {
        // Sets per carrier need carriers: on the current-thread flavour the shards mode is the default.
        return drivers().flatMap(a -> (a.get()[0].equals("epoll")
                ? Stream.of("false", "last", "any", SHARDS).filter(m -> !m.equals(SHARDS) || a.get()[1] == RuntimeFlavor.MULTI_THREAD)
                : Stream.of("false"))
            .map(m -> Arguments.of(a.get()[0], a.get()[1], m)));
    }

    static boolean epollExpected() {
        return Boolean.getBoolean("weft.test.expectWeftScheduler")
            && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    /** The park mode that gives each carrier an epoll set of its own ({@code weft.io.shards=true}). */
    static final String SHARDS = "shards";

    /**
     * A runtime built with {@code weft.io.parkInPoller} set to {@code mode} (it is read at build
     * time), or, for {@link #SHARDS}, with {@code weft.io.shards=true} (read when the reactor opens).
     */
    static Runtime runtime(String driver, RuntimeFlavor flavor, String mode) throws Exception {
        return runtime(driver, WeftTesting.builder(flavor), mode);
    }

    /** As {@link #runtime(String, RuntimeFlavor, String)}, built from {@code builder}. */
    static Runtime runtime(String driver, Runtime.Builder builder, String mode) throws Exception {
        boolean shards = mode.equals(SHARDS);
        return withProperties(Map.of(shards ? Reactor.SHARDS_PROP_NAME : "weft.io.parkInPoller", shards ? "true" : mode),
            () -> runtime(driver, builder));
    }

    /** A runtime whose reactor is the given driver (the property is read when the first socket opens). */
    static Runtime runtime(String driver, RuntimeFlavor flavor) throws Exception {
        return runtime(driver, WeftTesting.builder(flavor));
    }

    /** As {@link #runtime(String, RuntimeFlavor)}, built from {@code builder}. */
    static Runtime runtime(String driver, Runtime.Builder builder) throws Exception {
        if (driver.equals("epoll")) {
            assumeTrue(epollExpected(), "epoll needs Linux and java.lang opened");
        }
        Runtime rt = WeftTesting.build(builder);
        Reactor r = withProperties(Map.of(Reactor.DRIVER_PROP_NAME, driver), () -> openReactor(rt));
        assertThat(r.kind()).isEqualTo(driver);
        return rt;
    }

    /** Runs {@code body} with the given system properties set, then puts back what they were. */
    static <T> T withProperties(Map<String, String> props, Callable<T> body) throws Exception {
        Map<String, String> before = new HashMap<>();
        props.forEach((k, v) -> before.put(k, System.setProperty(k, v)));
        try {
            return body.call();
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    static Reactor reactorOf(Runtime rt) {
        return RuntimeAccess.coreOf(rt).timeDriver().reactorIfOpen();
    }

    /** Opens {@code rt}'s reactor (it opens with the first socket) and {@return it} */
    static Reactor openReactor(Runtime rt) {
        rt.blockOn(() -> {
            TcpListener.bind(LOCAL).close();
            return null;
        });
        return reactorOf(rt);
    }

    @ParameterizedTest
    @MethodSource("drivers")
    void theDefaultDriverIsEpollOnLinuxWithJavaLangOpen(String driver, RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = WeftTesting.runtime(flavor)) {
            assertThat(openReactor(rt).kind()).isEqualTo(epollExpected() ? "epoll" : "selector");
        }
    }

    /**
     * Data and the peer's FIN arrive before the server reads: a short read clears read readiness on
     * epoll (the socket is drained), and no further edge will come for the FIN, which came with it.
     * The sticky read-closed bit must make the next read try, and see end of stream, instead of
     * waiting for an event that has already passed.
     */
    @ParameterizedTest
    @MethodSource("drivers")
    void aShortReadThenTheEndOfStreamThatCameWithIt(String driver, RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(driver, flavor)) {
            rt.blockOn(() -> {
                try (TcpListener l = TcpListener.bind(LOCAL)) {
                    var addr = (InetSocketAddress) l.localAddress();
                    JoinHandle<Void> client = io.weft.task.Task.spawnBlocking(() -> {
                        try (Socket s = new Socket(addr.getAddress(), addr.getPort())) {
                            s.getOutputStream().write("abc".getBytes(UTF_8));
                            s.shutdownOutput();
                            s.setSoTimeout(10_000);
                            s.getInputStream().read(); // until the server closes
                        }
                        return null;
                    });
                    try (TcpStream s = l.accept()) {
                        io.weft.time.Time.sleep(Duration.ofMillis(100)); // both the bytes and the FIN are in
                        ByteBuffer buf = ByteBuffer.allocate(1024);
                        assertThat(s.read(buf)).isEqualTo(3);
                        assertThat(io.weft.time.Time.timeout(Duration.ofSeconds(5), () -> s.read(buf.clear())))
                            .as("end of stream, without a new readiness event").isEqualTo(-1);
                    }
                    client.join();
                }
                return null;
            });
        }
    }

    /**
     * Sockets closed and opened in a tight loop get the same descriptor numbers again: readiness the
     * driver gathered for the old socket must not strand or confuse the new one, and a long-lived
     * connection beside them keeps working. Every socket is deregistered when closed.
     */
    @ParameterizedTest
    @MethodSource("drivers")
    void reusedDescriptorsKeepWorking(String driver, RuntimeFlavor flavor) throws Exception {
        try (Runtime rt = runtime(driver, flavor)) {
            long registeredBefore = rt.metrics().ioDriverFdRegisteredCount();
            long deregisteredBefore = rt.metrics().ioDriverFdDeregisteredCount();
            try (TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
                var addr = (InetSocketAddress) l.localAddress();
                JoinHandle<Void> server = rt.spawn(() -> {
                    while (true) {
                        TcpStream s = l.accept();
                        io.weft.task.Task.spawn(() -> {
                            try (s) {
                                ByteBuffer buf = ByteBuffer.allocate(256);
                                while (s.read(buf.clear()) > 0) {
                                    s.writeAll(buf.flip());
                                }
                            } catch (IOException e) {
                                // a reset: this connection only
                            }
                            return null;
                        });
                    }
                });
                try (Socket steady = connect(addr)) {
                    for (int i = 0; i < 300; i++) {
                        try (Socket s = connect(addr)) {
                            assertThat(roundTrip(s, "n" + i)).isEqualTo("n" + i);
                            if (i % 3 == 0) {
                                s.setSoLinger(true, 0); // close with a reset
                            }
                        }
                        if (i % 10 == 0) {
                            assertThat(roundTrip(steady, "s" + i)).isEqualTo("s" + i);
                        }
                    }
                }
                long open = 1; // the listener
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (rt.metrics().ioDriverFdRegisteredCount() - registeredBefore
                        - (rt.metrics().ioDriverFdDeregisteredCount() - deregisteredBefore) > open
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(rt.metrics().ioDriverFdRegisteredCount() - registeredBefore).isEqualTo(1 + 301);
                assertThat(rt.metrics().ioDriverFdDeregisteredCount() - deregisteredBefore)
                    .as("every closed connection left the driver").isEqualTo(301);
                server.abort();
            }
        }
    }

    /**
     * A lone carrier with nothing to do parks (with {@code weft.io.parkInPoller=last} or {@code any},
     * inside the epoll wait). Work submitted from outside (a spawn) and readiness must both wake it,
     * however they interleave: this caught a lost wake-up where the driver thread's wait swallowed
     * the wake byte meant for the carrier.
     */
    @ParameterizedTest
    @MethodSource("parkModes")
    void aParkedCarrierWakesForRemoteWorkAndForReadiness(String driver, RuntimeFlavor flavor, String mode) throws Exception {
        for (int round = 0; round < 40; round++) {
            try (Runtime rt = runtime(driver, flavor, mode);
                    TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
                var addr = (InetSocketAddress) l.localAddress();
                echoOne(rt, l);
                try (Socket s = connect(addr)) {
                    for (int i = 0; i < 5; i++) {
                        assertThat(roundTrip(s, "r" + i)).isEqualTo("r" + i);
                        Thread.sleep(1); // the carrier parks
                        int n = i;
                        assertThat(rt.spawn(() -> n * 2).join()).isEqualTo(n * 2);
                    }
                }
            }
        }
    }

    /**
     * With {@code weft.io.parkInPoller=last} and every carrier parked, the lone carrier waits in the
     * epoll driver itself, so readiness wakes the task into that carrier's own queue: no hop through
     * the driver thread and the inject queue. With the default ({@code false}) every wake-up here goes
     * through the inject queue, and this test fails.
     */
    @ParameterizedTest
    @MethodSource("drivers")
    void readinessWakesACarrierParkedInTheDriverDirectly(String driver, RuntimeFlavor flavor) throws Exception {
        assumeTrue(driver.equals("epoll") && flavor == RuntimeFlavor.CURRENT_THREAD, "one carrier, epoll");
        try (Runtime rt = runtime(driver, flavor, System.getProperty("weft.test.parkInPoller", "last"));
                TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
            var addr = (InetSocketAddress) l.localAddress();
            echoOne(rt, l);
            try (Socket s = connect(addr)) {
                roundTrip(s, "warm");
                long remoteBefore = rt.metrics().remoteScheduleCount();
                for (int i = 0; i < 100; i++) {
                    Thread.sleep(2); // the carrier parks between round trips
                    assertThat(roundTrip(s, "x" + i)).isEqualTo("x" + i);
                }
                assertThat(rt.metrics().remoteScheduleCount() - remoteBefore)
                    .as("wake-ups through the inject queue, of 100 round trips").isLessThan(50);
            }
        }
    }

    /**
     * A carrier that waited in the driver wakes with a task that then runs for a long time: the
     * driver thread, which only waited for timers while the carrier held the wait, must take up
     * polling again, or readiness on other sockets waits for that task to end.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"last", "any", SHARDS})
    void readinessIsStillPolledWhileTheCarrierThatLeftTheDriverRunsALongTask(String mode) throws Exception {
        try (Runtime rt = runtime("epoll", RuntimeFlavor.MULTI_THREAD, mode); TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
            var addr = (InetSocketAddress) l.localAddress();
            rt.spawn(() -> {
                while (true) {
                    TcpStream s = l.accept();
                    io.weft.task.Task.spawn(() -> {
                        try (s) {
                            ByteBuffer buf = ByteBuffer.allocate(64);
                            while (s.read(buf.clear()) > 0) {
                                if (buf.get(0) == 'S') {
                                    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
                                    while (System.nanoTime() < end) {
                                        Thread.onSpinWait(); // a long task that does not yield
                                    }
                                }
                                s.writeAll(buf.flip());
                            }
                        }
                        return null;
                    });
                }
            });
            // With a set per carrier, a third connection in between takes the other set's turn (round
            // robin), so `other` lands in the spinner's set: only the driver thread's stale look finds it.
            try (Socket spinner = connect(addr); Socket spacer = mode.equals(SHARDS) ? connect(addr) : null;
                    Socket other = connect(addr)) {
                roundTrip(other, "warm");
                Thread.sleep(50); // every carrier parks; one waits in the driver
                spinner.getOutputStream().write('S');
                Thread.sleep(100); // that carrier now runs the spin
                long t0 = System.nanoTime();
                assertThat(roundTrip(other, "quick")).isEqualTo("quick");
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertThat(ms).as("an echo on another socket while one carrier spins, ms").isLessThan(1000);
                spinner.getInputStream().read();
            }
        }
    }

    /**
     * A socket closed twice (two tasks racing to close it), the second time after its descriptor was
     * reused by a new socket: the late close must not take the new socket out of epoll, or the new
     * socket would never see readiness again. Also with two carriers' sets, where the two sockets
     * land in different sets (round robin) and each close must use its own.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"1, true", "2, false", "2, true"})
    void aLateSecondCloseLeavesTheSocketThatReusedTheDescriptorAlone(int shards, boolean sameSet) throws Exception {
        assumeTrue(epollExpected(), "epoll needs Linux and java.lang opened");
        EpollReactor r = new EpollReactor("test", shards);
        try (var server = java.nio.channels.ServerSocketChannel.open().bind(LOCAL);
                var spacer = java.nio.channels.Pipe.open().source()) {
            var a = java.nio.channels.SocketChannel.open(server.getLocalAddress());
            var aPeer = server.accept();
            IoSource srcA = r.register(a);
            if (shards > 1 && sameSet) {
                r.register(spacer); // takes the other set's turn, so the next socket lands in srcA's set
            }
            srcA.close();
            a.close();
            aPeer.close();

            var b = java.nio.channels.SocketChannel.open(server.getLocalAddress());
            var bPeer = server.accept();
            IoSource srcB = r.register(b);
            assumeTrue(srcB.fd == srcA.fd, "the kernel reused the descriptor");
            assertThat(srcB.set == srcA.set).as("same set").isEqualTo(sameSet);
            srcA.close(); // the late second close

            for (int i = 0; i < 10; i++) {
                r.pollNow(); // the registration's first events
            }
            long before = r.readyCount();
            bPeer.write(ByteBuffer.wrap(new byte[] {1}));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (r.readyCount() == before && System.nanoTime() < deadline) {
                r.pollNow();
                Thread.sleep(1);
            }
            assertThat(r.readyCount()).as("readiness of the socket that reused the descriptor").isGreaterThan(before);
            assertThat(r.deregisteredCount()).as("only the first close deregistered").isEqualTo(1);
            b.close();
            bPeer.close();
        } finally {
            r.close();
        }
    }

    /**
     * Closing a source takes its descriptor out of the epoll set it was put in, whichever carrier's
     * set that is, even while the channel itself stays open (a second registration of it would
     * otherwise find it still there).
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3})
    void closingASourceTakesItOutOfItsOwnSet(int shards) throws Exception {
        assumeTrue(epollExpected(), "epoll needs Linux and java.lang opened");
        EpollReactor r = new EpollReactor("test", shards);
        var open = new java.util.ArrayList<java.nio.channels.SocketChannel>();
        try (var server = java.nio.channels.ServerSocketChannel.open().bind(LOCAL)) {
            var seen = new java.util.HashSet<Integer>();
            for (int i = 0; i < 2 * shards; i++) {
                var ch = java.nio.channels.SocketChannel.open(server.getLocalAddress());
                open.add(ch);
                open.add(server.accept());
                IoSource src = r.register(ch);
                seen.add(r.shardOf(src));
                assertThat(Epoll.ctl(src.set, Epoll.CTL_ADD, src.fd, Epoll.EPOLLIN)).as("registered in its set")
                    .isNotZero();
                src.close();
                assertThat(Epoll.ctl(src.set, Epoll.CTL_ADD, src.fd, Epoll.EPOLLIN)).as("gone from its set after close")
                    .isZero();
                assertThat(Epoll.ctl(src.set, Epoll.CTL_DEL, src.fd, 0)).isZero();
            }
            assertThat(seen).as("the sets the sockets went to").hasSize(shards == 1 ? 1 : shards);
        } finally {
            for (var ch : open) {
                ch.close();
            }
            r.close();
        }
    }

    /**
     * With a set per carrier, readiness wakes the carrier whose set holds the socket, and the woken
     * task runs there: no hop through the driver thread and the inject queue. Two connections land
     * in the two sets (round robin); each makes round trips with pauses in between, so that every
     * carrier has parked in its own set before the next message comes.
     */
    @org.junit.jupiter.api.RepeatedTest(2)
    void readinessWakesTheCarrierThatWaitsInTheSocketsSet() throws Exception {
        try (Runtime rt = runtime("epoll", RuntimeFlavor.MULTI_THREAD, SHARDS);
                TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
            EpollReactor r = (EpollReactor) reactorOf(rt);
            assertThat(r.shardCount()).isEqualTo(2);
            var addr = (InetSocketAddress) l.localAddress();
            var owners = new java.util.ArrayList<Integer>();
            for (int c = 0; c < 2; c++) {
                echoOne(rt, l);
                try (Socket s = connect(addr)) {
                    assertThat(roundTrip(s, "warm")).isEqualTo("warm");
                    Thread.sleep(20);
                    long[] ready = {r.shardReadyCount(0), r.shardReadyCount(1)};
                    long[] polls = {rt.metrics().workerPollCount(0), rt.metrics().workerPollCount(1)};
                    long remote = rt.metrics().remoteScheduleCount();
                    int trips = 40;
                    for (int i = 0; i < trips; i++) {
                        Thread.sleep(2); // both carriers park, each in its own set
                        assertThat(roundTrip(s, "m" + i)).isEqualTo("m" + i);
                    }
                    long[] readyD = {r.shardReadyCount(0) - ready[0], r.shardReadyCount(1) - ready[1]};
                    long[] pollsD = {rt.metrics().workerPollCount(0) - polls[0], rt.metrics().workerPollCount(1) - polls[1]};
                    int k = readyD[0] > readyD[1] ? 0 : 1;
                    String state = "ready per set " + java.util.Arrays.toString(readyD) + ", polls per carrier "
                        + java.util.Arrays.toString(pollsD);
                    assertThat(readyD[k]).as("readiness in the socket's set: " + state).isGreaterThanOrEqualTo(trips * 3 / 4);
                    assertThat(readyD[1 - k]).as("readiness in the other set: " + state).isLessThan(trips / 4);
                    assertThat(pollsD[k]).as("tasks run by the set's carrier: " + state).isGreaterThanOrEqualTo(trips * 3 / 4);
                    assertThat(pollsD[1 - k]).as("tasks run by the other carrier: " + state).isLessThan(trips / 4);
                    assertThat(rt.metrics().remoteScheduleCount() - remote).as("wake-ups through the inject queue")
                        .isLessThan(trips / 4);
                    owners.add(k);
                }
            }
            assertThat(owners).as("the two connections' sets").containsExactlyInAnyOrder(0, 1);
        }
    }

    /**
     * With a set per carrier, carriers that parked before the reactor opened (no socket yet), or
     * while the clock was paused, are moved into their sets when it opens or when time resumes: else
     * readiness in their sets would wait for the driver thread's stale look, a millisecond later.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void parkedCarriersMoveIntoTheirSetsWhenTheReactorOpensOrTimeResumes(boolean paused) throws Exception {
        assumeTrue(epollExpected(), "epoll needs Linux and java.lang opened");
        withProperties(Map.of(Reactor.DRIVER_PROP_NAME, "epoll", Reactor.SHARDS_PROP_NAME, "true"), () -> {
            try (Runtime rt = WeftTesting.build(WeftTesting.builder(RuntimeFlavor.MULTI_THREAD).startPaused(paused))) {
                Thread.sleep(50); // both carriers park, with no reactor yet
                EpollReactor r = (EpollReactor) openReactor(rt);
                assertThat(r.shardCount()).isEqualTo(2);
                if (paused) {
                    Thread.sleep(50);
                    assertThat(r.hasParkedPoller()).as("paused: carriers park outside their sets").isFalse();
                    // From outside the runtime, so no task wakes a carrier: only the poke moves them.
                    RuntimeAccess.coreOf(rt).timeDriver().resume();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!r.hasParkedPoller() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertThat(r.hasParkedPoller()).as("every carrier waits in its own set").isTrue();
            }
            return null;
        });
    }

    /**
     * With a set per carrier and the clock paused, carriers park outside their sets and the driver
     * thread waits in its own set, which holds the carriers' sets: readiness in any of them must
     * still reach the task. Several connections, so both sets are used.
     */
    @Test
    void aPausedClockStillHearsReadinessInEveryCarriersSet() throws Exception {
        try (Runtime rt = runtime("epoll", WeftTesting.builder(RuntimeFlavor.MULTI_THREAD).startPaused(true), SHARDS);
                TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
            EpollReactor r = (EpollReactor) reactorOf(rt);
            assertThat(r.shardCount()).isEqualTo(2);
            var addr = (InetSocketAddress) l.localAddress();
            long[] before = {r.shardReadyCount(0), r.shardReadyCount(1)};
            long masterBefore = r.masterLookCount();
            for (int c = 0; c < 4; c++) {
                echoOne(rt, l);
                try (Socket s = connect(addr)) {
                    for (int i = 0; i < 10; i++) {
                        Thread.sleep(1);
                        assertThat(roundTrip(s, c + ":" + i)).isEqualTo(c + ":" + i);
                    }
                }
            }
            assertThat(r.shardReadyCount(0) - before[0]).as("readiness heard in set 0").isPositive();
            assertThat(r.shardReadyCount(1) - before[1]).as("readiness heard in set 1").isPositive();
            // Heard by the driver thread's wait in its own set, not by its look at stale sets a
            // millisecond later: 40 round trips, each with at least one wake-up through that wait.
            assertThat(r.masterLookCount() - masterBefore).as("sets found ready by the driver's own wait")
                .isGreaterThanOrEqualTo(20);
        }
    }

    /**
     * Each driver holds descriptors of its own (the epoll instance, the wake pipe's two ends, or the
     * selector's): a runtime that shuts down must give them all back, however many runtimes come and go.
     */
    @ParameterizedTest
    @MethodSource("parkModes")
    void aRuntimeThatShutsDownReturnsItsDriversDescriptors(String driver, RuntimeFlavor flavor, String mode) throws Exception {
        java.nio.file.Path fds = java.nio.file.Path.of("/proc/self/fd");
        assumeTrue(java.nio.file.Files.isDirectory(fds), "needs /proc/self/fd");
        try (Runtime warm = runtime(driver, flavor, mode)) {
            serveOneConnection(warm);
        }
        long before = countOpen(fds);
        for (int i = 0; i < 50; i++) {
            try (Runtime rt = runtime(driver, flavor, mode)) {
                serveOneConnection(rt);
            }
        }
        long after = countOpen(fds);
        assertThat(after - before).as("descriptors left open by 50 runtimes (%d before, %d after)", before, after)
            .isLessThan(20);
    }

    /**
     * With {@code weft.io.shards=true} each carrier gets an epoll set of its own and sockets are
     * spread over them. Many connections, each echoing random payloads in many round trips, all at
     * once: every byte comes back, whichever carrier's set a socket is in and whoever polls it (its
     * carrier parked in its set, the carrier between tasks, a searching sibling, the driver thread).
     * Then the runtime shuts down under load: clients see their connections end, and nothing hangs.
     */
    @org.junit.jupiter.api.RepeatedTest(3)
    void aShardedDriverServesManyConnectionsOnEveryCarrierSet() throws Exception {
        try (Runtime rt = runtime("epoll", RuntimeFlavor.MULTI_THREAD, SHARDS);
                TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL, 1024))) {
            EpollReactor r = (EpollReactor) reactorOf(rt);
            assertThat(r.shardCount()).as("one set per carrier").isEqualTo(rt.metrics().workerCount());
            assertThat(r.parksEveryCarrier()).isTrue();
            var addr = (InetSocketAddress) l.localAddress();
            rt.spawn(() -> {
                while (true) {
                    TcpStream s = l.accept();
                    io.weft.task.Task.spawn(() -> {
                        try (s) {
                            ByteBuffer buf = ByteBuffer.allocate(1024);
                            while (s.read(buf.clear()) > 0) {
                                s.writeAll(buf.flip());
                            }
                        }
                        return null;
                    });
                }
            });
            int conns = 200;
            int trips = 20;
            var clients = new java.util.ArrayList<java.util.concurrent.Future<Long>>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int c = 0; c < conns; c++) {
                    long seed = c;
                    clients.add(pool.submit(() -> {
                        var rnd = new java.util.Random(seed);
                        long echoed = 0;
                        try (Socket s = connect(addr)) {
                            for (int t = 0; t < trips; t++) {
                                byte[] b = new byte[1 + rnd.nextInt(4096)];
                                rnd.nextBytes(b);
                                s.getOutputStream().write(b);
                                byte[] back = s.getInputStream().readNBytes(b.length);
                                assertThat(back).isEqualTo(b);
                                echoed += b.length;
                                if (rnd.nextInt(8) == 0) {
                                    Thread.sleep(rnd.nextInt(3)); // let carriers park in their sets
                                }
                            }
                        }
                        return echoed;
                    }));
                }
                long total = 0;
                for (var f : clients) {
                    total += f.get(60, TimeUnit.SECONDS);
                }
                assertThat(total).isPositive();
            }
            assertThat(rt.metrics().ioDriverFdRegisteredCount()).as("the listener and every connection")
                .isGreaterThanOrEqualTo(conns + 1);
            // Shut down under load: a client mid-conversation sees its connection end, not a hang.
            Socket busy = connect(addr);
            assertThat(roundTrip(busy, "before")).isEqualTo("before");
            rt.close();
            assertThat(busy.getInputStream().read()).as("the connection ended with the runtime").isEqualTo(-1);
            busy.close();
        }
    }

    /** One connection served and closed on {@code rt}. */
    private static void serveOneConnection(Runtime rt) throws Exception {
        try (TcpListener l = rt.blockOn(() -> TcpListener.bind(LOCAL))) {
            echoOne(rt, l);
            try (Socket s = connect((InetSocketAddress) l.localAddress())) {
                assertThat(roundTrip(s, "fd")).isEqualTo("fd");
            }
        }
    }

    private static long countOpen(java.nio.file.Path fds) throws IOException {
        try (var list = java.nio.file.Files.list(fds)) {
            return list.count();
        }
    }

    /** Spawns a task that accepts one connection and echoes it until end of stream. */
    static void echoOne(Runtime rt, TcpListener l) {
        rt.spawn(() -> {
            try (TcpStream s = l.accept()) {
                ByteBuffer buf = ByteBuffer.allocate(64);
                while (s.read(buf.clear()) > 0) {
                    s.writeAll(buf.flip());
                }
            }
            return null;
        });
    }

    static Socket connect(InetSocketAddress addr) throws IOException {
        Socket s = new Socket(addr.getAddress(), addr.getPort());
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    static String roundTrip(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        byte[] b = text.getBytes(UTF_8);
        out.write(b);
        return new String(in.readNBytes(b.length), UTF_8);
    }
}
