package io.weft.examples.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Weft's own HTTP/1.1 load generator, in the manner of {@code wrk}: a fixed number of keep-alive
 * connections, one request in flight on each (no pipelining), a warm-up, then a fixed measured window.
 *
 * <p>Each of {@code --threads} threads drives its share of the connections from one NIO selector, so
 * 256 connections cost no more threads than 64. Latency is the time from the request's first byte
 * written to the response's last byte read, recorded in an HdrHistogram (1 µs to 60 s, 3 significant
 * digits). Responses must carry {@code Content-Length}; a connection the server closes is reopened
 * and counted as an error.
 *
 * <p>{@code scripts/demo loadgen --port 3000 [--connections 64] [--threads 2] [--duration 5]
 * [--warmup 2] [--path /]}
 */
public final class LoadGen {
    private LoadGen() {}

    /** The outcome of one run. */
    public record Result(int connections, double seconds, long requests, long errors, long non2xx, Histogram latencyMicros) {
        /** {@return requests per second in the measured window} */
        public double requestsPerSecond() {
            return requests / seconds;
        }

        /** {@return the latency at {@code percentile}, in milliseconds} */
        public double ms(double percentile) {
            return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }

        /** {@return one line: throughput and percentiles} */
        public String line() {
            return String.format("%,10.0f req/s   p50 %7.3f ms   p99 %7.3f ms   p99.9 %7.3f ms   max %8.3f ms   errors %d, non-2xx %d",
                requestsPerSecond(), ms(50), ms(99), ms(99.9), latencyMicros.getMaxValue() / 1000.0, errors, non2xx);
        }
    }

    /**
     * Entry point.
     *
     * @param args {@code --host}, {@code --port}, {@code --path}, {@code --connections},
     *             {@code --threads}, {@code --duration} (s), {@code --warmup} (s)
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 3000;
        String path = "/";
        int connections = 64;
        int threads = 2;
        double duration = 5;
        double warmup = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> host = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--path" -> path = args[++i];
                case "--connections", "-c" -> connections = Integer.parseInt(args[++i]);
                case "--threads", "-t" -> threads = Integer.parseInt(args[++i]);
                case "--duration", "-d" -> duration = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.printf("loading http://%s:%d%s: %d connections, %d threads, %.0f s warm-up, %.0f s measured%n",
            host, port, path, connections, threads, warmup, duration);
        Result r = run(new InetSocketAddress(host, port), path, connections, threads,
            Duration.ofMillis((long) (warmup * 1000)), Duration.ofMillis((long) (duration * 1000)));
        System.out.println(r.line());
    }

    /**
     * Runs a load: warm-up, then the measured window.
     *
     * @param address the server
     * @param path the request path
     * @param connections keep-alive connections
     * @param threads selector threads
     * @param warmup unmeasured time first
     * @param duration the measured window
     * @return the result
     * @throws Exception if connecting fails or a thread fails
     */
    public static Result run(InetSocketAddress address, String path, int connections, int threads,
                             Duration warmup, Duration duration) throws Exception {
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString() + ":" + address.getPort()
            + "\r\nUser-Agent: weft-loadgen\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long measureTo = measureFrom + duration.toNanos();
        List<Driver> drivers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = connections / threads + (t < connections % threads ? 1 : 0);
            drivers.add(new Driver(address, request, share, measureFrom, measureTo));
        }
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < drivers.size(); t++) {
            running.add(Thread.ofPlatform().name("loadgen-" + t).start(drivers.get(t)));
        }
        for (Thread t : running) {
            t.join();
        }
        Histogram all = new Histogram(60_000_000L, 3);
        long requests = 0;
        long errors = 0;
        long non2xx = 0;
        for (Driver d : drivers) {
            if (d.failure != null) {
                throw new IOException("load generator thread failed: " + d.failure, d.failure);
            }
            all.add(d.histogram);
            requests += d.requests;
            errors += d.errors;
            non2xx += d.non2xx;
        }
        return new Result(connections, duration.toNanos() / 1e9, requests, errors, non2xx, all);
    }

    /** One selector thread and its connections. */
    private static final class Driver implements Runnable {
        final InetSocketAddress address;
        final byte[] request;
        final int connections;
        final long measureFrom;
        final long measureTo;
        final Histogram histogram = new Histogram(60_000_000L, 3); // only this driver's thread writes
        long requests;
        long errors;
        long non2xx;
        volatile Throwable failure;

        Driver(InetSocketAddress address, byte[] request, int connections, long measureFrom, long measureTo) {
            this.address = address;
            this.request = request;
            this.connections = connections;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
        }

        @Override
        public void run() {
            try (Selector selector = Selector.open()) {
                for (int i = 0; i < connections; i++) {
                    open(selector);
                }
                while (true) {
                    long now = System.nanoTime();
                    if (now - measureTo >= 0) {
                        break;
                    }
                    selector.select(Math.max(1, (measureTo - now) / 1_000_000));
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey key = it.next();
                        it.remove();
                        Conn c = (Conn) key.attachment();
                        try {
                            if (key.isValid() && key.isWritable()) {
                                c.write(key);
                            }
                            if (key.isValid() && key.isReadable()) {
                                c.read(key);
                            }
                        } catch (IOException e) {
                            errors++;
                            key.cancel();
                            c.channel.close();
                            open(selector);
                        }
                    }
                }
                for (SelectionKey k : selector.keys()) {
                    k.channel().close();
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        private void open(Selector selector) throws IOException {
            SocketChannel ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(address); // blocking connect: loopback, once per connection
            ch.configureBlocking(false);
            Conn c = new Conn(ch);
            SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE, c);
            c.send(key);
        }

        /** A connection: one request in flight, its response accumulated in {@code in}. */
        private final class Conn {
            final SocketChannel channel;
            final ByteBuffer out = ByteBuffer.wrap(request);
            ByteBuffer in = ByteBuffer.allocate(4096);
            long sentAt;

            Conn(SocketChannel channel) {
                this.channel = channel;
            }

            void send(SelectionKey key) throws IOException {
                out.clear();
                in.clear();
                sentAt = System.nanoTime();
                write(key);
            }

            void write(SelectionKey key) throws IOException {
                channel.write(out);
                key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }

            void read(SelectionKey key) throws IOException {
                if (!in.hasRemaining()) {
                    ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
                    in.flip();
                    bigger.put(in);
                    in = bigger;
                }
                int n = channel.read(in);
                if (n < 0) {
                    throw new IOException("server closed the connection");
                }
                int status = complete();
                if (status == 0) {
                    return; // not all of it yet
                }
                long now = System.nanoTime();
                if (now - measureFrom >= 0 && now - measureTo < 0) {
                    requests++;
                    if (status < 200 || status > 299) {
                        non2xx++;
                    }
                    histogram.recordValue(Math.max(1, Math.min((now - sentAt) / 1000, 60_000_000L)));
                }
                send(key);
            }

            /** {@return the status once the whole response is in {@code in}, else 0} */
            int complete() throws IOException {
                byte[] a = in.array();
                int len = in.position();
                int end = -1;
                for (int i = 3; i < len; i++) {
                    if (a[i] == '\n' && a[i - 1] == '\r' && a[i - 2] == '\n' && a[i - 3] == '\r') {
                        end = i + 1;
                        break;
                    }
                }
                if (end < 0) {
                    return 0;
                }
                String head = new String(a, 0, end, StandardCharsets.ISO_8859_1);
                int contentLength = -1;
                int lineStart = head.indexOf("\r\n") + 2;
                while (lineStart < end - 2) {
                    int lineEnd = head.indexOf("\r\n", lineStart);
                    if (head.regionMatches(true, lineStart, "content-length:", 0, 15)) {
                        contentLength = Integer.parseInt(head.substring(lineStart + 15, lineEnd).trim());
                    }
                    lineStart = lineEnd + 2;
                }
                if (contentLength < 0) {
                    throw new IOException("response without Content-Length: " + head.lines().findFirst().orElse(""));
                }
                if (len - end < contentLength) {
                    return 0;
                }
                if (len - end > contentLength) {
                    throw new IOException("more bytes than one response: the server pipelined?");
                }
                return Integer.parseInt(head.substring(9, 12));
            }
        }
    }
}
