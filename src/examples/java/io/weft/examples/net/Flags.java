package io.weft.examples.net;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command-line options for the example servers' {@code main} methods. */
final class Flags {
    private final Map<String, String> values = new HashMap<>();

    private Flags() {}

    /**
     * Parses {@code --name value} pairs.
     *
     * @throws IllegalArgumentException for an option not in {@code known} or one without a value
     */
    static Flags parse(String[] args, Set<String> known, String usage) {
        Flags f = new Flags();
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (!known.contains(name) || i + 1 >= args.length) {
                throw new IllegalArgumentException((known.contains(name) ? "missing value for " : "unknown option ")
                    + name + "\nusage: " + usage);
            }
            f.values.put(name, args[++i]);
        }
        return f;
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    int integer(String name, int fallback) {
        String v = values.get(name);
        return v == null ? fallback : Integer.parseInt(v.replace("_", ""));
    }

    /** A duration in seconds (fractions allowed); 0 means none. */
    Duration seconds(String name, Duration fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        long millis = Math.round(Double.parseDouble(v) * 1000);
        return millis <= 0 ? null : Duration.ofMillis(millis);
    }

    /** {@return a duration for people: "1.5 s", "none"} */
    static String human(Duration d) {
        if (d == null) {
            return "none";
        }
        double s = d.toMillis() / 1000.0;
        return (s == Math.rint(s) ? String.valueOf((long) s) : String.valueOf(s)) + " s";
    }

    /** {@code host:port}. */
    static InetSocketAddress hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected host:port, got " + s);
        }
        return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    }

    /** Prints a log line with the time of day, as the servers' {@code main} methods do. */
    static void log(String line) {
        System.out.println(java.time.LocalTime.now().withNano(0) + " " + line);
        System.out.flush();
    }
}
