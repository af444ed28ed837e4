package io.weft.bench.report;

import io.weft.bench.BenchExecutor;
import io.weft.bench.BenchSection;
import io.weft.bench.PerOp;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a JMH JSON result into {@code docs/benchmarks.md} (one section and table per benchmark class)
 * and one SVG bar chart per class ({@code docs/bench-<chart>.svg}). Run by {@code scripts/bench}.
 *
 * <p>Scores are per invocation (a batch) in JMH; the tables divide by {@link PerOp#count()} to show
 * nanoseconds per spawn, yield or round trip, with JMH's 99.9 % confidence half-width when it has one.
 *
 * <p>Merging: the Markdown file keeps whatever comes before the first {@code <!-- bench:begin ... -->}
 * marker (a hand-written preamble) and every section of a class this run did not measure; the sections
 * of the classes in this run are replaced, or appended if new. So a later {@code SyncMpscBench} adds its
 * own section next to the runtime one.
 *
 * <pre>
 * usage: BenchReport --json target/jmh-rt.json --md docs/benchmarks.md --svg-dir docs
 *                    --command "scripts/bench --quick" [--jmh "org.openjdk.jmh.Main …"] [--selection REGEX]
 *                    [--load "0.52 0.61 0.40"] [--rev "abc1234"]
 * </pre>
 */
public final class BenchReport {
    private static final String BEGIN = "<!-- bench:begin ";
    private static final String END = "<!-- bench:end ";
    private static final List<String> EXECUTOR_ORDER =
        List.of(BenchExecutor.WEFT, BenchExecutor.JDK_VIRTUAL, BenchExecutor.PLATFORM_POOL);
    private static final Map<String, String> EXECUTOR_LABEL = Map.of(
        BenchExecutor.WEFT, "Weft",
        BenchExecutor.JDK_VIRTUAL, "JDK virtual",
        BenchExecutor.PLATFORM_POOL, "platform pool");
    private static final Map<String, String> EXECUTOR_COLOR = Map.of(
        BenchExecutor.WEFT, "#2b6cb0",
        BenchExecutor.JDK_VIRTUAL, "#dd8a2b",
        BenchExecutor.PLATFORM_POOL, "#8c8c8c");

    private BenchReport() {}

    /** One (benchmark, executor) result, scaled to nanoseconds per unit. */
    record Cell(double ns, double errNs, long stalls, long batches) {}

    /** One benchmark method: its cells by executor. */
    record Row(String method, PerOp perOp, Map<String, Cell> cells) {
        String tokioName() {
            return snake(method);
        }

        String unit() {
            return perOp != null ? perOp.unit() : "op";
        }
    }

    /** One benchmark class's results, plus what the run looked like. */
    record Section(String className, BenchSection meta, List<Row> rows, List<String> executors,
                   Map<String, Object> sample) {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        Path json = Path.of(req(opt, "json"));
        Path md = Path.of(req(opt, "md"));
        Path svgDir = Path.of(opt.getOrDefault("svg-dir", md.getParent() == null ? "." : md.getParent().toString()));
        List<Section> sections = read(json);
        if (sections.isEmpty()) {
            throw new IllegalStateException(json + " holds no results");
        }
        Files.createDirectories(svgDir);
        Map<String, String> rendered = new LinkedHashMap<>();
        for (Section s : sections) {
            String chartFile = "bench-" + s.meta().chart() + ".svg";
            Files.writeString(svgDir.resolve(chartFile), svg(s));
            Path rel = md.toAbsolutePath().getParent().relativize(svgDir.toAbsolutePath().resolve(chartFile));
            rendered.put(s.className(), markdown(s, rel.toString(), opt));
            System.out.println("wrote " + svgDir.resolve(chartFile));
        }
        Files.createDirectories(md.toAbsolutePath().getParent());
        Files.writeString(md, merge(Files.exists(md) ? Files.readString(md) : null, rendered));
        System.out.println("wrote " + md);
        for (Section s : sections) {
            System.out.println();
            System.out.print(table(s));
        }
    }

    private static String req(Map<String, String> opt, String k) {
        String v = opt.get(k);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + k);
        }
        return v;
    }

    // ---- reading ----------------------------------------------------------------------------------

    static List<Section> read(Path json) throws IOException {
        Map<String, Map<String, Map<String, Cell>>> byClass = new LinkedHashMap<>();
        Map<String, Map<String, Object>> samples = new LinkedHashMap<>();
        Map<String, List<String>> executors = new LinkedHashMap<>();
        for (Object o : Json.arr(Json.parse(Files.readString(json)))) {
            Map<String, Object> r = Json.obj(o);
            String bench = (String) r.get("benchmark");
            int dot = bench.lastIndexOf('.');
            String cls = bench.substring(0, dot);
            String method = bench.substring(dot + 1);
            String executor = String.valueOf(Json.obj(r.get("params")).getOrDefault("executor", "-"));
            PerOp perOp = perOp(cls, method);
            int count = perOp != null ? perOp.count() : 1;
            Map<String, Object> pm = Json.obj(r.get("primaryMetric"));
            double toNs = nsPer(String.valueOf(pm.get("scoreUnit"))) / count;
            Map<String, Object> sec = Json.obj(r.get("secondaryMetrics"));
            Cell cell = new Cell(Json.num(pm.get("score")) * toNs, Json.num(pm.get("scoreError")) * toNs,
                rawSum(sec.get("stalls")), rawSum(sec.get("batches")));
            byClass.computeIfAbsent(cls, k -> new LinkedHashMap<>())
                .computeIfAbsent(method, k -> new LinkedHashMap<>()).put(executor, cell);
            samples.putIfAbsent(cls, r);
            List<String> ex = executors.computeIfAbsent(cls, k -> new ArrayList<>());
            if (!ex.contains(executor)) {
                ex.add(executor);
            }
        }
        List<Section> out = new ArrayList<>();
        for (var e : byClass.entrySet()) {
            List<Row> rows = new ArrayList<>();
            for (var m : e.getValue().entrySet()) {
                rows.add(new Row(m.getKey(), perOp(e.getKey(), m.getKey()), m.getValue()));
            }
            rows.sort((a, b) -> {
                int oa = a.perOp() != null ? a.perOp().order() : Integer.MAX_VALUE;
                int ob = b.perOp() != null ? b.perOp().order() : Integer.MAX_VALUE;
                return oa != ob ? Integer.compare(oa, ob) : a.method().compareTo(b.method());
            });
            List<String> ex = executors.get(e.getKey());
            ex.sort((a, b) -> Integer.compare(order(a), order(b)));
            out.add(new Section(e.getKey(), section(e.getKey()), rows, ex, samples.get(e.getKey())));
        }
        return out;
    }

    private static int order(String executor) {
        int i = EXECUTOR_ORDER.indexOf(executor);
        return i < 0 ? EXECUTOR_ORDER.size() : i;
    }

    /** Sums an {@code EVENTS} aux counter over every iteration of every fork. */
    private static long rawSum(Object metric) {
        long sum = 0;
        for (Object fork : Json.arr(Json.obj(metric).get("rawData"))) {
            for (Object v : Json.arr(fork)) {
                double d = Json.num(v);
                if (!Double.isNaN(d)) {
                    sum += Math.round(d);
                }
            }
        }
        return sum;
    }

    private static double nsPer(String unit) {
        return switch (unit) {
            case "ns/op" -> 1;
            case "us/op" -> 1e3;
            case "ms/op" -> 1e6;
            case "s/op" -> 1e9;
            default -> throw new IllegalArgumentException("unsupported score unit " + unit + " (use AverageTime)");
        };
    }

    private static PerOp perOp(String cls, String method) {
        try {
            for (Method m : Class.forName(cls).getMethods()) {
                if (m.getName().equals(method) && m.isAnnotationPresent(PerOp.class)) {
                    return m.getAnnotation(PerOp.class);
                }
            }
        } catch (ClassNotFoundException e) {
            // Rendering a result from another build: fall back to per-invocation figures.
        }
        return null;
    }

    private static BenchSection section(String cls) {
        try {
            BenchSection s = Class.forName(cls).getAnnotation(BenchSection.class);
            if (s != null) {
                return s;
            }
        } catch (ClassNotFoundException e) {
            // fall through
        }
        String simple = cls.substring(cls.lastIndexOf('.') + 1);
        return new BenchSection() {
            @Override public String title() { return simple; }
            @Override public String chart() { return simple.toLowerCase(Locale.ROOT); }
            @Override public String source() { return ""; }
            @Override public String summary() { return ""; }
            @Override public Class<BenchSection> annotationType() { return BenchSection.class; }
        };
    }

    /** {@code spawnManyRemoteBusy1} to Tokio's {@code spawn_many_remote_busy1}. */
    static String snake(String camel) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < camel.length(); i++) {
            char c = camel.charAt(i);
            if (i > 0 && Character.isUpperCase(c)) {
                b.append('_');
            }
            b.append(Character.toLowerCase(c));
        }
        return b.toString();
    }

    // ---- Markdown ----------------------------------------------------------------------------------

    static String table(Section s) {
        StringBuilder b = new StringBuilder();
        b.append("| benchmark | per |");
        for (String e : s.executors()) {
            b.append(' ').append(label(e)).append(" ns |");
        }
        boolean ratio = s.executors().contains(BenchExecutor.WEFT) && s.executors().contains(BenchExecutor.JDK_VIRTUAL);
        if (ratio) {
            b.append(" Weft / JDK |");
        }
        b.append("\n|---|---|");
        b.append("---:|".repeat(s.executors().size()));
        if (ratio) {
            b.append("---:|");
        }
        b.append('\n');
        for (Row r : s.rows()) {
            b.append("| `").append(r.tokioName()).append("` | ").append(r.unit()).append(" |");
            for (String e : s.executors()) {
                b.append(' ').append(cellText(r.cells().get(e))).append(" |");
            }
            if (ratio) {
                Cell w = r.cells().get(BenchExecutor.WEFT);
                Cell j = r.cells().get(BenchExecutor.JDK_VIRTUAL);
                String text;
                if (w == null || j == null || !(j.ns() > 0)) {
                    text = "–";
                } else if (j.stalls() > 0 || w.stalls() > 0) {
                    text = "– (" + (w.stalls() > 0 ? "Weft" : "JDK") + " stalled)";
                } else {
                    text = String.format(Locale.ROOT, "%.2f", w.ns() / j.ns());
                }
                b.append(' ').append(text).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static String cellText(Cell c) {
        if (c == null) {
            return "–";
        }
        String t = fmt(c.ns());
        if (!Double.isNaN(c.errNs())) {
            t += " ± " + fmt(c.errNs());
        }
        if (c.stalls() > 0) {
            t += " **stalled " + c.stalls() + " of " + c.batches() + " batches**";
        }
        return t;
    }

    static String fmt(double ns) {
        if (Double.isNaN(ns)) {
            return "NaN";
        }
        if (ns >= 100) {
            return String.format(Locale.ROOT, "%,.0f", ns);
        }
        if (ns >= 10) {
            return String.format(Locale.ROOT, "%.1f", ns);
        }
        return String.format(Locale.ROOT, "%.2f", ns);
    }

    private static String label(String executor) {
        return EXECUTOR_LABEL.getOrDefault(executor, executor);
    }

    static String markdown(Section s, String chartPath, Map<String, String> opt) {
        BenchSection meta = s.meta();
        Map<String, Object> r = s.sample();
        StringBuilder b = new StringBuilder();
        b.append(BEGIN).append(s.className()).append(" -->\n");
        b.append("## ").append(meta.title()).append("\n\n");
        String simpleName = s.className().substring(s.className().lastIndexOf('.') + 1);
        b.append("Generated by `scripts/bench` from `").append(simpleName).append("`");
        if (!meta.source().isEmpty()) {
            b.append(", a port of Tokio's `").append(meta.source()).append('`');
        }
        b.append(". Do not edit by hand: the next run replaces this section.\n\n");
        if (!meta.summary().isEmpty()) {
            b.append(meta.summary()).append("\n\n");
        }
        String selection = opt.get("selection");
        if (selection != null && !selection.isEmpty()) {
            b.append("**Partial run**: only benchmarks matching `").append(selection).append("`.\n\n");
        }
        b.append("Nanoseconds per unit of work (lower is better), ± the 99.9 % confidence half-width where JMH "
            + "could compute one. Weft / JDK below 1 means Weft is faster.\n\n");
        b.append(table(s)).append('\n');
        b.append("![").append(meta.title()).append(": ns per unit, log scale](").append(chartPath).append(")\n\n");
        b.append("What each benchmark does:\n\n");
        for (Row row : s.rows()) {
            b.append("- `").append(row.tokioName()).append("` (`").append(row.method()).append("`)");
            if (row.perOp() != null) {
                if (!row.perOp().what().isEmpty()) {
                    b.append(": ").append(row.perOp().what());
                }
                b.append("; one op = ").append(String.format(Locale.ROOT, "%,d", row.perOp().count())).append(' ')
                    .append(row.perOp().unit()).append(row.perOp().count() == 1 ? "" : "s").append('.');
                if (!row.perOp().note().isEmpty()) {
                    b.append(' ').append(row.perOp().note());
                }
            }
            b.append('\n');
        }
        b.append('\n');
        b.append("Run:\n\n");
        b.append("- command: `").append(opt.getOrDefault("command", "scripts/bench")).append("`\n");
        if (opt.containsKey("jmh")) {
            b.append("- JMH invocation: `java -cp … ").append(opt.get("jmh")).append("`\n");
        }
        b.append("- JMH ").append(r.get("jmhVersion")).append(", mode ").append(r.get("mode")).append(", ")
            .append(intOf(r.get("forks"))).append(" fork(s) per executor, ")
            .append(intOf(r.get("warmupIterations"))).append(" × ").append(r.get("warmupTime")).append(" warm-up, ")
            .append(intOf(r.get("measurementIterations"))).append(" × ").append(r.get("measurementTime"))
            .append(" measurement\n");
        List<String> jvmArgs = Json.arr(r.get("jvmArgs")).stream().map(String::valueOf).toList();
        b.append("- fork JVM flags: `").append(String.join(" ", jvmArgs)).append("`\n");
        b.append("- JDK: ").append(r.get("jdkVersion")).append(" (").append(r.get("vmName")).append(' ')
            .append(r.get("vmVersion")).append(")\n");
        b.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs (nproc), ")
            .append(cpuModel()).append(", ").append(System.getProperty("os.name")).append(' ')
            .append(System.getProperty("os.version")).append('\n');
        if (opt.containsKey("rev")) {
            b.append("- Weft: commit ").append(opt.get("rev")).append('\n');
        }
        if (opt.containsKey("load")) {
            b.append("- load average before the run: ").append(opt.get("load")).append('\n');
        }
        String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        b.append("- date: ").append(opt.getOrDefault("date", now)).append('\n');
        b.append('\n').append(END).append(s.className()).append(" -->\n");
        return b.toString();
    }

    private static String intOf(Object o) {
        double d = Json.num(o);
        return Double.isNaN(d) ? String.valueOf(o) : String.valueOf((long) d);
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static final String DEFAULT_PREAMBLE = """
        # Benchmarks

        Weft's JMH benchmarks, ported from Tokio's `benches/`, each run on three executors with two workers:
        Weft's own carriers (`weft`), the JDK default virtual-thread scheduler at parallelism 2 (`jdk-virtual`)
        and `Executors.newFixedThreadPool(2)` (`platform-pool`).

        Reproduce with `scripts/bench` (full: 3 forks, 5 × 1 s warm-up, 5 × 1 s measurement per executor) or
        `scripts/bench --quick` (1 fork, 2 × 1 s, 3 × 1 s: indicative only). `scripts/bench --quick ping_pong`
        runs the benchmarks matching a regex (underscores optional, case ignored) and writes its report under
        `target/` instead of here.

        How to read the figures: the machines these run on have 2 cores and other work on them. Figures move
        20-30 % between JVMs (design notes, section 4), so compare executors within one table (one run), and
        trust ratios more than absolute nanoseconds. Quick runs have too few iterations for a confidence
        interval on some rows.

        <!-- Everything above the first "bench:begin" marker is hand-written and kept by scripts/bench;
             each section between "bench:begin" and "bench:end" is regenerated from a run. -->

        """;

    /** Keeps the preamble and other classes' sections; replaces or appends the rendered ones. */
    static String merge(String existing, Map<String, String> rendered) {
        String preamble = DEFAULT_PREAMBLE;
        Map<String, String> sections = new LinkedHashMap<>();
        String tail = "";
        if (existing != null) {
            int first = existing.indexOf(BEGIN);
            if (first < 0) {
                preamble = existing.endsWith("\n") ? existing + "\n" : existing + "\n\n";
            } else {
                preamble = existing.substring(0, first);
                int at = first;
                while (at >= 0 && at < existing.length()) {
                    int nameStart = at + BEGIN.length();
                    int nameEnd = existing.indexOf(" -->", nameStart);
                    String name = existing.substring(nameStart, nameEnd);
                    String endMarker = END + name + " -->\n";
                    int end = existing.indexOf(endMarker, nameEnd);
                    if (end < 0) {
                        throw new IllegalStateException("docs: no end marker for section " + name);
                    }
                    sections.put(name, existing.substring(at, end + endMarker.length()));
                    int next = existing.indexOf(BEGIN, end);
                    if (next < 0) {
                        tail = existing.substring(end + endMarker.length()).strip();
                        break;
                    }
                    at = next;
                }
            }
        }
        sections.putAll(rendered);
        StringBuilder b = new StringBuilder(preamble);
        boolean firstSection = true;
        for (String text : sections.values()) {
            if (!firstSection) {
                b.append('\n');
            }
            b.append(text);
            firstSection = false;
        }
        if (!tail.isEmpty()) {
            b.append('\n').append(tail).append('\n');
        }
        return b.toString();
    }

    // ---- SVG -------------------------------------------------------------------------------------------

    /** A horizontal grouped bar chart, one group per benchmark, log-scaled ns per unit. */
    static String svg(Section s) {
        final int width = 900;
        final int left = 200;
        final int right = 150;
        final int top = 64;
        final int bar = 14;
        final int gap = 3;
        final int groupGap = 16;
        final List<String> ex = s.executors();
        final int groupHeight = ex.size() * (bar + gap) - gap;
        final int plotHeight = s.rows().size() * (groupHeight + groupGap) - groupGap;
        final int height = top + plotHeight + 56;
        final int plotWidth = width - left - right;

        double min = Double.MAX_VALUE;
        double max = 0;
        for (Row r : s.rows()) {
            for (Cell c : r.cells().values()) {
                if (c.ns() > 0) {
                    min = Math.min(min, c.ns());
                    max = Math.max(max, c.ns());
                }
            }
        }
        if (max == 0) {
            min = 1;
            max = 10;
        }
        final double lo = Math.pow(10, Math.floor(Math.log10(min)));
        final double hi = Math.pow(10, Math.max(Math.ceil(Math.log10(max)), Math.log10(lo) + 1));
        final double span = Math.log10(hi) - Math.log10(lo);

        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
            width, height, width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height));
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", left, esc(s.meta().title())));
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"40\" fill=\"#555\">ns per unit of work, log scale; lower is better</text>\n", left));
        // legend
        int lx = left;
        for (String e : ex) {
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"48\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx,
                EXECUTOR_COLOR.getOrDefault(e, "#59a14f")));
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"58\">%s</text>\n", lx + 16, esc(label(e))));
            lx += 34 + 7 * label(e).length();
        }
        // grid and axis
        int axisY = top + plotHeight + 8;
        for (double t = lo; t <= hi * 1.0001; t *= 10) {
            double x = left + plotWidth * (Math.log10(t) - Math.log10(lo)) / span;
            b.append(String.format(Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", x, top - 4, x, axisY));
            b.append(String.format(Locale.ROOT,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n", x, axisY + 16, tick(t)));
        }
        b.append(String.format(Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">ns per unit of work (see the table)</text>\n",
            left + plotWidth / 2, axisY + 34));
        // bars
        int y = top;
        for (Row r : s.rows()) {
            b.append(String.format(Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-family=\"DejaVu Sans Mono, monospace\">%s</text>\n",
                left - 8, y + groupHeight / 2 + 4, esc(r.tokioName())));
            for (int i = 0; i < ex.size(); i++) {
                Cell c = r.cells().get(ex.get(i));
                int by = y + i * (bar + gap);
                if (c == null || !(c.ns() > 0)) {
                    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#999\">not run</text>\n",
                        left + 4, by + bar - 3));
                    continue;
                }
                double w = Math.max(1, plotWidth * (Math.log10(c.ns()) - Math.log10(lo)) / span);
                String color = EXECUTOR_COLOR.getOrDefault(ex.get(i), "#59a14f");
                b.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s>"
                        + "<title>%s %s: %s ns per %s</title></rect>\n",
                    left, by, w, bar, color, c.stalls() > 0 ? " stroke=\"#c00\" stroke-width=\"2\"" : "",
                    esc(r.tokioName()), esc(label(ex.get(i))), fmt(c.ns()), esc(r.unit())));
                String text = fmt(c.ns()) + (c.stalls() > 0 ? "  stalled " + c.stalls() + "/" + c.batches() : "");
                b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>\n",
                    left + w + 4, by + bar - 3, c.stalls() > 0 ? "#c00" : "#333", esc(text)));
            }
            y += groupHeight + groupGap;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static String tick(double ns) {
        if (ns >= 1e9) {
            return fmtTick(ns / 1e9) + " s";
        }
        if (ns >= 1e6) {
            return fmtTick(ns / 1e6) + " ms";
        }
        if (ns >= 1e3) {
            return fmtTick(ns / 1e3) + " µs";
        }
        return fmtTick(ns) + " ns";
    }

    private static String fmtTick(double v) {
        return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
