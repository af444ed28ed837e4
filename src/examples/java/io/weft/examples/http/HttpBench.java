package io.weft.examples.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code scripts/demo http-bench}: the hello-world server on Weft and plain Helidon on the JDK default
 * scheduler, side by side, each in a JVM of its own, loaded in turn by {@link LoadGen} from this JVM.
 *
 * <p>Rounds alternate the order of the servers, so drift on a shared machine falls on both; the table
 * shows medians over the rounds and Weft's ratio to the JDK scheduler.
 *
 * <p>Options: {@code --connections 64,256}, {@code --duration S} (measured, per run; default 3),
 * {@code --warmup S} (default 1), {@code --rounds N} (default 3), {@code --threads N} (load generator
 * threads, default 2), {@code --workers N} (Weft carriers, default: processors),
 * {@code --servers weft,jdk} (add {@code weft-poller1}, {@code jdk-poller1}: the same with
 * {@code -Djdk.pollerMode=1}, the JDK's platform-thread socket pollers; {@code weft-pollers-on-weft}:
 * the JDK's virtual sub-pollers left to start on Weft's carriers, {@code -Dweft.jdkPollers=inherit};
 * {@code weft+weft.helidon.sockets=jdk}: Helidon's sockets on the JDK's poller instead of Weft's reactor).
 * A name may end in {@code +property=value} parts, set as system properties in that server's JVM
 * ({@code weft+weft.spinRounds=4}); {@code WEFT_BENCH_SERVER_JVM_OPTS} adds JVM options to every server.
 */
public final class HttpBench {
    private HttpBench() {}

    private static final Pattern LISTENING = Pattern.compile("Listening on http://([^:]+):(\\d+)");

    /** A server JVM. */
    private record Server(String name, Process process, int port) {}

    /**
     * Entry point.
     *
     * @param args the options above
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        List<Integer> connections = List.of(64, 256);
        double duration = 3;
        double warmup = 1;
        int rounds = 3;
        int threads = 2;
        int workers = java.lang.Runtime.getRuntime().availableProcessors();
        List<String> servers = List.of("weft", "jdk");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--connections", "-c" -> connections = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                case "--duration", "-d" -> duration = Double.parseDouble(args[++i]);
                case "--warmup" -> warmup = Double.parseDouble(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--threads", "-t" -> threads = Integer.parseInt(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--servers" -> servers = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        List<Server> started = new ArrayList<>();
        Thread cleanup = new Thread(() -> started.forEach(s -> s.process().destroyForcibly()));
        java.lang.Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            for (String name : servers) {
                started.add(startServer(name, workers));
            }
            System.out.printf("HTTP hello world, %d cores: %s; load generator: %d threads, keep-alive, no pipelining,"
                    + " %.0f s warm-up + %.0f s measured per run, %d rounds, server order alternating%n",
                java.lang.Runtime.getRuntime().availableProcessors(),
                String.join(", ", started.stream().map(s -> s.name() + " (port " + s.port() + ")").toList()),
                threads, warmup, duration, rounds);
            for (int c : connections) {
                Map<String, List<LoadGen.Result>> results = new LinkedHashMap<>();
                started.forEach(s -> results.put(s.name(), new ArrayList<>()));
                System.out.printf("%n-- %d connections%n", c);
                for (int round = 0; round < rounds; round++) {
                    List<Server> order = new ArrayList<>(started);
                    if (round % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (Server s : order) {
                        LoadGen.Result r = LoadGen.run(new InetSocketAddress("127.0.0.1", s.port()), "/", c, threads,
                            Duration.ofMillis((long) (warmup * 1000)), Duration.ofMillis((long) (duration * 1000)));
                        results.get(s.name()).add(r);
                        System.out.printf("   round %d %-22s %s%n", round + 1, s.name(), r.line());
                    }
                }
                printSummary(c, results);
            }
        } finally {
            for (Server s : started) {
                s.process().destroy();
            }
            for (Server s : started) {
                if (!s.process().waitFor(5, TimeUnit.SECONDS)) {
                    s.process().destroyForcibly();
                }
            }
            java.lang.Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static void printSummary(int connections, Map<String, List<LoadGen.Result>> results) {
        System.out.printf("   medians over %d rounds, %d connections:%n", results.values().iterator().next().size(), connections);
        System.out.printf("   %-22s %12s %10s %10s %10s%n", "server", "req/s", "p50 ms", "p99 ms", "p99.9 ms");
        for (var e : results.entrySet()) {
            List<LoadGen.Result> rs = e.getValue();
            System.out.printf("   %-22s %,12.0f %10.3f %10.3f %10.3f%n", e.getKey(),
                median(rs, LoadGen.Result::requestsPerSecond), median(rs, r -> r.ms(50)),
                median(rs, r -> r.ms(99)), median(rs, r -> r.ms(99.9)));
        }
        List<LoadGen.Result> weft = results.get("weft");
        List<LoadGen.Result> jdk = results.get("jdk");
        if (weft != null && jdk != null) {
            System.out.printf("   weft / jdk: req/s %.2fx, p99 %.2fx (below 1 is lower latency)%n",
                median(weft, LoadGen.Result::requestsPerSecond) / median(jdk, LoadGen.Result::requestsPerSecond),
                median(weft, r -> r.ms(99)) / median(jdk, r -> r.ms(99)));
            // Paired by round (the two runs of a round are seconds apart, so they share the machine's
            // mood): steadier than a ratio of medians when the machine is busy.
            double[] tput = new double[weft.size()];
            double[] p99 = new double[weft.size()];
            for (int i = 0; i < tput.length; i++) {
                tput[i] = weft.get(i).requestsPerSecond() / jdk.get(i).requestsPerSecond();
                p99[i] = weft.get(i).ms(99) / jdk.get(i).ms(99);
            }
            java.util.Arrays.sort(tput);
            java.util.Arrays.sort(p99);
            System.out.printf("   paired by round: req/s ratio median %.2f (%.2f-%.2f), p99 ratio median %.2f (%.2f-%.2f); weft ahead in %d of %d rounds%n",
                mid(tput), tput[0], tput[tput.length - 1], mid(p99), p99[0], p99[p99.length - 1],
                java.util.Arrays.stream(tput).filter(x -> x >= 1).count(), tput.length);
        }
    }

    private static double median(List<LoadGen.Result> rs, ToDoubleFunction<LoadGen.Result> f) {
        return mid(rs.stream().mapToDouble(f).sorted().toArray());
    }

    private static double mid(double[] sorted) {
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static String parts0(String name) {
        int plus = name.indexOf('+');
        return plus < 0 ? name : name.substring(0, plus);
    }

    /** Starts {@link HelloWorld} in a JVM of its own and waits for its "Listening on" line. */
    private static Server startServer(String name, int workers) throws IOException {
        String scheduler = name.startsWith("weft") ? "weft" : "jdk";
        List<String> cmd = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"));
        if (parts0(name).endsWith("-poller1")) {
            cmd.add("-Djdk.pollerMode=1");
        }
        if (parts0(name).endsWith("-pollers-on-weft")) {
            cmd.add("-Dweft.jdkPollers=inherit"); // the sub-pollers start in the first connection task
        }
        // "weft+weft.spinRounds=4+jdk.pollerMode=1": the same server with system properties set.
        String[] parts = name.split("\\+");
        for (int i = 1; i < parts.length; i++) {
            cmd.add("-D" + parts[i]);
        }
        String extra = System.getenv("WEFT_BENCH_SERVER_JVM_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HelloWorld.class.getName(),
            "--port", "0", "--workers", String.valueOf(workers), "--scheduler", scheduler));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = LISTENING.matcher(line);
            if (m.find()) {
                int port = Integer.parseInt(m.group(2));
                Thread.ofPlatform().daemon().name("drain-" + name).start(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the pipe from filling
                        }
                    } catch (IOException ignored) {
                        // the server exited
                    }
                });
                return new Server(name, p, port);
            }
        }
        p.destroyForcibly();
        throw new IOException("server '" + name + "' exited before listening:\n" + seen);
    }

}
