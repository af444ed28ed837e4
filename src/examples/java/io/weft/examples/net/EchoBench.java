package io.weft.examples.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/demo echo-bench}: the echo benchmark. Starts each echo server of {@link EchoServers}
 * in a JVM of its own (two workers each), drives it with {@link EchoLoad} from this JVM, and prints
 * round trips per second, round-trip percentiles and the server's CPU time per round trip, Weft vs
 * the JDK's own poller vs Netty, same run.
 *
 * <p>Options: {@code --rounds N} (default 3; servers alternate within a round), {@code --conns 64,1024},
 * {@code --seconds S} (measurement, default 5), {@code --warmup S} (default 10, see below),
 * {@code --size BYTES} (default 64),
 * {@code --client-threads N} (default 2), {@code --client-assign blocks|rr} (how connections are
 * dealt to the client threads, default {@code blocks}; {@code rr}, round robin, pairs each client
 * thread with one Netty event loop: see {@link EchoLoad#EchoLoad(InetSocketAddress, int, int, int, boolean)}),
 * {@code --servers weft,jdk,netty} (also {@code weft-driver}:
 * Weft with only the driver thread polling the selector; and {@code server+name=value+...}, the same
 * server with those system properties, e.g. {@code weft+weft.io.driver=selector}; a part starting with
 * {@code -} is a JVM option). Writes the table to
 * {@code target/echo-bench.md} too. With more than one round it adds the same figures paired by
 * round (see {@link #paired}), the ones to quote on a noisy machine.
 *
 * <p>The warm-up is long because the virtual-thread servers reach their steady state late: each of
 * their connection tasks starts, and parks, before its loop is compiled, and its frame runs
 * interpreted (freezing and thawing it on the JDK's slow paths) until it moves to compiled code at a
 * loop back-edge. At 1,024 connections a profile still shows that cost 4-7 s into a run and mostly
 * gone 14-17 s in (docs/benchmarks.md). Netty is warmed the same.
 *
 * <p>For a closer look, {@code WEFT_DEMO_JVM_OPTS=-Decho.ladder=true} prints after each run the
 * latency ladder (p50 to p99.9), how evenly the connections were served (round trips per
 * connection: spread and coefficient of variation) and each client thread's p50 and p99.
 */
public final class EchoBench {
    private EchoBench() {}

    /**
     * Entry point.
     *
     * @param args options
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int rounds = 3;
        int[] conns = {64, 1024};
        int seconds = 5;
        int warmup = 10;
        int size = 64;
        int clientThreads = 2;
        boolean roundRobin = false;
        List<String> servers = List.of("weft", "jdk", "netty");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--conns" -> conns = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--client-threads" -> clientThreads = Integer.parseInt(args[++i]);
                case "--servers" -> servers = List.of(args[++i].split(","));
                case "--client-assign" -> roundRobin = switch (args[++i]) {
                    case "rr" -> true;
                    case "blocks" -> false;
                    default -> throw new IllegalArgumentException("--client-assign takes blocks or rr, not " + args[i]);
                };
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                    + " (--rounds, --conns, --seconds, --warmup, --size, --client-threads, --client-assign, --servers)");
            }
        }
        System.out.printf("echo benchmark: %s, %s connections, %d-byte messages, %d round(s) of %d s warm-up + %d s,"
            + " %d client threads (connections dealt %s), %d cores%n", servers, Arrays.toString(conns), size, rounds,
            warmup, seconds, clientThreads, roundRobin ? "round robin" : "in blocks", java.lang.Runtime.getRuntime().availableProcessors());
        Map<String, List<EchoLoad.Result>> results = new LinkedHashMap<>();
        for (int c : conns) {
            for (String s : servers) {
                results.put(key(s, c), new ArrayList<>());
            }
        }
        for (int r = 1; r <= rounds; r++) {
            for (int c : conns) {
                for (String s : servers) {
                    EchoLoad.Result res = runOne(s, c, size, clientThreads, roundRobin, warmup, seconds);
                    results.get(key(s, c)).add(res);
                    System.out.printf(Locale.ROOT, "round %d  %-6s %5d conns  %,10.0f round trips/s  p50 %7.1f us"
                        + "  p99 %8.1f us  p99.9 %8.1f us  server CPU %5.1f us/trip, %4.2f cores%s%n", r, s, c,
                        res.perSecond(), res.p50Nanos() / 1e3, res.p99Nanos() / 1e3, res.p999Nanos() / 1e3,
                        res.serverCpuMicrosPerTrip(), res.serverCores(), res.errors() > 0 ? "  errors " + res.errors() : "");
                }
            }
        }
        String table = table(results, conns, servers, rounds);
        System.out.println();
        System.out.println(table);
        Path out = Path.of("target", "echo-bench.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
        System.out.println("(also written to " + out + ")");
    }

    private static String key(String server, int conns) {
        return server + "/" + conns;
    }

    static String table(Map<String, List<EchoLoad.Result>> results, int[] conns, List<String> servers, int rounds) {
        StringBuilder sb = new StringBuilder();
        sb.append("| connections | server | round trips/s (median) | p50 µs | p99 µs | p99.9 µs | server CPU µs/trip | vs JDK poller | vs Netty |\n");
        sb.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int c : conns) {
            double jdk = median(results.get(key("jdk", c)), EchoLoad.Result::perSecond);
            double netty = median(results.get(key("netty", c)), EchoLoad.Result::perSecond);
            for (String s : servers) {
                List<EchoLoad.Result> rs = results.get(key(s, c));
                double tput = median(rs, EchoLoad.Result::perSecond);
                sb.append(String.format(Locale.ROOT, "| %d | %s | %,.0f | %.0f | %.0f | %.0f | %.1f | %s | %s |%n", c, s, tput,
                    median(rs, r -> r.p50Nanos() / 1e3), median(rs, r -> r.p99Nanos() / 1e3),
                    median(rs, r -> r.p999Nanos() / 1e3), median(rs, EchoLoad.Result::serverCpuMicrosPerTrip),
                    ratio(tput, jdk), ratio(tput, netty)));
            }
        }
        sb.append(String.format(Locale.ROOT, "%nMedians over %d round(s); ratios are throughput, above 1 = faster. Server CPU"
            + " is the server process's CPU time over the measurement, per round trip.%n", rounds));
        if (rounds > 1) {
            sb.append(paired(results, conns, servers));
        }
        return sb.toString();
    }

    /**
     * The same figures paired by round: each round runs every server back to back, so a swing of the
     * whole machine between rounds (this one moves every server by 10-20 %) cancels out of a round's
     * ratio. For every server but the two baselines: its throughput over the JDK poller's and over
     * Netty's, round by round and their median; its p99 over the lower of the baselines' p99s; and in
     * how many rounds its p99 was the lowest (below every baseline that ran).
     */
    static String paired(Map<String, List<EchoLoad.Result>> results, int[] conns, List<String> servers) {
        StringBuilder sb = new StringBuilder();
        sb.append("\nPaired by round:\n\n");
        sb.append("| connections | server | throughput vs JDK poller, by round | median | vs Netty, by round | median"
            + " | p99 over the lower baseline's, by round | rounds with the lowest p99 |\n");
        sb.append("|---:|---|---|---:|---|---:|---|---:|\n");
        for (int c : conns) {
            List<EchoLoad.Result> jdk = results.get(key("jdk", c));
            List<EchoLoad.Result> netty = results.get(key("netty", c));
            for (String s : servers) {
                if (s.equals("jdk") || s.equals("netty")) {
                    continue;
                }
                List<EchoLoad.Result> rs = results.get(key(s, c));
                double[] vsJdk = roundRatios(rs, jdk, EchoLoad.Result::perSecond);
                double[] vsNetty = roundRatios(rs, netty, EchoLoad.Result::perSecond);
                double[] p99 = new double[rs.size()];
                int below = 0;
                int compared = 0;
                for (int i = 0; i < rs.size(); i++) {
                    double best = lower(at(jdk, i, EchoLoad.Result::p99Nanos), at(netty, i, EchoLoad.Result::p99Nanos));
                    p99[i] = rs.get(i).p99Nanos() / best; // NaN when neither baseline ran this round
                    if (!Double.isNaN(p99[i])) {
                        compared++;
                        below += p99[i] < 1 ? 1 : 0;
                    }
                }
                sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s |%n", c, s, list(vsJdk),
                    fmt(median(vsJdk)), list(vsNetty), fmt(median(vsNetty)), list(p99),
                    compared == 0 ? "–" : below + " of " + compared));
            }
        }
        return sb.toString();
    }

    /** {@code a[i] / b[i]} for each round {@code i} both ran (NaN for a round {@code b} lacks). */
    static double[] roundRatios(List<EchoLoad.Result> a, List<EchoLoad.Result> b,
            java.util.function.ToDoubleFunction<EchoLoad.Result> f) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a.get(i)) / at(b, i, f);
        }
        return out;
    }

    private static double at(List<EchoLoad.Result> rs, int i, java.util.function.ToDoubleFunction<EchoLoad.Result> f) {
        return rs == null || i >= rs.size() ? Double.NaN : f.applyAsDouble(rs.get(i));
    }

    /** The lower of two figures, either of which may be missing (NaN); NaN if both are. */
    private static double lower(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.min(a, b);
    }

    /** The median of the values that are not NaN (NaN if there are none). */
    static double median(double[] values) {
        double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String list(double[] values) {
        StringBuilder sb = new StringBuilder();
        for (double v : values) {
            sb.append(sb.isEmpty() ? "" : ", ").append(fmt(v));
        }
        return sb.toString();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String ratio(double a, double b) {
        return b == 0 ? "–" : fmt(a / b); // a NaN either side stays NaN, which fmt shows as a dash
    }

    private static double median(List<EchoLoad.Result> rs, java.util.function.ToDoubleFunction<EchoLoad.Result> f) {
        if (rs == null || rs.isEmpty()) {
            return Double.NaN;
        }
        return median(rs.stream().mapToDouble(f).toArray());
    }

    static EchoLoad.Result runOne(String server, int conns, int size, int clientThreads, boolean roundRobin,
            int warmup, int seconds) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        // "weft+weft.io.driver=selector": the same server with system properties set; a part that
        // starts with "-" is a JVM option (e.g. "weft+-XX:StartFlightRecording=filename=w.jfr").
        String[] parts = server.split("\\+");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "-Djdk.virtualThreadScheduler.parallelism=" + EchoServers.WORKERS,
            "-Djdk.virtualThreadScheduler.maxPoolSize=" + EchoServers.WORKERS));
        for (int i = 1; i < parts.length; i++) {
            cmd.add(parts[i].startsWith("-") ? parts[i] : "-D" + parts[i]); // "-XX:..." goes in as it is
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), EchoServers.class.getName(), parts[0], "0"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int port = -1;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("listening on ")) {
                    port = Integer.parseInt(line.substring("listening on ".length()).trim());
                    break;
                }
                System.err.println("[" + server + "] " + line);
            }
            if (port < 0) {
                throw new IOException(server + " server did not start (exit " + p.waitFor() + ")");
            }
            Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> System.err.println("[" + server + "] " + l)));
            var load = new EchoLoad(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), conns, size, clientThreads,
                roundRobin);
            ProcessHandle serverProcess = p.toHandle();
            return load.run(warmup * 1_000L, seconds * 1_000L,
                () -> serverProcess.info().totalCpuDuration().map(d -> d.toNanos()).orElse(-1L));
        } finally {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
