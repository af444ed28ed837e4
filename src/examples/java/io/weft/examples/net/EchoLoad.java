package io.weft.examples.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A closed-loop echo load generator in plain Java NIO, the same for every server: each connection
 * sends a message, waits for all of it to come back, records the round trip, and sends the next.
 * A few platform threads, each with a selector over its share of the connections, so the client
 * costs the same whatever the server is.
 */
public final class EchoLoad {
    /** What one run measured. */
    public record Result(long roundTrips, double seconds, long p50Nanos, long p99Nanos, long p999Nanos, long errors,
            long serverCpuNanos) {
        /** {@return round trips per second} */
        public double perSecond() {
            return roundTrips / seconds;
        }

        /** {@return the server's CPU time per round trip in microseconds, or NaN if unknown} */
        public double serverCpuMicrosPerTrip() {
            return serverCpuNanos < 0 || roundTrips == 0 ? Double.NaN : serverCpuNanos / 1e3 / roundTrips;
        }

        /** {@return how many cores the server kept busy on average, or NaN if unknown} */
        public double serverCores() {
            return serverCpuNanos < 0 ? Double.NaN : serverCpuNanos / 1e9 / seconds;
        }
    }

    private final InetSocketAddress server;
    private final int connections;
    private final int messageSize;
    private final int threads;
    private final boolean roundRobin;

    /**
     * Configures a load whose client threads each drive a contiguous block of the connections.
     *
     * @param server where
     * @param connections how many connections
     * @param messageSize bytes per message
     * @param threads client threads
     */
    public EchoLoad(InetSocketAddress server, int connections, int messageSize, int threads) {
        this(server, connections, messageSize, threads, false);
    }

    /**
     * Configures a load.
     *
     * <p>How connections are shared among the client threads matters more than it seems. A server
     * that deals accepted connections to its event loops round robin (Netty, one loop per core) and
     * a client that deals them to its threads round robin too, with an even number of threads, pair
     * up: each server loop then hears from one client thread only, the two ping-pong on a core, and
     * the server's tail latency looks several times better than with any other client layout. So the
     * default is contiguous blocks (thread {@code t} drives connections {@code [t*n/T, (t+1)*n/T)}),
     * which lines up with no server's hand-out; {@code roundRobin} reproduces the aligned layout.
     *
     * @param server where
     * @param connections how many connections
     * @param messageSize bytes per message
     * @param threads client threads
     * @param roundRobin deal connection {@code i} to thread {@code i % threads} instead of in blocks
     */
    public EchoLoad(InetSocketAddress server, int connections, int messageSize, int threads, boolean roundRobin) {
        this.server = server;
        this.connections = connections;
        this.messageSize = messageSize;
        this.threads = Math.min(threads, connections);
        this.roundRobin = roundRobin;
    }

    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer out;
        final ByteBuffer in;
        long sentAt;
        int trips;

        Conn(SocketChannel ch, int size) {
            this.ch = ch;
            this.out = ByteBuffer.allocateDirect(size);
            this.in = ByteBuffer.allocateDirect(size);
            for (int i = 0; i < size; i++) {
                out.put((byte) i);
            }
            out.flip();
        }
    }

    private final class Worker implements Runnable {
        final List<Conn> conns = new ArrayList<>();
        final Selector selector;
        final AtomicBoolean stop;
        volatile boolean recording;
        long[] rtts = new long[1 << 16];
        int count;
        long errors;

        Worker(AtomicBoolean stop) throws IOException {
            this.stop = stop;
            this.selector = Selector.open();
        }

        void record(long nanos) {
            if (count == rtts.length) {
                rtts = Arrays.copyOf(rtts, rtts.length * 2);
            }
            rtts[count++] = nanos;
        }

        void send(Conn c) throws IOException {
            c.out.rewind();
            c.in.clear();
            c.sentAt = System.nanoTime();
            c.ch.write(c.out);
            SelectionKey k = c.ch.keyFor(selector);
            k.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
        }

        @Override
        public void run() {
            try {
                for (Conn c : conns) {
                    c.ch.register(selector, 0, c);
                    send(c);
                }
                while (!stop.get()) {
                    selector.select(k -> {
                        Conn c = (Conn) k.attachment();
                        try {
                            if (k.isWritable() && c.out.hasRemaining()) {
                                c.ch.write(c.out);
                                if (!c.out.hasRemaining()) {
                                    k.interestOps(SelectionKey.OP_READ);
                                }
                            }
                            if (k.isReadable()) {
                                int n = c.ch.read(c.in);
                                if (n < 0) {
                                    throw new IOException("server closed the connection");
                                }
                                if (!c.in.hasRemaining()) {
                                    if (recording) {
                                        record(System.nanoTime() - c.sentAt);
                                        c.trips++;
                                    }
                                    send(c);
                                }
                            }
                        } catch (IOException e) {
                            errors++;
                            k.cancel();
                        }
                    }, 100);
                }
            } catch (IOException e) {
                errors++;
            } finally {
                for (Conn c : conns) {
                    try {
                        c.ch.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                try {
                    selector.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /**
     * Connects, warms up, measures.
     *
     * @param warmupMillis warm-up
     * @param measureMillis measurement
     * @return the figures
     * @throws Exception if connecting fails
     */
    public Result run(long warmupMillis, long measureMillis) throws Exception {
        return run(warmupMillis, measureMillis, () -> -1);
    }

    /**
     * Connects, warms up, measures, and reads the server's CPU time around the measurement.
     *
     * @param warmupMillis warm-up
     * @param measureMillis measurement
     * @param serverCpuNanos the server's cumulative CPU time, or -1 if unknown
     * @return the figures
     * @throws Exception if connecting fails
     */
    public Result run(long warmupMillis, long measureMillis, java.util.function.LongSupplier serverCpuNanos) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Worker> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(new Worker(stop));
        }
        for (int i = 0; i < connections; i++) {
            SocketChannel ch = SocketChannel.open(server);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            int t = roundRobin ? i % threads : (int) ((long) i * threads / connections);
            workers.get(t).conns.add(new Conn(ch, messageSize));
        }
        List<Thread> running = new ArrayList<>();
        for (Worker w : workers) {
            running.add(Thread.ofPlatform().name("echo-load").start(w));
        }
        Thread.sleep(warmupMillis);
        long cpu0 = serverCpuNanos.getAsLong();
        long t0 = System.nanoTime();
        for (Worker w : workers) {
            w.recording = true;
        }
        Thread.sleep(measureMillis);
        for (Worker w : workers) {
            w.recording = false;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long cpu1 = serverCpuNanos.getAsLong();
        long cpu = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
        stop.set(true);
        for (Thread t : running) {
            t.join();
        }
        int total = workers.stream().mapToInt(w -> w.count).sum();
        long[] all = new long[total];
        int at = 0;
        long errors = 0;
        for (Worker w : workers) {
            System.arraycopy(w.rtts, 0, all, at, w.count);
            at += w.count;
            errors += w.errors;
        }
        Arrays.sort(all);
        if (Boolean.getBoolean("echo.ladder")) { // experiments: the shape of the tail, in microseconds
            StringBuilder b = new StringBuilder("   latency ladder (us):");
            for (double p : new double[] {0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999}) {
                b.append(String.format(" p%s=%d", p * 100, pct(all, p) / 1000));
            }
            System.out.println(b);
            System.out.println(fairness(workers));
        }
        return new Result(total, seconds, pct(all, 0.50), pct(all, 0.99), pct(all, 0.999), errors, cpu);
    }

    /**
     * How evenly the connections were served: round trips per connection over the measurement (a
     * server that favours some connections spreads them; at 1,024 connections the coefficient of
     * variation was 0.015-0.046 for Weft, 0.14-0.21 for the JDK's poller), and each client thread's p50 and p99.
     */
    private static String fairness(List<Worker> workers) {
        int[] trips = workers.stream().flatMap(w -> w.conns.stream()).mapToInt(c -> c.trips).sorted().toArray();
        double mean = Arrays.stream(trips).average().orElse(0);
        double sd = Math.sqrt(Arrays.stream(trips).mapToDouble(x -> (x - mean) * (x - mean)).average().orElse(0));
        StringBuilder f = new StringBuilder(String.format(Locale.ROOT, "   trips per connection: min %d p1 %d p50 %d"
            + " p99 %d max %d cv %.3f; per client thread p50/p99 (us):", trips[0], trips[trips.length / 100],
            trips[trips.length / 2], trips[trips.length * 99 / 100], trips[trips.length - 1], sd / mean));
        for (Worker w : workers) {
            long[] mine = Arrays.copyOf(w.rtts, w.count);
            Arrays.sort(mine);
            f.append(String.format(Locale.ROOT, " %d/%d", pct(mine, 0.5) / 1000, pct(mine, 0.99) / 1000));
        }
        return f.toString();
    }

    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
